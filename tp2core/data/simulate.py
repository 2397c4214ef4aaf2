"""Simulated CIFAR-100-format archives: images an MLP learns well above chance and far from perfectly.

How the images are made (all numpy, vectorised in chunks; the full 60,000-image archive takes ~12 s on a
shared 2-core machine, two thirds of it pixel arithmetic, the rest pickling and gzip):
- 20 coarse classes each own a *coarse part*: 3 smooth coloured shapes (Gaussian blobs or elongated strokes at
  a random angle) on a 40×40 canvas. Each of the 100 fine classes (fine k belongs to coarse k // 5) adds a
  *fine part*: 2 shapes of its own. The 5 fine classes of a coarse class share the coarse part, so they are
  confusable with each other, as CIFAR-100's fine classes within a superclass are.
- One image = background + contrast × (a·coarse part + b·fine part) + noise, where the 32×32 window onto the
  canvas is shifted by up to ±SHIFT px (the fine part jitters ±1 px more), then the whole image is flipped left-
  right with probability ½; a, b jitter per image; the background is a random colour with a linear gradient;
  per-image brightness/contrast jitter and Gaussian pixel noise follow.
Why: class identity is defined up to flips and small shifts while pixel positions vary, so an MLP (which has no
translation invariance) gains from seeing more shifted/flipped copies — augmentation can matter, as in the notes.
With the quick profile (3×Dense(1000, relu), Adam 1e-3, batch 128, 8 epochs, 30 train / 20 validation images
per class, 1 intra-op thread) the notes' model2 reached 33.7 %, 29.2 % and 30.7 % validation accuracy (seeds
0–2, TF-CPU 2.21 / Keras 3.15): near the middle of the 15–45 % band the suite needs (chance is 1 %).

The archive is CIFAR-100's exact python format (Python-2 pickles, protocol 2, bytes keys, channel-planar rows),
with a ``tp2_simulated`` marker in ``meta``; it is byte-identical for the same arguments (fixed tar/gzip times).
"""

from __future__ import annotations

import gzip
import io
import os
import pickle
import struct
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from .cifar_format import OFFICIAL_FILENAME, SIMULATED_MARKER, TOP_DIR, _reconstruct
from ..errors import ConfigError, DataError

GENERATOR_VERSION = 1  # bump when the images change meaning (it is part of the marker)
SHIFT = 4  # px: maximal shift of the object window, each axis
PAD = SHIFT + 1  # canvas margin so shifted windows never leave the canvas
CANVAS = 32 + 2 * PAD
NOISE_STD = 25.0  # pixel noise, in 0–255 units
# per-image range of the fine part's weight (coarse part: 0.7–1.1); with NOISE_STD, the knob that sets how
# separable fine classes are: tuned so model2 under the quick profile lands mid 15–45 % (measured ~31 %)
FINE_WEIGHT = (0.9, 1.3)
BACKGROUND = (90.0, 160.0)  # range of the per-image, per-channel background level
GRADIENT = 15.0  # max background change from the centre to an edge
CONTRAST = (0.7, 1.3)  # per-image contrast factor on the object
CHUNK = 4096  # images generated at once (bounds memory to ~100 MB of float32)
FIXED_MTIME = 0  # tar and gzip timestamps, for byte-identical archives


def write_simulated_archive(
    out_dir: str | os.PathLike, per_class_train: int = 500, per_class_test: int = 100, seed: int = 0
) -> Path:
    """Write ``out_dir/cifar-100-python.tar.gz`` (atomically) and return its path. Deterministic in the args."""
    for name, value in (("per_class_train", per_class_train), ("per_class_test", per_class_test)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{name!r} must be a positive int (got {value!r}).")
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**32:
        raise ConfigError(f"'seed' must be an int in [0, 2**32) (got {seed!r}).")
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create output directory {out} ({exc}); choose a writable --out.") from None
    members = simulated_members(per_class_train, per_class_test, seed)
    return write_tar_gz(out / OFFICIAL_FILENAME, members)


def simulated_members(per_class_train: int, per_class_test: int, seed: int) -> dict[str, bytes]:
    """The pickled train/test/meta members of a simulated archive."""
    rng = np.random.default_rng([GENERATOR_VERSION, seed])
    coarse_parts = np.stack([_render_part(rng, 3) for _ in range(20)])
    fine_parts = np.stack([_render_part(rng, 2) for _ in range(100)])
    fine_names = [f"sim{k:02d}" for k in range(100)]
    members = {}
    for split, per_class, batch in (("train", per_class_train, "training"), ("test", per_class_test, "testing")):
        labels = rng.permutation(np.repeat(np.arange(100), per_class))
        images = render_images(labels, coarse_parts, fine_parts, rng)
        members[split] = dumps_py2({
            b"filenames": [f"{fine_names[c]}_s_{i:06d}.png".encode() for i, c in enumerate(labels)],
            b"batch_label": f"{batch} batch 1 of 1".encode(),
            b"fine_labels": labels.tolist(),
            b"coarse_labels": (labels // 5).tolist(),
            b"data": images.transpose(0, 3, 1, 2).reshape(len(labels), 3072),  # channel-planar rows
        })
    marker = f"tp2.simulate v{GENERATOR_VERSION} seed={seed} per_class_train={per_class_train} "
    marker += f"per_class_test={per_class_test}"
    members["meta"] = dumps_py2({
        b"fine_label_names": [n.encode() for n in fine_names],
        b"coarse_label_names": [f"simgroup{c:02d}".encode() for c in range(20)],
        SIMULATED_MARKER.encode(): marker.encode(),
    })
    return members


def _render_part(rng: np.random.Generator, shapes: int) -> np.ndarray:
    """float32 (CANVAS, CANVAS, 3): a sum of smooth coloured blobs/strokes, values roughly in ±90."""
    # float64 on purpose: numpy 2 (NEP 50) promotes float32 arrays with the float64 centres below to float64,
    # numpy 1 did not; computing in float64 everywhere makes the archive bit-identical under both.
    yy, xx = np.mgrid[0:CANVAS, 0:CANVAS].astype(np.float64)
    part = np.zeros((CANVAS, CANVAS, 3), np.float32)
    for _ in range(shapes):
        cy, cx = rng.uniform(PAD + 5, CANVAS - PAD - 5, size=2)
        angle = rng.uniform(0, np.pi)
        long, short = (rng.uniform(4, 8), rng.uniform(1.5, 2.5)) if rng.random() < 0.5 else (rng.uniform(2.5, 4.5),) * 2
        u = (xx - cx) * np.cos(angle) + (yy - cy) * np.sin(angle)
        v = -(xx - cx) * np.sin(angle) + (yy - cy) * np.cos(angle)
        blob = np.exp(-0.5 * ((u / long) ** 2 + (v / short) ** 2))
        part += blob[..., None] * rng.uniform(-90, 90, size=3).astype(np.float32)
    return part


def render_images(
    labels: np.ndarray, coarse_parts: np.ndarray, fine_parts: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """uint8 (N, 32, 32, 3) images of the given fine labels (see the module docstring)."""
    out = np.empty((len(labels), 32, 32, 3), np.uint8)
    ar = np.arange(32)
    ramp = (np.arange(32, dtype=np.float32) - 15.5) / 15.5  # −1..1 across the image
    for start in range(0, len(labels), CHUNK):
        fine = labels[start : start + CHUNK]
        n = len(fine)
        dy, dx = rng.integers(-SHIFT, SHIFT + 1, size=(2, n))
        jy, jx = np.clip(np.stack([dy, dx]) + rng.integers(-1, 2, size=(2, n)), -PAD, PAD)
        a = rng.uniform(0.7, 1.1, size=(n, 1, 1, 1)).astype(np.float32)
        b = rng.uniform(*FINE_WEIGHT, size=(n, 1, 1, 1)).astype(np.float32)
        obj = a * _windows(coarse_parts, fine // 5, dy, dx, ar) + b * _windows(fine_parts, fine, jy, jx, ar)
        flip = rng.random(n) < 0.5
        obj[flip] = obj[flip, :, ::-1]
        base = rng.uniform(*BACKGROUND, size=(n, 1, 1, 3)).astype(np.float32)
        grad = rng.uniform(-GRADIENT, GRADIENT, size=(2, n, 1, 1, 3)).astype(np.float32)
        background = base + grad[0] * ramp[None, None, :, None] + grad[1] * ramp[None, :, None, None]
        contrast = rng.uniform(*CONTRAST, size=(n, 1, 1, 1)).astype(np.float32)
        noise = rng.standard_normal((n, 32, 32, 3), dtype=np.float32) * NOISE_STD
        img = background + contrast * obj + noise
        out[start : start + n] = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    return out


def _windows(parts: np.ndarray, idx: np.ndarray, dy: np.ndarray, dx: np.ndarray, ar: np.ndarray) -> np.ndarray:
    """Gather the 32×32 window of ``parts[idx]`` offset by (dy, dx) from the canvas centre, per image."""
    rows = (PAD + dy)[:, None, None] + ar[None, :, None]
    cols = (PAD + dx)[:, None, None] + ar[None, None, :]
    return parts[idx[:, None, None], rows, cols]


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
    """A reproducible ``top/<member>`` tar.gz (fixed times, owners, modes), written to a temp file then renamed."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as raw:
            gz_args = {"mtime": FIXED_MTIME, "compresslevel": compresslevel}  # no name, fixed time: reproducible
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, **gz_args) as gz:
                with tarfile.open(fileobj=gz, mode="w", format=tarfile.USTAR_FORMAT) as tar:
                    tar.addfile(_info(top + "/", tarfile.DIRTYPE, 0, 0o755))
                    for name, data in members.items():
                        tar.addfile(_info(f"{top}/{name}", tarfile.REGTYPE, len(data), 0o644), io.BytesIO(data))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _info(name: str, kind: bytes, size: int, mode: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.size, info.mode, info.mtime = kind, size, mode, FIXED_MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info
