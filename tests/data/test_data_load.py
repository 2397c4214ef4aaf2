"""load_dataset: specs, Keras cache layouts, naming, caching, and one preparation across processes."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np
import pytest
from helpers_cifar import members, offline_env, stage, write_archive, write_folder  # noqa: F401

from tp2core.data import cifar_format

from tp2core.data import load as data
from tp2core.data.cifar_format import file_digests
from tp2core.data.load import load_dataset, preparation_count
from tp2core.data.simulate import write_simulated_archive

pytestmark = pytest.mark.usefixtures("offline_env")


@pytest.fixture
def small_simulated(monkeypatch):
    """'simulated' / 'auto' generate 2/1 images per class instead of 500/100 (fast)."""
    monkeypatch.setattr(data, "SIMULATED_DEFAULT", {"per_class_train": 2, "per_class_test": 1, "seed": 0})


def _official(monkeypatch, path: Path) -> None:
    """Pretend ``path`` (archive or folder) is the official CIFAR-100, by patching the expected checksums."""
    if path.is_dir():
        md5 = {m: file_digests(path / m)[1] for m in cifar_format.MEMBERS}
        monkeypatch.setattr(cifar_format, "OFFICIAL_MEMBER_MD5", md5)
    else:
        monkeypatch.setattr(cifar_format, "OFFICIAL_SHA256", file_digests(path)[2])


class TestArrays:
    def test_shapes_dtypes_and_channel_order(self, tmp_path):
        """Images become uint8 (N,32,32,3) channels-last from R,G,B planes; labels int64."""
        parts = members()
        ds = load_dataset(str(write_archive(tmp_path / "a.tar.gz", parts)))
        raw = parts["train"][b"data"]
        assert ds.x_train.shape == (200, 32, 32, 3) and ds.x_test.shape == (100, 32, 32, 3)
        assert ds.x_train.dtype == np.uint8 and ds.y_train.dtype == np.int64 and ds.y_test_coarse.dtype == np.int64
        assert ds.x_train[0, 0, 1, 0] == raw[0, 1] and ds.x_train[0, 0, 0, 1] == raw[0, 1024]
        assert ds.x_train[0, 31, 31, 2] == raw[0, 3071]
        assert ds.y_train.tolist() == parts["train"][b"fine_labels"]
        assert ds.fine_label_names[3] == "fine3" and ds.coarse_label_names[19] == "coarse19"

    def test_arrays_are_read_only(self, tmp_path):
        """The loaded arrays are shared, so in-place changes are refused."""
        ds = load_dataset(str(write_archive(tmp_path / "a.tar.gz")))
        with pytest.raises(ValueError):
            ds.x_train[0, 0, 0, 0] = 1

    def test_folder_equals_archive(self, tmp_path):
        """An extracted folder loads to the same arrays (fingerprint) as its archive."""
        parts = members()
        a = load_dataset(str(write_archive(tmp_path / "a.tar.gz", parts)))
        b = load_dataset(str(write_folder(tmp_path / "x" / "cifar-100-python", parts).parent))
        assert a.fingerprint == b.fingerprint


class TestNaming:
    def test_other_archive_named_by_fingerprint(self, tmp_path):
        """An unknown archive is 'archive-<fp12>', not simulated, never cifar100."""
        ds = load_dataset(str(write_archive(tmp_path / "a.tar.gz")))
        assert ds.name == f"archive-{ds.fingerprint[:12]}" and not ds.simulated

    def test_fingerprints_differ_between_archives(self, tmp_path):
        """Two different archives have different fingerprints and names."""
        a = load_dataset(str(write_archive(tmp_path / "a.tar.gz", members(seed=0))))
        b = load_dataset(str(write_archive(tmp_path / "b.tar.gz", members(seed=1))))
        assert a.fingerprint != b.fingerprint and a.name != b.name

    def test_simulated_archive_recognised(self, tmp_path):
        """tp2's simulated archive is named 'simulated' with simulated=True, through the same loader."""
        ds = load_dataset(str(write_simulated_archive(tmp_path / "sim", 2, 1, seed=3)))
        assert ds.name == "simulated" and ds.simulated and "SIMULATED" in ds.label

    def test_official_checksum_named_cifar100(self, tmp_path, monkeypatch):
        """An archive with the official SHA-256 is named 'cifar100'."""
        path = write_archive(tmp_path / "cifar-100-python.tar.gz")
        _official(monkeypatch, path)
        ds = load_dataset(str(path))
        assert ds.name == "cifar100" and not ds.simulated and "official checksum verified" in ds.source


class TestSpecs:
    @pytest.mark.parametrize(
        ("rel", "label"),
        [
            ("cifar-100-python.tar.gz", "3.0-3.5 archive"),
            ("cifar-100-python-target_archive", ">= 3.6 archive"),
            ("cifar-100-python", "3.0-3.5 extracted"),
            ("cifar-100-python-target/cifar-100-python", ">= 3.6 extracted"),
        ],
    )
    def test_keras_cache_layouts(self, tmp_path, monkeypatch, rel, label):
        """cifar100 and auto find the archive in each Keras cache layout under $KERAS_HOME."""
        parts = members()
        src = write_folder(tmp_path / "src", parts) if "tar" not in rel and "archive" not in rel else None
        src = src or write_archive(tmp_path / "src.tar.gz", parts)
        target = stage(src, tmp_path / "keras" / "datasets" / rel)
        _official(monkeypatch, target)
        for spec in ("cifar100", "auto"):
            ds = load_dataset(spec)
            assert ds.name == "cifar100" and label in ds.source and str(target) in ds.source

    def test_tp2_data_env(self, tmp_path, monkeypatch):
        """TP2_DATA points auto at any archive, loaded under its own name."""
        path = write_archive(tmp_path / "mine.tar.gz")
        monkeypatch.setenv("TP2_DATA", str(path))
        ds = load_dataset()
        assert ds.name.startswith("archive-") and str(path) in ds.source

    def test_auto_falls_back_to_simulated_and_says_why(self, small_simulated, tmp_path):
        """auto with no archive and no network uses simulated data; the source counts the places searched and says
        why, ``searched`` lists the places (the pytest header shows them under -v)."""
        ds = load_dataset("auto")
        assert ds.simulated and ds.name == "simulated"
        assert ds.source.startswith(f"simulated: no CIFAR-100 archive in the {len(ds.searched)} places searched")
        assert all(str(tmp_path / "keras" / "datasets") in place for place in ds.searched) and ds.searched
        assert "offline" in ds.source and str(tmp_path / "keras") not in ds.source

    def test_simulated_spec_generated_once(self, small_simulated, tmp_path):
        """'simulated' generates its archive once under the cache dir and prepares it once."""
        a = load_dataset("simulated")
        b = load_dataset("simulated")
        assert a.fingerprint == b.fingerprint and a.simulated and "requested" in a.source
        assert len(list((tmp_path / "cache" / "simulated").glob("*/cifar-100-python.tar.gz"))) == 1
        assert preparation_count(tmp_path / "cache") == 1

    def test_simulated_v1_kept_apart(self, small_simulated, tmp_path):
        """'simulated-v1' is the old generator: its own cache folder, name and fingerprint; 'simulated' is v2."""
        v1, v2 = load_dataset("simulated-v1"), load_dataset("simulated")
        assert (v1.name, v2.name) == ("simulated-v1", "simulated") and v1.simulated and v2.simulated
        assert v1.fingerprint != v2.fingerprint and "generator v2" in v2.source and "generator v1" in v1.source
        folders = sorted(p.name for p in (tmp_path / "cache" / "simulated").iterdir() if p.is_dir())
        assert [f.split("-")[0] for f in folders] == ["v1", "v2"]
        assert "SIMULATED" in v1.label and "not CIFAR-100" in v1.label

    def test_download_is_used_when_online(self, tmp_path, monkeypatch):
        """When online, cifar100 downloads through Keras (injected) and verifies the result."""
        path = write_archive(tmp_path / "dl" / "cifar-100-python.tar.gz")
        _official(monkeypatch, path)
        monkeypatch.setattr(data, "_network_available", lambda *a, **k: True)
        monkeypatch.setattr(data, "_download_via_keras", lambda: path)
        ds = load_dataset("cifar100")
        assert ds.name == "cifar100" and "downloaded through Keras" in ds.source

    def test_download_false_never_calls_keras(self, small_simulated, monkeypatch):
        """download=False skips the download even when online."""
        monkeypatch.setattr(data, "_network_available", lambda *a, **k: True)
        monkeypatch.setattr(data, "_download_via_keras", lambda: pytest.fail("download attempted"))
        assert "download disabled" in load_dataset("auto", download=False).source


class TestCache:
    def test_second_load_reuses_prepared_file(self, tmp_path):
        """The archive is prepared once; later loads only read the .npz."""
        path = write_archive(tmp_path / "a.tar.gz")
        a, b = load_dataset(str(path)), load_dataset(str(path))
        assert a.fingerprint == b.fingerprint
        assert preparation_count(tmp_path / "cache") == 1
        assert preparation_count(tmp_path / "cache", file_digests(path)[2]) == 1

    def test_cache_dir_argument_beats_env(self, tmp_path):
        """An explicit cache_dir is used instead of TP2_CACHE."""
        load_dataset(str(write_archive(tmp_path / "a.tar.gz")), cache_dir=tmp_path / "other")
        assert preparation_count(tmp_path / "other") == 1 and preparation_count(tmp_path / "cache") == 0


def _load_in_child(args):
    path, cache, barrier = args
    barrier.wait(timeout=120)  # all four start loading at the same moment, on a cold cache
    return load_dataset(path, cache_dir=cache).fingerprint


@pytest.mark.slow
def test_concurrent_first_load_prepares_once(tmp_path):
    """4 spawned processes loading on a cold cache at once: one preparation, identical fingerprints."""
    path = str(write_archive(tmp_path / "a.tar.gz"))
    cache = str(tmp_path / "cold")
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager, ctx.Pool(4) as pool:
        barrier = manager.Barrier(4)
        fps = pool.map(_load_in_child, [(path, cache, barrier)] * 4, chunksize=1)
    assert len(set(fps)) == 1
    assert preparation_count(cache) == 1
