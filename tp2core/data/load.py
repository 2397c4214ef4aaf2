"""CIFAR-100 (or a CIFAR-format archive, or tp2's simulated data) → a validated, cached ``Dataset``.

``load_dataset(spec)``; ``spec`` is one of
- ``"cifar100"``: the official archive only. Looked for in ``data_path`` (default: env ``TP2_DATA``), then in
  Keras's cache (``$KERAS_HOME`` or ``~/.keras``, and ``/tmp/.keras`` where Keras falls back when that is not
  writable), in both layouts: Keras 3.0–3.5 ``datasets/cifar-100-python.tar.gz`` + ``datasets/cifar-100-python/``,
  Keras ≥ 3.6 ``datasets/cifar-100-python-target_archive`` + ``datasets/cifar-100-python-target/cifar-100-python/``;
  then downloaded through Keras when online. Anything found there must match the official checksum.
- ``"simulated"``: tp2's generated archive (generator v2, seed 0, 500/100 images per class), generated once per
  cache dir; ``"simulated-v1"``: the same from the superseded v1 generator (named ``simulated-v1``).
- ``"auto"`` (the default everywhere): CIFAR-100 when found or downloadable, else simulated data;
  ``Dataset.source`` says which and why.
- a path to a ``cifar-100-python.tar.gz``-style archive or its extracted folder: any archive in the format loads,
  named ``cifar100`` (official checksum), ``simulated`` (tp2's marker) or ``archive-<fingerprint[:12]>``.

Caching: the archive is read (never extracted), validated and converted once into an immutable
``<cache_dir>/prepared/<archive sha256>.npz`` (temp file in the same dir, then ``os.replace``), under a file lock,
so N xdist workers on a cold cache prepare it once and then only read. ``cache_dir`` defaults to env
``TP2_CACHE``, else ``~/.cache/tp2``. Each preparation appends a line to ``<cache_dir>/preparations.log``.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from dataclasses import replace
from pathlib import Path

import filelock
import numpy as np

from . import cifar_format as cf
from ..fileio import atomic_file
from .dataset import Dataset, array_fingerprint
from ..errors import DataError, DataUnavailable
from .simulate import GENERATOR_VERSION, write_simulated_archive

SPECS = ("auto", "cifar100", "simulated", "simulated-v1")
CACHE_FORMAT = 1  # bump when the prepared .npz layout changes; older files are simply prepared again
LOCK_TIMEOUT = 1800  # s: preparing the real archive takes seconds; this only guards against a hung peer
ARRAYS = ("x_train", "y_train", "x_test", "y_test", "y_train_coarse", "y_test_coarse")
KERAS_LAYOUTS = (  # (path under <keras home>/datasets, description); archives first: they carry a checksum
    ("cifar-100-python-target_archive", "Keras >= 3.6 archive"),
    ("cifar-100-python.tar.gz", "Keras 3.0-3.5 archive"),
    ("cifar-100-python-target/cifar-100-python", "Keras >= 3.6 extracted folder"),
    ("cifar-100-python", "Keras 3.0-3.5 extracted folder"),
)
SIMULATED_DEFAULT = {"per_class_train": 500, "per_class_test": 100, "seed": 0}


def default_cache_dir() -> Path:
    """``$TP2_CACHE`` if set, else ``~/.cache/tp2``."""
    return Path(os.environ.get("TP2_CACHE") or Path.home() / ".cache" / "tp2").expanduser()


def load_dataset(
    spec: str | os.PathLike = "auto",
    *,
    data_path: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    download: bool | None = None,
) -> Dataset:
    """Load, validate (and cache) a dataset; ``download=None`` tries Keras only for 'cifar100'/'auto' when online."""
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    if data_path is None and os.environ.get("TP2_DATA"):
        data_path = os.environ["TP2_DATA"]
    spec = os.fspath(spec)
    if spec in ("simulated", "simulated-v1"):
        version = 1 if spec == "simulated-v1" else GENERATOR_VERSION
        return _load_simulated(cache, f"requested (--tp2-dataset {spec})", version)
    if spec not in SPECS:
        path = Path(spec).expanduser()
        if not path.exists():
            raise DataUnavailable(
                f"dataset {spec!r} is not {', '.join(SPECS)} nor an existing file or folder; pass one of those "
                f"or the path of a cifar-100-python.tar.gz-style archive or its extracted folder."
            )
        return _load_path(path, cache, official=False, where="given as the dataset")
    found, searched = _find_cifar(data_path)
    if found is not None:
        path, where = found
        official = spec == "cifar100" or where != "TP2_DATA / data_path"
        return _load_path(path, cache, official=official, where=where)
    why = _try_download(cache, download)
    if isinstance(why, Path):
        return _load_path(why, cache, official=True, where="downloaded through Keras")
    places = "; ".join(searched)
    if spec == "auto":  # the places themselves: Dataset.searched (the pytest header lists them under -v)
        ds = _load_simulated(cache, f"no CIFAR-100 archive in the {len(searched)} places searched; {why}")
        return replace(ds, searched=tuple(searched))
    raise DataUnavailable(
        f"CIFAR-100 not found. Searched: {places}. {why}. Expected {cf.OFFICIAL_FILENAME}: "
        f"{cf.OFFICIAL_SIZE:,} bytes, MD5 {cf.OFFICIAL_MD5}, SHA-256 {cf.OFFICIAL_SHA256}. Fix: download "
        f"{cf.OFFICIAL_URL} where there is internet and point TP2_DATA (--tp2-data) at it, or copy it to "
        f"{_keras_homes()[0] / 'datasets' / cf.OFFICIAL_FILENAME}; or use simulated data: --tp2-dataset simulated."
    )


def _keras_homes() -> list[Path]:
    home = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser()
    if os.access(home, os.W_OK):
        return [home]
    return [home, Path("/tmp/.keras")]  # where Keras's get_file falls back when the home is not writable


def _find_cifar(data_path) -> tuple[tuple[Path, str] | None, list[str]]:
    """The first CIFAR-100 candidate (path, where found), and the places searched (for messages)."""
    searched = []
    if data_path is not None:
        path = Path(data_path).expanduser()
        if not path.exists():
            raise DataUnavailable(
                f"TP2_DATA / --tp2-data points to {path}, which does not exist; point it at "
                f"{cf.OFFICIAL_FILENAME} or its extracted folder, or unset it."
            )
        return (path, "TP2_DATA / data_path"), [str(path)]
    for home in _keras_homes():
        for rel, label in KERAS_LAYOUTS:
            path = home / "datasets" / rel
            searched.append(f"{path} ({label})")
            if path.exists():
                return (path, f"Keras cache, {label}"), searched
    return None, searched


def _try_download(cache: Path, download: bool | None) -> Path | str:
    """The downloaded archive, or why there is none (a phrase for messages)."""
    if download is False:
        return "download disabled"
    if download is None and not _network_available():
        return "download skipped (offline: www.cs.toronto.edu is not reachable)"
    try:
        with _lock(cache / "download.lock"):  # one worker downloads; the others then find it in Keras's cache
            return _download_via_keras()
    except DataError:
        raise
    except Exception as exc:  # Keras raises a bare Exception("URL fetch failure …") when offline
        return f"download through Keras failed ({type(exc).__name__}: {exc})"


def _network_available(host: str = "www.cs.toronto.edu", port: int = 443, timeout: float = 2.0) -> bool:
    """Quick reachability check so 'auto' does not stall offline; tests replace it."""
    try:
        socket.create_connection((host, port), timeout=timeout).close()
        return True
    except OSError:
        return False


def _download_via_keras() -> Path:
    """Download the official archive into Keras's cache (``datasets/cifar-100-python.tar.gz``); tests replace it."""
    from keras.utils import get_file  # heavy import, only when downloading

    return Path(get_file(fname=cf.OFFICIAL_FILENAME, origin=cf.OFFICIAL_URL, file_hash=cf.OFFICIAL_SHA256))


def _load_simulated(cache: Path, reason: str, version: int = GENERATOR_VERSION) -> Dataset:
    cfg = SIMULATED_DEFAULT
    sizes = f"{cfg['per_class_train']}x{cfg['per_class_test']}"
    folder = cache / "simulated" / f"v{version}-seed{cfg['seed']}-{sizes}"  # the version keeps v1 and v2 apart
    archive = folder / cf.OFFICIAL_FILENAME
    if not archive.exists():
        with _lock(folder.with_name(folder.name + ".lock")):
            if not archive.exists():
                write_simulated_archive(folder, **cfg, version=version)
    ds = _load_path(archive, cache, official=False, where="tp2 simulated archive")
    return _with_source(ds, f"{ds.name}: {reason}; tp2-generated CIFAR-format data (generator v{version}, seed "
                            f"{cfg['seed']}, {cfg['per_class_train']}/{cfg['per_class_test']} per class) at "
                            f"{archive}")


def _load_path(path: Path, cache: Path, *, official: bool, where: str) -> Dataset:
    """Verify (official=True: must be the official archive), prepare once, and load ``path``."""
    members = None
    if path.is_dir():
        members = cf.read_folder_members(path)
        is_official = all(hashlib.md5(members[m]).hexdigest() == md5 for m, md5 in cf.OFFICIAL_MEMBER_MD5.items())
        key = hashlib.sha256(b"".join(hashlib.sha256(members[m]).digest() for m in cf.MEMBERS)).hexdigest()
        if official and not is_official:
            raise DataError(
                f"{path} ({where}) should hold the official CIFAR-100 members but their MD5s differ from "
                f"{cf.OFFICIAL_MEMBER_MD5}; nothing was deleted. Fix: remove the folder and stage the official "
                f"{cf.OFFICIAL_FILENAME}, or pass it as a path (--tp2-dataset {path}) to load it as another archive."
            )
    else:
        key = _sha256(path)
        is_official = key == cf.OFFICIAL_SHA256
        if official and not is_official:
            size, md5, _ = cf.file_digests(path)
            raise DataError(
                f"{path} ({where}) is named as the official CIFAR-100 archive but its checksum differs: expected "
                f"{cf.OFFICIAL_SIZE:,} bytes, MD5 {cf.OFFICIAL_MD5}, SHA-256 {cf.OFFICIAL_SHA256}; got "
                f"{size:,} bytes, MD5 {md5}, SHA-256 {key}. The file was left in place. Fix: delete it and "
                f"re-download {cf.OFFICIAL_URL}, or pass it as a path (--tp2-dataset {path}) to load it as "
                f"another archive."
            )
    prepared = cache / "prepared" / f"{key}.npz"
    if not prepared.exists():
        with _lock(prepared.with_suffix(".lock")):
            if not prepared.exists():  # another process may have prepared it while we waited
                _prepare(path, members, key, is_official, prepared)
    ds = _read_prepared(prepared)
    verified = "official checksum verified" if is_official else f"archive sha256 {key[:12]}"
    return _with_source(ds, f"{ds.name}: {path} ({where}; {verified})")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _prepare(path: Path, members, key: str, is_official: bool, prepared: Path) -> None:
    members = members if members is not None else cf.read_tar_members(path)
    parsed = cf.parse_members(members, str(path))
    arrays = {name: getattr(parsed, name) for name in ARRAYS}
    fp = array_fingerprint(*arrays.values())
    name = "cifar100" if is_official else f"archive-{fp[:12]}"
    if parsed.simulated and not is_official:
        name = _simulated_name(parsed.simulated)
    info = {"format": CACHE_FORMAT, "name": name, "fingerprint": fp, "simulated": parsed.simulated is not None,
            "generator": parsed.simulated, "archive_sha256": key, "prepared_from": str(path)}
    names = {"fine_label_names": np.array(parsed.fine_label_names),
             "coarse_label_names": np.array(parsed.coarse_label_names)}
    try:
        with atomic_file(prepared, mode=0o444) as f:  # immutable once written
            np.savez(f, **arrays, **names, info=np.array(json.dumps(info)))
    except OSError as exc:
        raise DataError(f"cache directory {prepared.parent} is not writable ({exc.strerror or exc}); set "
                        f"TP2_CACHE (or pass cache_dir / --tp2-cache) to a writable directory.") from None
    with open(prepared.parent.parent / "preparations.log", "a") as log:  # append: one line per preparation
        log.write(f"{key} pid={os.getpid()} time={time.time():.3f} from={path}\n")


def _simulated_name(marker: str) -> str:
    """``simulated`` for the current generator's archives, ``simulated-v1`` for the superseded v1's."""
    return "simulated-v1" if marker.startswith("tp2.simulate v1 ") else "simulated"


def _read_prepared(prepared: Path) -> Dataset:
    try:
        with np.load(prepared, allow_pickle=False) as z:
            info = json.loads(str(z["info"]))
            arrays = {name: z[name] for name in ARRAYS}
            fine_names, coarse_names = z["fine_label_names"].tolist(), z["coarse_label_names"].tolist()
    except Exception as exc:
        raise DataError(f"prepared cache file {prepared} is unreadable ({exc}); delete it and load again.") from None
    if info.get("format") != CACHE_FORMAT or array_fingerprint(*arrays.values()) != info.get("fingerprint"):
        raise DataError(
            f"prepared cache file {prepared} is corrupt or from another tp2 version (format/fingerprint "
            f"mismatch); delete it and load again."
        )
    for a in arrays.values():
        a.flags.writeable = False  # shared by every run of the session: nobody may change it in place
    return Dataset(**arrays, fine_label_names=fine_names, coarse_label_names=coarse_names, name=info["name"],
                   fingerprint=info["fingerprint"], simulated=info["simulated"])


def _with_source(ds: Dataset, source: str) -> Dataset:
    return replace(ds, source=source)


class _lock:
    """A file lock whose failures (unwritable cache, hung peer) become DataErrors naming the path and the fix."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock = filelock.FileLock(str(self.path), timeout=LOCK_TIMEOUT)
            self._lock.acquire()
        except filelock.Timeout:
            raise DataError(
                f"timed out after {LOCK_TIMEOUT} s waiting for lock {self.path}; another process holds it. "
                f"Stop that process (or delete the lock if none runs) and retry."
            ) from None
        except OSError as exc:
            raise DataError(
                f"cache directory {self.path.parent} is not writable ({exc.strerror or exc}); set TP2_CACHE "
                f"(or pass cache_dir / --tp2-cache) to a writable directory."
            ) from None
        return self

    def __exit__(self, *exc):
        self._lock.release()


def preparation_count(cache_dir: str | os.PathLike, key: str | None = None) -> int:
    """How many times an archive (any, or the one with sha256 ``key``) was prepared into this cache dir."""
    log = Path(cache_dir) / "preparations.log"
    if not log.exists():
        return 0
    return sum(1 for line in log.read_text().splitlines() if key is None or line.startswith(key))
