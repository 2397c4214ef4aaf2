"""Small CIFAR-100-format archives for tests: a valid one, and each kind of damage the loader must refuse.

``members()`` gives the three unpickled dicts (bytes keys, as in the real files); change them, then
``write_archive(path, members_or_bytes)`` pickles them Python-2 style and writes a tar.gz. Raw ``bytes`` values
are written as they are (for non-pickles and evil pickles); ``extra`` adds arbitrary tar members.
"""

from __future__ import annotations

import io
import os
import pickle
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pytest

from tp2core.data.simulate import dumps_py2

TOP = "cifar-100-python"


def members(per_class_train: int = 2, per_class_test: int = 1, seed: int = 0) -> dict[str, dict]:
    """Valid train/test/meta dicts: random uint8 images, shuffled labels, coarse = fine // 5."""
    rng = np.random.default_rng(seed)
    out = {}
    for split, k in (("train", per_class_train), ("test", per_class_test)):
        fine = rng.permutation(np.repeat(np.arange(100), k))
        out[split] = {
            b"filenames": [f"img_{i}.png".encode() for i in range(len(fine))],
            b"batch_label": f"{split} batch 1 of 1".encode(),
            b"fine_labels": fine.tolist(),
            b"coarse_labels": (fine // 5).tolist(),
            b"data": rng.integers(0, 256, size=(len(fine), 3072), dtype=np.uint8),
        }
    out["meta"] = {
        b"fine_label_names": [f"fine{k}".encode() for k in range(100)],
        b"coarse_label_names": [f"coarse{k}".encode() for k in range(20)],
    }
    return out


def write_archive(
    path: Path, parts: dict[str, dict | bytes] | None = None, extra: tuple[tuple[tarfile.TarInfo, bytes], ...] = ()
) -> Path:
    """tar.gz with ``cifar-100-python/<name>`` for each part (dicts pickled, bytes raw) plus ``extra`` members."""
    parts = members() if parts is None else parts
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        dir_info = tarfile.TarInfo(TOP)
        dir_info.type = tarfile.DIRTYPE
        tar.addfile(dir_info)
        for name, value in parts.items():
            data = value if isinstance(value, bytes) else dumps_py2(value)
            info = tarfile.TarInfo(f"{TOP}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info, data in extra:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def write_folder(folder: Path, parts: dict[str, dict | bytes] | None = None) -> Path:
    """An extracted archive: ``folder/train``, ``test``, ``meta``."""
    parts = members() if parts is None else parts
    folder.mkdir(parents=True, exist_ok=True)
    for name, value in parts.items():
        (folder / name).write_bytes(value if isinstance(value, bytes) else dumps_py2(value))
    return folder


def truncate(path: Path, fraction: float = 0.5) -> Path:
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[: int(len(data) * fraction)])
    return path


class _MkdirOnLoad:
    def __init__(self, target: str):
        self.target = target

    def __reduce__(self):
        return (os.mkdir, (self.target,))


def evil_pickle(target: Path) -> bytes:
    """A pickle that creates directory ``target`` if a naive ``pickle.loads`` runs it (a dict, like meta)."""
    return pickle.dumps({"fine_label_names": _MkdirOnLoad(str(target))}, protocol=2)  # str key: no _codecs global


def link_member(name: str = f"{TOP}/train", target: str = "/etc/passwd") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    return info, None


def plain_member(name: str, data: bytes = b"x") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def stage(src: Path, dst: Path) -> Path:
    """Copy a file or folder to ``dst`` (creating parents), e.g. into a fake Keras cache."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if Path(src).is_dir():
        shutil.copytree(src, dst)
    else:
        shutil.copyfile(src, dst)
    return dst


@pytest.fixture
def offline_env(tmp_path, monkeypatch):
    """No network, an empty Keras home, no TP2_DATA, and a fresh TP2_CACHE: every load is local and isolated."""
    from tp2core.data import load as data

    def no_download():
        raise RuntimeError("network disabled in tests")

    monkeypatch.setattr(data, "_network_available", lambda *a, **k: False)
    monkeypatch.setattr(data, "_download_via_keras", no_download)
    (tmp_path / "keras").mkdir()
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("TP2_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("TP2_DATA", raising=False)
    return tmp_path
