"""Data augmentation in numpy: the proper one (Quinto Modelo) and the notes' single-batch bug, both explicit.

The notes say only "imagenes augmentadas"; we assume Keras' ``ImageDataGenerator`` (its era: ``rotation_range``,
``width_shift_range``, ``height_shift_range``, ``horizontal_flip``) with the ranges below (README: reconstructions,
"augmentation ranges"). We reproduce what it does to one image — a random affine map
(rotation about the centre + shift, then horizontal flip), bilinear sampling (``order=1``) and edge
replication outside the image (``fill_mode="nearest"``, its default) — vectorised over the whole batch with
one gather per bilinear corner, so a 50,000-image set is augmented in about a second.

Everything is uint8 in, uint8 out, and deterministic from ``seed`` (``numpy.random.default_rng``).
Augmentation happens once, before training, exactly like the notes' concatenation: epochs then reuse the set.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError

ROTATION_DEGREES = 15.0  # rotation_range=15: angle uniform in [-15°, +15°]; our choice (README: reconstructions)
SHIFT_FRACTION = 0.1  # width/height_shift_range=0.1: shift uniform in ±10% of 32 px = ±3.2 px


def full_augmentation(
    x: np.ndarray,
    y: np.ndarray,
    seed: int,
    *,
    rotation_degrees: float = ROTATION_DEGREES,
    shift_fraction: float = SHIFT_FRACTION,
    flip: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Every image augmented once, concatenated with the originals and shuffled: 2N images.

    The notes (Quinto Modelo): "concatene y mezcle las imagenes originales con los augmentados, así tengo
    el doble de datos para entrenar". x: uint8 (N, H, W, C); y: (N,) labels, kept aligned.
    """
    _check(x, y, seed)
    rng = np.random.default_rng(seed)
    augmented = random_transform(x, rng, rotation_degrees=rotation_degrees, shift_fraction=shift_fraction, flip=flip)
    order = rng.permutation(2 * len(x))
    return np.concatenate([x, augmented])[order], np.concatenate([y, y])[order]


def single_batch_bug(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The notes' mistake: only ONE batch of augmented images is appended to the originals.

    The notes (Quinto Modelo): "me di cuenta que no estaba entrenando correctamente al modelo con data
    augmentation, no tomaba todas las imagenes posibles sino un solo batch, es por esto que mejoro el
    performance de la red con data augmentation cuando aumente el batch size."
    That is ``x_aug, y_aug = next(datagen.flow(x, y, batch_size=batch_size))`` then
    ``np.concatenate([x, x_aug])``: ``flow`` shuffles, so its first batch is ``batch_size`` distinct random
    training images (all of them when the set is smaller). The augmented share therefore grows with the
    batch size: 128 of 50,000 (0.26%) at batch 128, 1,024 (2%) at batch 1024.
    Returns N + min(batch_size, N) images, originals first (the notes concatenated; fit shuffles per epoch).
    A profile that scales the training set passes the scaled count (``Variant.augmented_by_bug``) as
    ``batch_size``, so the share stays the notes'.
    """
    _check(x, y, seed)
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
        raise ConfigError(f"'batch_size' must be a positive int (got {batch_size!r}).")
    rng = np.random.default_rng(seed)
    picked = rng.permutation(len(x))[:batch_size]
    augmented = random_transform(x[picked], rng)
    return np.concatenate([x, augmented]), np.concatenate([y, y[picked]])


def augment_for(variant, x: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The training set a variant trains on: unchanged, fully augmented, or with the single-batch bug."""
    if variant.augmentation == "none":
        return x, y
    if variant.augmentation == "full":
        return full_augmentation(x, y, seed)
    if variant.augmentation == "single_batch_bug":
        return single_batch_bug(x, y, variant.augmented_by_bug, seed)
    raise ConfigError(
        f"'augmentation' must be one of 'none', 'full', 'single_batch_bug' (got {variant.augmentation!r})."
    )


def random_transform(
    x: np.ndarray,
    rng: np.random.Generator,
    *,
    rotation_degrees: float = ROTATION_DEGREES,
    shift_fraction: float = SHIFT_FRACTION,
    flip: bool = True,
) -> np.ndarray:
    """One random rotation + shift + (p=0.5) horizontal flip per image, bilinear, edges replicated.

    x: uint8 (N, H, W, C) → uint8 (N, H, W, C). With rotation 0 and whole-pixel shifts the result is an exact
    pixel copy (the bilinear weights are exactly 0/1), which the tests use to check flips.
    """
    n, h, w, _ = x.shape
    if n == 0:
        return x.copy()
    angle = np.deg2rad(rng.uniform(-rotation_degrees, rotation_degrees, n)) if rotation_degrees else np.zeros(n)
    ty = rng.uniform(-shift_fraction, shift_fraction, n) * h if shift_fraction else np.zeros(n)
    tx = rng.uniform(-shift_fraction, shift_fraction, n) * w if shift_fraction else np.zeros(n)
    flipped = rng.random(n) < 0.5 if flip else np.zeros(n, dtype=bool)
    return _affine_sample(x, angle, ty, tx, flipped)


_CHUNK = 1024  # images per vectorised pass: keeps the float temporaries (~16 MB) in cache; 2× faster than all-at-once


def _affine_sample(x, angle, ty, tx, flipped) -> np.ndarray:
    """Inverse-map every output pixel to its source coordinate and sample bilinearly. Angles in radians."""
    out = np.empty_like(x)
    for i in range(0, len(x), _CHUNK):
        s = slice(i, i + _CHUNK)
        out[s] = _affine_chunk(x[s], angle[s], ty[s], tx[s], flipped[s])
    return out


def _affine_chunk(x, angle, ty, tx, flipped) -> np.ndarray:
    n, h, w, c = x.shape
    cy, cx = (h - 1) / 2.0, (w - 1) / 2.0  # rotate about the image centre, as ImageDataGenerator does
    oy = np.arange(h, dtype=np.float32)[None, :, None] - np.float32(cy)  # (1, H, 1) output rows from centre
    ox = np.arange(w, dtype=np.float32)[None, None, :] - np.float32(cx)  # (1, 1, W)
    ox = np.where(flipped[:, None, None], -ox, ox)  # flipped output: column j samples column W-1-j
    cos = np.cos(angle).astype(np.float32)[:, None, None]
    sin = np.sin(angle).astype(np.float32)[:, None, None]
    sy = cos * oy - sin * ox + (cy - ty).astype(np.float32)[:, None, None]  # (N, H, W) source rows
    sx = sin * oy + cos * ox + (cx - tx).astype(np.float32)[:, None, None]
    y0 = np.floor(sy)
    x0 = np.floor(sx)
    fy = (sy - y0)[..., None]  # bilinear weights, (N, H, W, 1)
    fx = (sx - x0)[..., None]
    # fill_mode="nearest": pad one replicated pixel on every side, then clamp the top-left corner into
    # [-1, size-1]; all four corners of a far-outside coordinate then land on the edge pixel.
    pw = w + 2
    padded = np.zeros((n, h + 2, pw, 4), np.uint8)  # RGB + one spare byte = one uint32 per pixel
    padded[:, 1:-1, 1:-1, :c] = x
    padded[:, 0] = padded[:, 1]
    padded[:, -1] = padded[:, -2]
    padded[:, :, 0] = padded[:, :, 1]
    padded[:, :, -1] = padded[:, :, -2]
    flat = padded.view(np.uint32).reshape(-1)
    yi = np.clip(y0, -1, h - 1).astype(np.int32) + 1
    xi = np.clip(x0, -1, w - 1).astype(np.int32) + 1
    i00 = (np.arange(n, dtype=np.int32) * ((h + 2) * pw))[:, None, None] + yi * pw + xi

    def corner(idx):
        return np.take(flat, idx).view(np.uint8).reshape(n, h, w, 4).astype(np.float32)

    top, top_r, bottom, bottom_r = corner(i00), corner(i00 + 1), corner(i00 + pw), corner(i00 + pw + 1)
    top_r -= top
    top_r *= fx
    top += top_r  # top row, interpolated along x
    bottom_r -= bottom
    bottom_r *= fx
    bottom += bottom_r
    bottom -= top
    bottom *= fy
    top += bottom  # then along y
    np.rint(top, out=top)
    return top[..., :c].astype(np.uint8)


def _check(x: np.ndarray, y: np.ndarray, seed: int) -> None:
    if not isinstance(x, np.ndarray) or x.dtype != np.uint8 or x.ndim != 4:
        raise ConfigError(
            f"'x' must be a uint8 array (N, H, W, C) (got {getattr(x, 'dtype', type(x).__name__)} "
            f"{getattr(x, 'shape', '')}); pass the raw images, before scaling by 1/255."
        )
    if len(y) != len(x):
        raise ConfigError(f"'y' must have one label per image (got {len(y)} labels for {len(x)} images).")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ConfigError(f"'seed' must be a non-negative int (got {seed!r}).")
