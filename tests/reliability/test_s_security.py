"""Archives are untrusted input (S1–S3): no pickle code runs, no tar member writes anywhere, no bomb is read."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from pathlib import Path

import pytest
from helpers_cifar import evil_pickle, link_member, members, offline_env, plain_member, write_archive  # noqa: F401

from tp2core.data import cifar_format
from tp2core.data.load import load_dataset
from tp2core.errors import DataError
from tp2core.data.simulate import dumps_py2

pytestmark = pytest.mark.usefixtures("offline_env")


class _System:
    """Pickles to os.system(cmd): the classic code-execution payload."""

    def __init__(self, cmd: str):
        self.cmd = cmd

    def __reduce__(self):
        return (os.system, (self.cmd,))


@pytest.mark.parametrize("member", ["train", "test", "meta"])
def test_s1_crafted_pickle_never_runs(tmp_path, member):
    """A member pickling os.system / os.mkdir is refused naming the global; its side effect never happens."""
    import pickle

    marker = tmp_path / "pwned"
    parts = members()
    if member == "meta":
        parts["meta"] = evil_pickle(marker)
    else:
        parts[member] = pickle.dumps({"data": _System(f"touch {marker}")}, protocol=2)  # str key: no _codecs
    with pytest.raises(DataError, match=rf"member '{member}': the pickle tries to call posix\.(mkdir|system)"):
        load_dataset(str(write_archive(tmp_path / "a.tar.gz", parts)))
    assert not marker.exists()


def test_s1_unpickler_allows_only_numpy_array_globals():
    """Even a global that looks harmless (builtins.getattr, numpy.load) is refused: only array rebuilding passes."""
    import pickle

    for module, name in [("builtins", "getattr"), ("builtins", "eval"), ("numpy", "load"), ("subprocess", "Popen")]:
        payload = b"\x80\x02c" + f"{module}\n{name}\n".encode() + b"."
        with pytest.raises(DataError, match=f"tries to call {module}.{name}"):
            cifar_format.safe_loads(payload, "x")
    assert pickle.loads(pickle.dumps(members()["train"][b"data"], protocol=2)).shape == (200, 3072)


@pytest.mark.parametrize(
    "extra",
    [plain_member("../escape.txt"), plain_member("/tmp/tp2-abs-escape.txt"), plain_member("cifar-100-python/../../x"),
     plain_member("C:/windows/x"), link_member(), link_member("cifar-100-python/meta", "../../../etc/passwd")],
    ids=["dotdot", "absolute", "nested_dotdot", "drive", "symlink", "symlink_meta"],
)
def test_s2_tar_member_outside_the_archive_refused(tmp_path, extra):
    """'..', absolute, drive-letter and link members refuse the archive; nothing is written outside the cache."""
    archive = write_archive(tmp_path / "in" / "a.tar.gz", extra=(extra,))
    before = set(Path(tmp_path).rglob("*"))
    with pytest.raises(DataError, match=r"(absolute or '\.\.' path|link or device); archive refused"):
        load_dataset(str(archive))
    created = {p for p in set(Path(tmp_path).rglob("*")) - before if p.is_file()}
    assert {p.suffix for p in created} <= {".lock"}  # only the preparation lock; nothing extracted or prepared
    assert all(tmp_path / "cache" in p.parents for p in created)
    assert not (tmp_path / "escape.txt").exists() and not Path("/tmp/tp2-abs-escape.txt").exists()


def _bomb(path: Path, size: int) -> Path:
    """A tar.gz whose train member is ``size`` zero bytes: tiny on disk, huge once decompressed."""
    parts = members()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name in ("test", "meta"):
            data = dumps_py2(parts[name])
            info = tarfile.TarInfo(f"cifar-100-python/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("cifar-100-python/train")
        info.size = size
        tar.addfile(info, _Zeros(size))
    path.write_bytes(gzip.compress(buf.getvalue(), compresslevel=9))
    return path


class _Zeros(io.RawIOBase):
    def __init__(self, size: int) -> None:
        self.left = size

    def readinto(self, b) -> int:
        n = min(len(b), self.left)
        b[:n] = bytes(n)
        self.left -= n
        return n


def test_s3_decompression_bomb_refused_before_reading(tmp_path, monkeypatch):
    """A 64 MiB member in a ~70 KB archive, over a 16 MiB cap: refused from its header; its data is never read."""
    monkeypatch.setattr(cifar_format, "MAX_MEMBER_BYTES", 16 * 1024 * 1024)
    archive = _bomb(tmp_path / "bomb.tar.gz", 64 * 1024 * 1024)
    assert archive.stat().st_size < 1024 * 1024
    reads = []
    real = tarfile.TarFile.extractfile
    monkeypatch.setattr(tarfile.TarFile, "extractfile", lambda self, m: reads.append(m.name) or real(self, m))
    with pytest.raises(DataError, match=r"member 'cifar-100-python/train' declares 67,108,864 bytes .*decompression bomb"):
        load_dataset(str(archive))
    assert "cifar-100-python/train" not in reads
    assert not list((tmp_path / "cache").rglob("*.npz"))


def test_s3_default_cap_fits_the_real_archive():
    """The cap (400 MiB) is above the real train member (148 MiB) and far below a disk-filling member."""
    assert 150 * 1024 * 1024 < cifar_format.MAX_MEMBER_BYTES <= 512 * 1024 * 1024
