"""Reading and validating CIFAR-100's python format, safely, whatever Keras version is installed.

The format (https://www.cs.toronto.edu/~kriz/cifar.html): a tar.gz holding ``cifar-100-python/{train,test,meta}``,
each a Python-2 pickle (protocol 2, read with ``encoding="bytes"``). ``train``/``test`` are dicts with ``b"data"``
(uint8 ``(N, 3072)``, channel-planar R, G, B rows of 32×32), ``b"fine_labels"`` and ``b"coarse_labels"``
(lists of ints); ``meta`` has ``b"fine_label_names"`` (100) and ``b"coarse_label_names"`` (20).

Safety, because pickle can run code and tar can write anywhere:
- Nothing is extracted to disk: the three members are read from the tarfile straight into memory, after every
  member header has been checked (no absolute paths, no ``..``, no links or devices, no member above
  ``MAX_MEMBER_BYTES``: a decompression bomb is refused before a byte of it is read).
- ``SafeUnpickler`` resolves only numpy's array reconstruction globals (what the real pickles reference);
  any other global (``os.system``, ``builtins.eval``, …) is refused before it can be called.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError
from .dataset import NUM_FINE

OFFICIAL_URL = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
OFFICIAL_FILENAME = "cifar-100-python.tar.gz"
OFFICIAL_SIZE = 169_001_437  # bytes
OFFICIAL_MD5 = "eb9058c3a382ffc7106e4002c42a8d85"
OFFICIAL_SHA256 = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"
# MD5 of the extracted members (as torchvision checks them), to recognise an extracted official folder.
OFFICIAL_MEMBER_MD5 = {
    "train": "16019d7e3df5f24257cddd939b257f8d",
    "test": "f0ef6b0ae62326f3e7ffdfab6717acfc",
    "meta": "7973b15100ade9c7d40fb424638fde48",
}
MEMBERS = ("train", "test", "meta")
TOP_DIR = "cifar-100-python"
MAX_MEMBER_BYTES = 400 * 1024 * 1024  # the real train member is 148 MiB; anything this big is not CIFAR
SIMULATED_MARKER = "tp2_simulated"  # extra key in tp2's simulated meta (value: a description of the generator)
NUM_COARSE, PIXELS = 20, 32 * 32 * 3
FIX = "Fix: stage an unmodified cifar-100-python.tar.gz, or use simulated data (--tp2-dataset simulated)."


def _reconstruct():
    try:  # numpy >= 2
        from numpy._core.multiarray import _reconstruct as fn
    except ImportError:  # numpy 1.x
        from numpy.core.multiarray import _reconstruct as fn
    return fn


# Both spellings of multiarray, so pickles written under numpy 1 (and Python 2) or numpy 2 load alike.
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct(),
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct(),
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class SafeUnpickler(pickle.Unpickler):
    """Resolves only numpy array reconstruction; every other global is refused, so nothing else can be called."""

    def find_class(self, module: str, name: str):
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing to resolve {module}.{name}") from None


def safe_loads(data: bytes, where: str) -> object:
    """Unpickle CIFAR member bytes with ``SafeUnpickler``; any failure becomes a DataError naming ``where``."""
    try:
        return SafeUnpickler(io.BytesIO(data), encoding="bytes").load()
    except pickle.UnpicklingError as exc:
        if "refusing to resolve" in str(exc):
            raise DataError(
                f"{where}: the pickle tries to call {str(exc).split()[-1]}, which is not numpy array data; "
                f"it was refused and nothing in it ran (the file is corrupt or malicious). {FIX}"
            ) from None
        raise DataError(f"{where} is not a valid pickle ({exc}). {FIX}") from None
    except Exception as exc:  # truncated/garbage data raises EOFError, ValueError, KeyError, …
        raise DataError(f"{where} is not a valid pickle ({type(exc).__name__}: {exc}). {FIX}") from None


def file_digests(path: Path) -> tuple[int, str, str]:
    """(size in bytes, md5 hex, sha256 hex) of a file, read in 1 MiB chunks."""
    md5, sha = hashlib.md5(), hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            md5.update(chunk)
            sha.update(chunk)
    return Path(path).stat().st_size, md5.hexdigest(), sha.hexdigest()


def read_tar_members(path: Path) -> dict[str, bytes]:
    """The raw bytes of train/test/meta, read into memory from a (gzipped) tar after checking every header."""
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(path, mode="r:*") as tar:
            for member in tar:  # headers stream in order; a member is read only after its header passed
                _check_member(path, member)
                base = _member_base(member.name)
                if base not in MEMBERS or not member.isfile():
                    continue
                if base in found:
                    raise DataError(f"{path}: member {member.name!r} appears twice. {FIX}")
                f = tar.extractfile(member)
                data = f.read() if f is not None else b""
                if len(data) != member.size:
                    raise DataError(
                        f"{path}: member {member.name!r} is truncated ({len(data)} of {member.size} bytes). {FIX}"
                    )
                found[base] = data
    except DataError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise DataError(
            f"{path} is truncated or not a tar.gz archive ({type(exc).__name__}: {exc}). "
            f"Re-download or re-copy it. {FIX}"
        ) from None
    _require_members(path, found)
    return found


def _check_member(path: Path, member: tarfile.TarInfo) -> None:
    parts = member.name.replace("\\", "/").split("/")
    if member.name.startswith(("/", "\\")) or ".." in parts or (len(parts[0]) == 2 and parts[0][1] == ":"):
        raise DataError(f"{path}: member {member.name!r} has an absolute or '..' path; archive refused. {FIX}")
    if not (member.isfile() or member.isdir()):
        raise DataError(f"{path}: member {member.name!r} is a link or device; archive refused. {FIX}")
    if member.size > MAX_MEMBER_BYTES:
        raise DataError(
            f"{path}: member {member.name!r} declares {member.size:,} bytes (> {MAX_MEMBER_BYTES:,}); refused "
            f"as a possible decompression bomb. {FIX}"
        )


def _member_base(name: str) -> str:
    """'train' for 'cifar-100-python/train' or 'train'; '' for anything deeper or elsewhere."""
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if len(parts) == 1 or (len(parts) == 2 and parts[0] == TOP_DIR):
        return parts[-1]
    return ""


def read_folder_members(folder: Path) -> dict[str, bytes]:
    """The raw bytes of train/test/meta in an extracted folder (or its ``cifar-100-python/`` subfolder)."""
    if (folder / TOP_DIR).is_dir() and not (folder / "train").exists():
        folder = folder / TOP_DIR
    found: dict[str, bytes] = {}
    for name in MEMBERS:
        p = folder / name
        if not p.is_file():
            continue
        if p.is_symlink():
            raise DataError(f"{p} is a symbolic link; refused (copy the real file there). {FIX}")
        if p.stat().st_size > MAX_MEMBER_BYTES:
            raise DataError(f"{p} is {p.stat().st_size:,} bytes (> {MAX_MEMBER_BYTES:,}); not a CIFAR member. {FIX}")
        found[name] = p.read_bytes()
    _require_members(folder, found)
    return found


def _require_members(where: Path, found: dict[str, bytes]) -> None:
    missing = [m for m in MEMBERS if m not in found]
    if missing:
        raise DataError(
            f"{where}: member(s) {', '.join(repr(m) for m in missing)} missing; a CIFAR-100 python archive "
            f"holds {TOP_DIR}/train, test and meta. {FIX}"
        )


@dataclass(frozen=True, eq=False)
class ParsedArchive:
    """Validated arrays of one archive (channels-last uint8 images, int64 labels) and its metadata."""

    x_train: np.ndarray
    y_train: np.ndarray
    y_train_coarse: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    y_test_coarse: np.ndarray
    fine_label_names: list[str]
    coarse_label_names: list[str]
    simulated: str | None  # the generator's description when tp2's simulated marker is in meta, else None


def parse_members(members: dict[str, bytes], where: str) -> ParsedArchive:
    """Unpickle safely and validate train/test/meta: keys, shapes, dtypes, label ranges, equal class counts."""
    meta = _as_dict(safe_loads(members["meta"], f"{where}: member 'meta'"), f"{where}: member 'meta'")
    fine_names = _names(meta, "fine_label_names", NUM_FINE, f"{where}: member 'meta'")
    coarse_names = _names(meta, "coarse_label_names", NUM_COARSE, f"{where}: member 'meta'")
    marker = meta.get(SIMULATED_MARKER)
    splits = {}
    for split in ("train", "test"):
        label = f"{where}: member {split!r}"
        splits[split] = _parse_split(_as_dict(safe_loads(members[split], label), label), label)
    _check_fine_to_coarse(splits, where)
    (xtr, ytr, ctr), (xte, yte, cte) = splits["train"], splits["test"]
    return ParsedArchive(
        xtr, ytr, ctr, xte, yte, cte, fine_names, coarse_names,
        simulated=_text(marker) if marker is not None else None,
    )


def _as_dict(obj: object, where: str) -> dict:
    if not isinstance(obj, dict):
        raise DataError(f"{where} holds a {type(obj).__name__}, expected a dict. {FIX}")
    return {(k.decode("latin-1") if isinstance(k, bytes) else k): v for k, v in obj.items()}


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _names(meta: dict, key: str, count: int, where: str) -> list[str]:
    names = meta.get(key)
    if not isinstance(names, (list, tuple)) or len(names) != count:
        got = "missing" if names is None else type(names).__name__
        if hasattr(names, "__len__"):
            got += f" of length {len(names)}"
        raise DataError(f"{where}: {key!r} must be a list of {count} names (got {got}). {FIX}")
    return [_text(n) for n in names]


def _parse_split(d: dict, where: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    data = d.get("data")
    if not isinstance(data, np.ndarray):
        raise DataError(f"{where}: 'data' must be a numpy array (got {type(data).__name__}). {FIX}")
    if data.dtype != np.uint8:
        raise DataError(f"{where}: 'data' must have dtype uint8 (got {data.dtype}). {FIX}")
    if data.ndim != 2 or data.shape[1] != PIXELS:
        raise DataError(f"{where}: 'data' must have shape (N, {PIXELS}) (got {data.shape}). {FIX}")
    n = data.shape[0]
    fine = _labels(d, "fine_labels", n, NUM_FINE, where)
    coarse = _labels(d, "coarse_labels", n, NUM_COARSE, where)
    counts = np.bincount(fine, minlength=NUM_FINE)
    if n == 0 or n % NUM_FINE or (counts != n // NUM_FINE).any():
        bad = int(np.argmax(counts != n // NUM_FINE)) if n % NUM_FINE == 0 else int(np.argmin(counts))
        raise DataError(
            f"{where}: every fine class must have the same count, {n} images / {NUM_FINE} classes "
            f"(got class {bad} with {counts[bad]}; min {counts.min()}, max {counts.max()}). {FIX}"
        )
    # channel-planar rows (R plane, G plane, B plane) → channels-last images, converted once
    x = np.ascontiguousarray(data.reshape(n, 3, 32, 32).transpose(0, 2, 3, 1))
    return x, fine, coarse


def _labels(d: dict, key: str, n: int, num: int, where: str) -> np.ndarray:
    raw = d.get(key)
    if raw is None:
        raise DataError(f"{where}: {key!r} missing. {FIX}")
    arr = np.asarray(raw)
    if arr.ndim != 1 or len(arr) != n or (n and arr.dtype.kind not in "iu"):
        raise DataError(f"{where}: {key!r} must be {n} integers (got {arr.dtype} shape {arr.shape}). {FIX}")
    arr = arr.astype(np.int64)
    if n and (arr.min() < 0 or arr.max() >= num):
        raise DataError(
            f"{where}: {key!r} must lie in 0..{num - 1} (got {arr.min()}..{arr.max()}). {FIX}"
        )
    return arr


def _check_fine_to_coarse(splits: dict, where: str) -> None:
    """Each fine class belongs to exactly one coarse class, the same in both splits (catches swapped labels)."""
    fine = np.concatenate([splits[s][1] for s in splits])
    coarse = np.concatenate([splits[s][2] for s in splits])
    pairs = np.unique(fine * NUM_COARSE + coarse)
    per_fine = np.bincount(pairs // NUM_COARSE, minlength=NUM_FINE)
    if (per_fine != 1).any():
        bad = int(np.argmax(per_fine != 1))
        raise DataError(
            f"{where}: fine class {bad} is labelled with {per_fine[bad]} different coarse classes; "
            f"fine and coarse labels disagree. {FIX}"
        )
