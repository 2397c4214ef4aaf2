"""Reliability D1–D11: bad dataset input is refused with a DataError naming the input, the problem and the fix.

Thin checks on tiny archives (tests/helpers_cifar.py); tests/data/test_data_bad_input.py goes deeper.
"""

from __future__ import annotations

import hashlib
import os
import time

import numpy as np
import pytest
from helpers_cifar import members, offline_env, stage, truncate, write_archive, write_folder  # noqa: F401

from tp2core.data import cifar_format
from tp2core.data.load import load_dataset, preparation_count
from tp2core.data.dataset import array_fingerprint
from tp2core.errors import ConfigError, DataError, DataUnavailable
from tp2core.session import Options

from rel_helpers import start_child

pytestmark = pytest.mark.usefixtures("offline_env")


def _error(spec, **kwargs) -> str:
    with pytest.raises(DataError) as info:
        load_dataset(str(spec), **kwargs)
    return str(info.value)


def test_d1_archive_absent_offline_names_path_size_and_checksums(tmp_path):
    """No archive, no network: DataUnavailable naming where it looked, the size, MD5, SHA-256 and how to stage."""
    with pytest.raises(DataUnavailable) as info:
        load_dataset("cifar100")
    msg = str(info.value)
    assert str(tmp_path / "keras" / "datasets" / cifar_format.OFFICIAL_FILENAME) in msg
    assert "169,001,437 bytes" in msg and cifar_format.OFFICIAL_MD5 in msg and cifar_format.OFFICIAL_SHA256 in msg
    assert "TP2_DATA" in msg


def test_d2_wrong_hash_names_both_and_keeps_the_file(tmp_path):
    """Another file at the Keras cache name: expected vs actual hash; the file is not deleted."""
    target = stage(write_archive(tmp_path / "a.tar.gz"), tmp_path / "keras" / "datasets" / cifar_format.OFFICIAL_FILENAME)
    before = target.read_bytes()
    msg = _error("cifar100")
    assert cifar_format.OFFICIAL_SHA256 in msg and hashlib.sha256(before).hexdigest() in msg
    assert target.read_bytes() == before


def test_d3_truncated_archive_fails_before_anything_is_extracted(tmp_path):
    """A half archive is refused as truncated; no extracted folder and no prepared file is left."""
    path = truncate(write_archive(tmp_path / "in" / "a.tar.gz"))
    msg = _error(path)
    assert str(path) in msg and "truncated" in msg
    assert sorted(p.name for p in (tmp_path / "in").iterdir()) == ["a.tar.gz"]
    assert not list((tmp_path / "cache").rglob("*.npz"))


def test_d4_truncated_extracted_pickle_is_named(tmp_path):
    """An extracted folder whose train pickle is cut off: the member is named, nothing is loaded."""
    folder = write_folder(tmp_path / "folder")
    truncate(folder / "train")
    msg = _error(folder)
    assert "member 'train'" in msg and "not a valid pickle" in msg


def test_d4_official_folder_with_damaged_member_reports_md5(tmp_path):
    """A folder in the Keras cache layout must carry the official member MD5s (torchvision's check)."""
    write_folder(tmp_path / "keras" / "datasets" / "cifar-100-python")
    assert "MD5s differ" in _error("cifar100")


LOADER = """
import os, sys, time
from tp2core.data.load import load_dataset
archive, cache, go = sys.argv[1:]
while not os.path.exists(go):
    time.sleep(0.01)
print(load_dataset(archive, cache_dir=cache).fingerprint, flush=True)
"""


def test_d5_f4_eight_workers_on_a_cold_cache_prepare_once(tmp_path):
    """8 processes load at the same moment: one preparation, one read-only file, identical fingerprints."""
    archive = write_archive(tmp_path / "a.tar.gz")
    cache, go = tmp_path / "cold", tmp_path / "go"
    procs = [start_child(LOADER, str(archive), str(cache), str(go)) for _ in range(8)]
    time.sleep(0.5)
    go.touch()
    outs = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-2000:]
        outs.append(out.strip())
    assert len(set(outs)) == 1 and len(outs[0]) == 64
    assert preparation_count(cache) == 1
    (prepared,) = (cache / "prepared").glob("*.npz")
    assert prepared.stat().st_mode & 0o222 == 0  # immutable once written


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda d: d.update({b"data": d[b"data"].reshape(-1, 3, 32, 32)}), r"'data' must have shape \(N, 3072\)"),
        (lambda d: d.update({b"data": d[b"data"].astype(np.float32)}), r"'data' must have dtype uint8 \(got float32\)"),
        (lambda d: d.update({b"data": d[b"data"][:, :1024]}), r"'data' must have shape \(N, 3072\) \(got \(200, 1024\)\)"),
    ],
    ids=["channels_first", "float32", "one_channel"],
)
def test_d6_wrong_shape_or_dtype_names_field_and_expected(tmp_path, change, expected):
    """Channels-first, float or 1-channel image data: the field and the expected value are named."""
    parts = members()
    change(parts["train"])
    with pytest.raises(DataError, match=rf"member 'train': {expected}"):
        load_dataset(str(write_archive(tmp_path / "a.tar.gz", parts)))


@pytest.mark.parametrize("bad", [100, -1])
def test_d7_fine_label_out_of_range(tmp_path, bad):
    """A fine label of 100 or -1 is refused with the valid range."""
    parts = members()
    parts["train"][b"fine_labels"][0] = bad
    with pytest.raises(DataError, match=r"'fine_labels' must lie in 0\.\.99"):
        load_dataset(str(write_archive(tmp_path / "a.tar.gz", parts)))


def test_d7_coarse_labels_used_as_fine_refused(tmp_path):
    """Coarse labels (20 classes) in the fine field: 80 classes have no image → error, not a 20-class dataset."""
    parts = members()
    for split in ("train", "test"):
        parts[split][b"fine_labels"] = list(parts[split][b"coarse_labels"])
    with pytest.raises(DataError, match=r"every fine class must have the same count"):
        load_dataset(str(write_archive(tmp_path / "a.tar.gz", parts)))


def test_d7_labels_normalised_to_int64(tmp_path):
    """Python-int labels (what the pickles hold) come out as int64 arrays."""
    ds = load_dataset(str(write_archive(tmp_path / "a.tar.gz")))
    assert ds.y_train.dtype == ds.y_test.dtype == ds.y_train_coarse.dtype == np.int64


def test_d8_one_image_dropped_from_one_class_refused(tmp_path):
    """Dropping a single image of class 7 breaks the equal-count rule; the class and counts are named."""
    parts = members(per_class_train=3)
    train = parts["train"]
    drop = train[b"fine_labels"].index(7)
    for key in (b"fine_labels", b"coarse_labels", b"filenames"):
        del train[key][drop]
    train[b"data"] = np.delete(train[b"data"], drop, axis=0)
    with pytest.raises(DataError, match=r"every fine class must have the same count.*min 2, max 3"):
        load_dataset(str(write_archive(tmp_path / "a.tar.gz", parts)))


def test_d9_fingerprint_of_non_contiguous_view(tmp_path):
    """A transposed view hashes like its contiguous copy, without ValueError."""
    a = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    view = a.transpose(2, 0, 1)
    assert not view.flags["C_CONTIGUOUS"]
    assert array_fingerprint(view) == array_fingerprint(np.ascontiguousarray(view)) != array_fingerprint(a)


def test_d10_unwritable_cache_dir_is_an_error_not_a_silent_fallback(tmp_path):
    """A cache dir that cannot be created is named with the fix; nothing is written elsewhere instead."""
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    before = set(os.listdir(tmp_path))
    msg = _error(write_archive(tmp_path / "a.tar.gz"), cache_dir=blocker / "cache")
    assert str(blocker / "cache") in msg and "TP2_CACHE" in msg
    assert set(os.listdir(tmp_path)) - before == {"a.tar.gz"}


def test_d11_invalid_dataset_spec_or_profile_rejected_up_front():
    """'superclass' is neither a dataset spec nor a path; a bad profile is a ConfigError at option time."""
    with pytest.raises(DataUnavailable, match=r"'superclass' is not auto, cifar100, simulated, simulated-v1 nor an existing"):
        load_dataset("superclass")
    with pytest.raises(ConfigError, match="unknown profile 'superclass'; valid profiles: smoke, quick, paper"):
        Options(profile="superclass")
