"""Simulated CIFAR-100-format archives, in CIFAR-100's exact python format, byte-identical per arguments.

The images come from a versioned generator: ``render_v2`` (the default, issue 15: natural-image statistics and
CIFAR-100's difficulty, see its docstring) or ``render_v1`` (kept under its version name, spec
``simulated-v1``: one template blob per class). The version is part of the archive's marker, of its cache folder
and hence of the dataset fingerprint, so nothing measured on one version is reused for the other.

The archive is CIFAR-100's exact python format (Python-2 pickles, protocol 2, bytes keys, channel-planar rows),
with a ``tp2_simulated`` marker in ``meta``; it is byte-identical for the same arguments (fixed tar/gzip times).
Generating the 60,000 images of the default archive takes well under a minute on a 2-core machine (measured
figure in README.md, "Simulated data").
"""

from __future__ import annotations

import gzip
import io
import os
import pickle
import struct
import tarfile
from pathlib import Path

import numpy as np

from . import render_v1, render_v2
from .cifar_format import OFFICIAL_FILENAME, SIMULATED_MARKER, TOP_DIR, _reconstruct
from ..errors import ConfigError, DataError
from ..fileio import atomic_file

GENERATOR_VERSION = 2  # the default; bump (and add a renderer) when the images change meaning
GENERATORS = {1: render_v1, 2: render_v2}  # version → module with make_classes(rng) and render_images(...)
FIXED_MTIME = 0  # tar and gzip timestamps, for byte-identical archives


def write_simulated_archive(
    out_dir: str | os.PathLike,
    per_class_train: int = 500,
    per_class_test: int = 100,
    seed: int = 0,
    version: int = GENERATOR_VERSION,
) -> Path:
    """Write ``out_dir/cifar-100-python.tar.gz`` (atomically) and return its path. Deterministic in the args."""
    for name, value in (("per_class_train", per_class_train), ("per_class_test", per_class_test)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{name!r} must be a positive int (got {value!r}).")
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**32:
        raise ConfigError(f"'seed' must be an int in [0, 2**32) (got {seed!r}).")
    if version not in GENERATORS:
        raise ConfigError(f"'version' must be one of {sorted(GENERATORS)} (got {version!r}).")
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create output directory {out} ({exc}); choose a writable --out.") from None
    members = simulated_members(per_class_train, per_class_test, seed, version)
    # level 1: the images barely compress (natural-image noise), so a higher level only costs time
    return write_tar_gz(out / OFFICIAL_FILENAME, members, compresslevel=1)


def simulated_members(
    per_class_train: int, per_class_test: int, seed: int, version: int = GENERATOR_VERSION
) -> dict[str, bytes]:
    """The pickled train/test/meta members of a simulated archive."""
    generator = GENERATORS[version]
    rng = np.random.default_rng([version, seed])
    classes = generator.make_classes(rng)
    fine_names = [f"sim{k:02d}" for k in range(100)]
    members = {}
    for split, per_class, batch in (("train", per_class_train, "training"), ("test", per_class_test, "testing")):
        labels = rng.permutation(np.repeat(np.arange(100), per_class))
        images = generator.render_images(labels, classes, rng)
        members[split] = dumps_py2({
            b"filenames": [f"{fine_names[c]}_s_{i:06d}.png".encode() for i, c in enumerate(labels)],
            b"batch_label": f"{batch} batch 1 of 1".encode(),
            b"fine_labels": labels.tolist(),
            b"coarse_labels": (labels // 5).tolist(),
            b"data": images.transpose(0, 3, 1, 2).reshape(len(labels), 3072),  # channel-planar rows
        })
    marker = f"tp2.simulate v{version} seed={seed} per_class_train={per_class_train} "
    marker += f"per_class_test={per_class_test}"
    members["meta"] = dumps_py2({
        b"fine_label_names": [n.encode() for n in fine_names],
        b"coarse_label_names": [f"simgroup{c:02d}".encode() for c in range(20)],
        SIMULATED_MARKER.encode(): marker.encode(),
    })
    return members


# --- Python-2 pickles and a reproducible tar.gz ----------------------------------------------------------------

_GLOBAL_NAMES = {  # by identity: the only globals a CIFAR pickle may reference, spelled as Python 2 numpy did
    id(_reconstruct()): b"numpy.core.multiarray\n_reconstruct\n",
    id(np.ndarray): b"numpy\nndarray\n",
    id(np.dtype): b"numpy\ndtype\n",
}


class _Py2Pickler(pickle._Pickler):  # the pure-Python pickler: its dispatch table can be extended
    """Protocol 2 as Python 2 wrote it: bytes and str as py2 ``str`` (BINSTRING), numpy globals as numpy 1 did."""

    dispatch = dict(pickle._Pickler.dispatch)

    def _save_py2_str(self, obj) -> None:
        data = obj.encode("latin-1") if isinstance(obj, str) else bytes(obj)
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)
        self.memoize(obj)

    dispatch[bytes] = _save_py2_str
    dispatch[str] = _save_py2_str

    def save_global(self, obj, name=None) -> None:
        try:
            self.write(pickle.GLOBAL + _GLOBAL_NAMES[id(obj)])
        except KeyError:
            raise pickle.PicklingError(f"{obj!r} has no place in a CIFAR pickle") from None
        self.memoize(obj)


def dumps_py2(obj: object) -> bytes:
    """Pickle dicts/lists/ints/bytes/uint8 arrays exactly as CIFAR's Python-2 files are (protocol 2)."""
    buf = io.BytesIO()
    _Py2Pickler(buf, protocol=2).dump(obj)
    return buf.getvalue()


def write_tar_gz(path: Path, members: dict[str, bytes], top: str = TOP_DIR, compresslevel: int = 6) -> Path:
    """A reproducible ``top/<member>`` tar.gz (fixed times, owners, modes), written atomically (fileio.atomic_file:
    temp file, fsync, rename)."""
    path = Path(path)
    with atomic_file(path) as raw:
        gz_args = {"mtime": FIXED_MTIME, "compresslevel": compresslevel}  # no name, fixed time: reproducible
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, **gz_args) as gz:
            with tarfile.open(fileobj=gz, mode="w", format=tarfile.USTAR_FORMAT) as tar:
                tar.addfile(_info(top + "/", tarfile.DIRTYPE, 0, 0o755))
                for name, data in members.items():
                    tar.addfile(_info(f"{top}/{name}", tarfile.REGTYPE, len(data), 0o644), io.BytesIO(data))
    return path


def _info(name: str, kind: bytes, size: int, mode: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.size, info.mode, info.mtime = kind, size, mode, FIXED_MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info
