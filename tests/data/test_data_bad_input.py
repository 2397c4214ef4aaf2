"""Bad dataset input: each kind is refused with a DataError naming the file/member, the problem and the fix."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from helpers_cifar import (
    evil_pickle,
    link_member,
    members,
    offline_env,  # noqa: F401  (fixture)
    plain_member,
    stage,
    truncate,
    write_archive,
    write_folder,
)

from tp2core.data import cifar_format

from tp2core.data import load as data
from tp2core.data.load import load_dataset
from tp2core.errors import DataError, DataUnavailable

pytestmark = pytest.mark.usefixtures("offline_env")


def _load_err(path, **kwargs) -> str:
    with pytest.raises(DataError) as info:
        load_dataset(str(path), **kwargs)
    return str(info.value)


def test_absent_offline_lists_places_checksum_and_alternative(tmp_path):
    """cifar100 with nothing staged and no network: DataUnavailable with places, size, checksums, fixes."""
    with pytest.raises(DataUnavailable) as info:
        load_dataset("cifar100")
    msg = str(info.value)
    assert str(tmp_path / "keras" / "datasets" / "cifar-100-python.tar.gz") in msg
    assert "cifar-100-python-target_archive" in msg
    assert "169,001,437 bytes" in msg and cifar_format.OFFICIAL_MD5 in msg and cifar_format.OFFICIAL_SHA256 in msg
    assert "offline" in msg and "TP2_DATA" in msg and "--tp2-dataset simulated" in msg


def test_download_failure_is_reported(monkeypatch):
    """When online but Keras's download fails, the message says so (and the reason)."""
    monkeypatch.setattr(data, "_network_available", lambda *a, **k: True)
    with pytest.raises(DataUnavailable, match="download through Keras failed.*network disabled in tests"):
        load_dataset("cifar100")


def test_missing_explicit_path(tmp_path):
    """A dataset path that does not exist names it and the accepted values."""
    msg = _load_err(tmp_path / "nope.tar.gz")
    assert "nope.tar.gz" in msg and "auto" in msg and "cifar100" in msg


def test_tp2_data_pointing_nowhere(tmp_path, monkeypatch):
    """TP2_DATA set to a missing path is an error, not a silent fallback to simulated data."""
    monkeypatch.setenv("TP2_DATA", str(tmp_path / "missing"))
    with pytest.raises(DataUnavailable, match="TP2_DATA.*missing.*does not exist"):
        load_dataset("auto")


@pytest.mark.parametrize("name", ["cifar-100-python.tar.gz", "cifar-100-python-target_archive"])
def test_wrong_checksum_in_keras_cache_keeps_file(tmp_path, name):
    """A file at the official Keras-cache name with another checksum: expected vs actual; file not deleted."""
    target = stage(write_archive(tmp_path / "a.tar.gz"), tmp_path / "keras" / "datasets" / name)
    before = target.read_bytes()
    for spec in ("cifar100", "auto"):
        msg = _load_err(spec)
        assert str(target) in msg and cifar_format.OFFICIAL_SHA256 in msg
        assert hashlib.sha256(before).hexdigest() in msg and "left in place" in msg
    assert target.read_bytes() == before


def test_wrong_checksum_via_tp2_data_for_cifar100(tmp_path, monkeypatch):
    """TP2_DATA + spec cifar100 must be the official archive; the file is kept."""
    path = write_archive(tmp_path / "cifar-100-python.tar.gz")
    monkeypatch.setenv("TP2_DATA", str(path))
    msg = _load_err("cifar100")
    assert "checksum differs" in msg and f"{path.stat().st_size:,} bytes" in msg
    assert path.exists()


def test_wrong_member_md5_in_keras_extracted_folder(tmp_path):
    """An extracted folder at the Keras name must hold the official members."""
    write_folder(tmp_path / "keras" / "datasets" / "cifar-100-python")
    assert "MD5s differ" in _load_err("cifar100")


def test_truncated_archive(tmp_path):
    """A cut-off archive is reported as truncated, naming the file."""
    path = truncate(write_archive(tmp_path / "a.tar.gz"))
    msg = _load_err(path)
    assert str(path) in msg and "truncated" in msg


def test_member_not_a_pickle(tmp_path):
    """A member with garbage bytes: names the member and says it is not a valid pickle."""
    parts = members()
    parts["test"] = b"this is not a pickle"
    msg = _load_err(write_archive(tmp_path / "a.tar.gz", parts))
    assert "member 'test'" in msg and "not a valid pickle" in msg


def test_missing_meta(tmp_path):
    """An archive without meta names the missing member."""
    parts = members()
    del parts["meta"]
    assert "'meta' missing" in _load_err(write_archive(tmp_path / "a.tar.gz", parts))


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [(b"fine_labels", 100, "'fine_labels' must lie in 0..99"), (b"coarse_labels", -1, "'coarse_labels' must lie in 0..19")],
)
def test_labels_out_of_range(tmp_path, key, value, expected):
    """A label outside its range names the member, the key and the range."""
    parts = members()
    parts["train"][key][0] = value
    msg = _load_err(write_archive(tmp_path / "a.tar.gz", parts))
    assert "member 'train'" in msg and expected in msg


def test_wrong_shape(tmp_path):
    """Images that are not (N, 3072) rows are refused with the shape found."""
    parts = members()
    parts["train"][b"data"] = parts["train"][b"data"].reshape(-1, 3, 32, 32)
    assert "must have shape (N, 3072) (got (200, 3, 32, 32))" in _load_err(write_archive(tmp_path / "a.tar.gz", parts))


def test_wrong_dtype(tmp_path):
    """Float images are refused, naming the dtype."""
    parts = members()
    parts["test"][b"data"] = parts["test"][b"data"].astype(np.float32)
    assert "dtype uint8 (got float32)" in _load_err(write_archive(tmp_path / "a.tar.gz", parts))


def test_unequal_class_counts(tmp_path):
    """One image moved to another class breaks the equal-count rule; the class and counts are named."""
    parts = members()
    labels = parts["train"][b"fine_labels"]
    moved = labels.index(7)
    labels[moved], parts["train"][b"coarse_labels"][moved] = 8, 1
    msg = _load_err(write_archive(tmp_path / "a.tar.gz", parts))
    assert "same count" in msg and "class 7 with 1" in msg


def test_fine_coarse_disagree(tmp_path):
    """Coarse labels that do not follow the fine ones (e.g. swapped keys) are refused."""
    parts = members()
    parts["test"][b"coarse_labels"][0] = (parts["test"][b"coarse_labels"][0] + 1) % 20
    assert "fine and coarse labels disagree" in _load_err(write_archive(tmp_path / "a.tar.gz", parts))


def test_evil_pickle_never_runs(tmp_path):
    """A pickle that would mkdir when naively unpickled is refused; the directory never appears."""
    target = tmp_path / "pwned"
    parts = members()
    parts["meta"] = evil_pickle(target)
    msg = _load_err(write_archive(tmp_path / "a.tar.gz", parts))
    assert not target.exists()
    assert "member 'meta'" in msg and "posix.mkdir" in msg and "nothing in it ran" in msg


def test_evil_pickle_is_real(tmp_path):
    """Negative control: the same bytes do create the directory under plain pickle.loads."""
    import pickle

    target = tmp_path / "pwned"
    pickle.loads(evil_pickle(target))
    assert target.is_dir()


@pytest.mark.parametrize(
    "extra",
    [plain_member("../escape", b"x"), plain_member("/abs/path", b"x"), link_member()],
    ids=["dotdot", "absolute", "symlink"],
)
def test_unsafe_tar_members(tmp_path, extra):
    """Members with '..', absolute paths or links are refused before anything is read."""
    msg = _load_err(write_archive(tmp_path / "a.tar.gz", extra=(extra,)))
    assert repr(extra[0].name) in msg and "refused" in msg


def test_oversized_member_refused_before_reading(tmp_path, monkeypatch):
    """A member declaring more than MAX_MEMBER_BYTES is refused as a possible decompression bomb."""
    monkeypatch.setattr(cifar_format, "MAX_MEMBER_BYTES", 1000)
    assert "decompression bomb" in _load_err(write_archive(tmp_path / "a.tar.gz"))


def test_unwritable_cache_dir(tmp_path):
    """A cache dir that cannot be created names the dir and says how to choose another (root-proof: a file)."""
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    msg = _load_err(write_archive(tmp_path / "a.tar.gz"), cache_dir=blocker / "cache")
    assert str(blocker / "cache") in msg and "not writable" in msg and "TP2_CACHE" in msg


def test_corrupt_prepared_cache_file(tmp_path):
    """A prepared .npz whose arrays no longer match its fingerprint is reported, naming the file."""
    path = write_archive(tmp_path / "a.tar.gz")
    load_dataset(str(path))
    prepared = next((tmp_path / "cache" / "prepared").glob("*.npz"))
    arrays = dict(np.load(prepared))
    arrays["x_train"][0, 0, 0, 0] ^= 1
    prepared.chmod(0o644)
    np.savez(prepared, **arrays)
    msg = _load_err(path)
    assert str(prepared) in msg and "delete it" in msg
