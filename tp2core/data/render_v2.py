"""Generator v2 (issue 15): simulated images in the natural-image regime, built without CIFAR-100.

Each image is a small scene, composed in float64 on a 32×32×3 canvas:
1. *Background*: a sky/ground split (soft horizon at a random row) whose two colours mix the coarse group's
   habitat colours with random ones, plus coloured 1/f noise (bilinearly upsampled white noise at cell sizes
   32, 16, 8, 4, 2 px with equal variance per octave: power ∝ f⁻², the slope of natural images).
2. *Clutter*: CLUTTER random soft ellipses (a dead-leaves layer: sizes from 1.5 to 11.5 px, skewed small,
   colours near the background's), anywhere in the frame.
3. *The object*: PARTS soft shapes (diamond, ellipse or rectangle) laid out in an object frame. The coarse group
   (fine // 5) fixes each part's kind, layout, size and orientation; a fine class perturbs them, adds its own
   colour scheme, and a striped texture of its own frequency, direction and strength. Per image the object is
   shifted (σ 3 px, at most 6), scaled (×0.7–1.4), rotated (σ ~11°), recoloured (class colours mixed with a random
   colour), shaded top to bottom, and partly hidden by an occluder with probability OCCLUDE.
4. *Camera*: a low-frequency illumination field, a per-image gain, a left-right flip with probability ½ (so
   labels survive flips), pixel noise, then a tone map per chunk of images: an affine map per channel (applied
   twice around the clip to [0, 1]) to CIFAR-100's published train-set channel means (0.507, 0.487, 0.441) and
   standard deviations (0.267, 0.256, 0.276).
Why: the class lives in shape, layout, texture and colour tendencies, all varying a lot within a class, on
backgrounds with natural statistics — so a raw-pixel linear classifier does poorly (as on CIFAR-100) while an
MLP can memorise a small training set (an overfitting regime). No parameter was chosen to make any of the notes'
claims come out one way; the only targets are the statistics above and those in issue 15 (tp2 data info).

Bit-identical under numpy 1.x and 2.x: only Generator draws (``standard_normal``, ``uniform``, ``integers``,
``random``), float64 + − × ÷, sqrt, floor, abs and clip — no transcendental functions (their SIMD versions
differ across numpy builds and CPUs) and no BLAS; the tone map's means are numpy's pairwise sums.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

PARTS = 4  # shapes per object: 3 from the coarse group's layout, 1 of the fine class's own
CLUTTER = 4  # background ellipses per image
OCCLUDE = 0.4  # probability that an occluder covers part of the object
CELLS = (32, 16, 8, 4, 2)  # px: cell sizes of the 1/f noise octaves (equal variance each: power ∝ f⁻²)
EDGE = 0.5  # px: width of the soft edge of every shape (32×32 photographs are slightly blurred)
TARGET_MEAN = np.array([0.507, 0.487, 0.441])  # CIFAR-100 train, per channel, pixels in [0, 1]
TARGET_STD = np.array([0.267, 0.256, 0.276])
CHUNK = 2048  # images per tone map (its moments are this chunk's) and per seed: a 50 MB float64 buffer
WORKERS = min(2, os.cpu_count() or 1)  # threads rendering chunks (the suite's reference machine has 2 cores)
RENDER_CHUNK = 128  # images rendered at once: float64 temporaries of ~3 MB stay in cache (3× faster than 2048)


@dataclass(frozen=True)
class Classes:
    """Per-fine-class scene parameters (arrays indexed by fine label 0–99, except ``sky``/``ground``: coarse)."""

    kind: np.ndarray  # int (100, PARTS): 0 diamond, 1 ellipse, 2 rectangle
    offset: np.ndarray  # (100, PARTS, 2): part centre (y, x) in object units (1 unit = the object's scale)
    axes: np.ndarray  # (100, PARTS, 2): part semi-axes (along, across) in object units
    direction: np.ndarray  # (100, PARTS, 2): part orientation as a unit vector (cos, sin)
    colour: np.ndarray  # (100, PARTS, 3): part colours in [0, 1]
    size: np.ndarray  # (100,): px per object unit, before the per-image scale
    stripe: np.ndarray  # (100, 3): texture frequency (cycles/px), unit direction (y, x) …
    stripe_amp: np.ndarray  # (100,): … and strength (fraction of the part's colour)
    sky: np.ndarray  # (20, 3): the coarse group's habitat colours above …
    ground: np.ndarray  # (20, 3): … and below the horizon


def make_classes(rng: np.random.Generator) -> Classes:
    """Draw the 20 coarse layouts and the 100 fine classes derived from them."""
    g_kind = rng.integers(0, 3, size=(20, PARTS - 1))
    g_offset = rng.normal(0.0, 0.45, size=(20, PARTS - 1, 2))
    g_axes = rng.uniform(0.25, 0.75, size=(20, PARTS - 1, 2))
    g_dir = _unit(rng.standard_normal((20, PARTS - 1, 2)))
    g_colour = rng.uniform(0.0, 1.0, size=(20, 3))
    sky, ground = rng.uniform(0.0, 1.0, size=(2, 20, 3))
    g = np.arange(100) // 5
    kind = np.concatenate([g_kind[g], rng.integers(0, 3, size=(100, 1))], axis=1)
    offset = np.concatenate([g_offset[g] + rng.normal(0.0, 0.15, size=(100, PARTS - 1, 2)),
                             rng.normal(0.0, 0.5, size=(100, 1, 2))], axis=1)
    axes = np.concatenate([g_axes[g] * rng.uniform(0.75, 1.33, size=(100, PARTS - 1, 2)),
                           rng.uniform(0.15, 0.45, size=(100, 1, 2))], axis=1)
    direction = _unit(np.concatenate([g_dir[g] + rng.normal(0.0, 0.3, size=(100, PARTS - 1, 2)),
                                      rng.standard_normal((100, 1, 2))], axis=1))
    base = 0.5 * g_colour[g] + 0.5 * rng.uniform(0.0, 1.0, size=(100, 3))
    colour = np.clip(base[:, None, :] + rng.normal(0.0, 0.15, size=(100, PARTS, 3)), 0.0, 1.0)
    size = rng.uniform(6.0, 10.0, size=100)
    stripe = np.concatenate([rng.uniform(0.12, 0.4, size=(100, 1)), _unit(rng.standard_normal((100, 2)))], axis=1)
    stripe_amp = rng.uniform(0.0, 0.5, size=100)
    return Classes(kind, offset, axes, direction, colour, size, stripe, stripe_amp, sky, ground)


def render_images(labels: np.ndarray, classes: Classes, rng: np.random.Generator) -> np.ndarray:
    """uint8 (N, 32, 32, 3) images of the given fine labels (see the module docstring).

    Each CHUNK of images draws from its own stream (seeded from ``rng``), so the chunks are rendered in up to
    WORKERS threads (numpy releases the GIL in its array loops) and the result does not depend on how many."""
    chunks = [labels[start : start + CHUNK] for start in range(0, len(labels), CHUNK)]
    seeds = rng.integers(0, 2**63, size=len(chunks)).tolist()
    work = [(fine, classes, s) for fine, s in zip(chunks, seeds)]
    workers = min(WORKERS, len(chunks))
    if workers <= 1:
        images = [_render_tone_chunk(*w) for w in work]
    else:  # threads, not processes: no fork under TensorFlow's threads, no spawn re-importing a caller's script
        with ThreadPoolExecutor(workers) as pool:
            images = list(pool.map(_render_tone_chunk, *zip(*work)))
    return np.concatenate(images) if images else np.empty((0, 32, 32, 3), np.uint8)


def _render_tone_chunk(fine: np.ndarray, classes: Classes, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.concatenate([_render_chunk(fine[i : i + RENDER_CHUNK], classes, rng)
                          for i in range(0, len(fine), RENDER_CHUNK)])
    return _tone_map(img)


_AR = np.arange(32, dtype=np.float64) + 0.5  # pixel centres, px
_YY = _AR[None, :, None]  # broadcast to (N, 32, 32)
_XX = _AR[None, None, :]


def _render_chunk(fine: np.ndarray, cls: Classes, rng: np.random.Generator) -> np.ndarray:
    """float64 (n, 32, 32, 3) scenes, before the tone map."""
    n = len(fine)
    coarse = fine // 5
    # 1. background: sky/ground colours with a soft horizon, plus coloured 1/f noise
    top = _mix(cls.sky[coarse], rng.uniform(0.0, 1.0, size=(n, 3)), rng.uniform(0.3, 0.9, size=(n, 1)))
    bottom = _mix(cls.ground[coarse], rng.uniform(0.0, 1.0, size=(n, 3)), rng.uniform(0.3, 0.9, size=(n, 1)))
    horizon = rng.uniform(6.0, 26.0, size=(n, 1, 1))
    softness = rng.uniform(1.0, 10.0, size=(n, 1, 1))
    t = np.clip((_YY - horizon) / softness + 0.5, 0.0, 1.0)[..., None]
    img = top[:, None, None, :] * (1.0 - t) + bottom[:, None, None, :] * t
    tint = rng.normal(0.0, 0.4, size=(n, 1, 1, 3))  # a coarse second noise field along a random colour
    noise = _pink_noise(rng, n, 1) + tint * _pink_noise(rng, n, 1, cells=CELLS[:3])  # luminance + colour
    img = img + rng.uniform(0.03, 0.12, size=(n, 1, 1, 1)) * noise
    # 2. clutter: a dead-leaves layer of soft ellipses
    for _ in range(CLUTTER):
        centre = rng.uniform(-4.0, 36.0, size=(n, 2))
        radius = 1.5 + 10.0 * rng.uniform(0.0, 1.0, size=(n, 1)) ** 2
        axes = radius * rng.uniform(0.5, 1.0, size=(n, 2))
        mask = _shape_mask(centre, axes, _unit(rng.standard_normal((n, 2))), None)
        colour = _mix(_mix(top, bottom, rng.uniform(0.0, 1.0, size=(n, 1))), rng.uniform(0.0, 1.0, size=(n, 3)),
                      rng.uniform(0.2, 0.8, size=(n, 1)))
        img = _over(img, mask, colour[:, None, None, :])
    # 3. the object: class layout under a per-image shift, scale and rotation; recoloured, striped, shaded
    centre = 16.0 + np.clip(rng.normal(0.0, 3.0, size=(n, 2)), -6.0, 6.0)
    scale = cls.size[fine] * rng.uniform(0.7, 1.4, size=n)  # px per object unit
    rot = _unit(np.stack([np.ones(n), rng.normal(0.0, 0.2, size=n)], axis=1))  # (cos, sin), ~±12°
    recolour = rng.uniform(0.0, 1.0, size=(n, 3))
    tint_weight = rng.uniform(0.1, 0.6, size=(n, 1))
    stripe = cls.stripe[fine]
    phase = rng.uniform(0.0, 1.0, size=(n, 1, 1))
    along = ((_YY - centre[:, 0, None, None]) * stripe[:, 1, None, None]
             + (_XX - centre[:, 1, None, None]) * stripe[:, 2, None, None])
    texture = 1.0 + cls.stripe_amp[fine][:, None, None] * (_triangle(along * stripe[:, 0, None, None] + phase) - 0.5)
    shading = 1.0 - 0.25 * np.clip((_YY - centre[:, 0, None, None]) / (2.0 * scale[:, None, None]), -1.0, 1.0)
    surface = (texture * shading)[..., None]
    for p in range(PARTS):
        off = cls.offset[fine, p] * scale[:, None]
        part_centre = centre + np.stack([rot[:, 0] * off[:, 0] + rot[:, 1] * off[:, 1],
                                         rot[:, 0] * off[:, 1] - rot[:, 1] * off[:, 0]], axis=1)
        d = cls.direction[fine, p]
        direction = np.stack([d[:, 0] * rot[:, 0] - d[:, 1] * rot[:, 1], d[:, 0] * rot[:, 1] + d[:, 1] * rot[:, 0]], 1)
        mask = _shape_mask(part_centre, cls.axes[fine, p] * scale[:, None], direction, cls.kind[fine, p])
        colour = _mix(cls.colour[fine, p], recolour, tint_weight)[:, None, None, :]
        img = _over(img, mask, colour * surface)
    hidden = rng.random(n) < OCCLUDE
    occ_centre = centre + scale[:, None] * rng.normal(0.0, 0.8, size=(n, 2))
    occ_axes = scale[:, None] * rng.uniform(0.2, 0.6, size=(n, 2))
    occ = _shape_mask(occ_centre, occ_axes, _unit(rng.standard_normal((n, 2))), rng.integers(0, 3, size=n))
    occ_colour = _mix(top, rng.uniform(0.0, 1.0, size=(n, 3)), rng.uniform(0.3, 1.0, size=(n, 1)))
    img = _over(img, occ * hidden[:, None, None], occ_colour[:, None, None, :])
    # 4. camera: illumination, gain, flip, noise
    img *= (1.0 + 0.2 * _pink_noise(rng, n, 1, cells=CELLS[:2])) * rng.uniform(0.6, 1.3, size=(n, 1, 1, 1))
    flip = rng.random(n) < 0.5
    img[flip] = img[flip, :, ::-1]
    img += rng.uniform(0.025, 0.045, size=(n, 1, 1, 1)) * rng.standard_normal(img.shape)  # sensor noise
    return img


def _shape_mask(centre: np.ndarray, axes: np.ndarray, direction: np.ndarray, kind: np.ndarray | None) -> np.ndarray:
    """(n, 32, 32) coverage in [0, 1] of soft shapes: centre (n, 2) px (y, x), semi-axes (n, 2) px (along,
    across ``direction``, a unit (n, 2) vector (cos, sin) from the x axis), kind (n,) 0 diamond / 1 ellipse /
    2 rectangle, None all ellipses; the edge ramps over EDGE px."""
    dy = _YY - centre[:, 0, None, None]
    dx = _XX - centre[:, 1, None, None]
    c, s = direction[:, 0, None, None], direction[:, 1, None, None]
    a, b = axes[:, 0, None, None], axes[:, 1, None, None]
    u = np.abs(dx * c + dy * s) * (1.0 / a)
    v = np.abs(dy * c - dx * s) * (1.0 / b)
    u2, v2 = u * u, v * v
    if kind is None:
        dist = np.sqrt(u2 + v2)
    else:
        k = kind[:, None, None]
        dist = np.where(k == 0, u + v, np.where(k == 1, np.sqrt(u2 + v2), np.maximum(u, v)))
    return np.clip((1.0 - dist) * np.sqrt(a * b) / EDGE + 0.5, 0.0, 1.0)


def _pink_noise(rng: np.random.Generator, n: int, channels: int, cells: tuple[int, ...] = CELLS) -> np.ndarray:
    """(n, 32, 32, channels) noise with power ∝ f⁻²: bilinearly upsampled unit white noise, one octave per cell
    size (px), each octave with the same weight; scaled to unit variance at the grid nodes."""
    out = np.zeros((n, 32, 32, channels))
    for cell in cells:
        nodes = 32 // cell + 2
        grid = rng.standard_normal((n, nodes, nodes, channels))
        pos = _AR / cell + 0.5  # in node units; node i sits at px (i - 0.5) · cell
        i0 = np.floor(pos).astype(np.int64)
        w = (pos - i0)[:, None]  # (32, 1): weight of the next node, along the last-but-one axis
        rows = np.take(grid, i0, axis=1) * (1.0 - w[..., None]) + np.take(grid, i0 + 1, axis=1) * w[..., None]
        out += np.take(rows, i0, axis=2) * (1.0 - w) + np.take(rows, i0 + 1, axis=2) * w  # (n, 32, 32, ch)
    return out / np.sqrt(len(cells))


def _tone_map(img: np.ndarray) -> np.ndarray:
    """uint8 pixels: an affine map per channel to TARGET_MEAN / TARGET_STD (moments of every 4th image of the
    chunk), clipped to [0, 1]; applied twice so the clip's shift of the moments is corrected; then × 255."""
    for scale, top in ((1.0, 1.0), (255.0, 255.0)):
        flat = img[::4].reshape(-1, 3)
        mean = flat.mean(axis=0)
        std = np.sqrt((flat * flat).mean(axis=0) - mean * mean)
        gain = scale * TARGET_STD / std
        img *= gain
        img += scale * TARGET_MEAN - mean * gain
        np.clip(img, 0.0, top, out=img)
    return np.rint(img).astype(np.uint8)


def _over(img: np.ndarray, mask: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """Paint ``colour`` over ``img`` (in place) with coverage ``mask`` (n, 32, 32)."""
    img += (colour - img) * mask[..., None]
    return img


def _mix(a: np.ndarray, b: np.ndarray, weight: np.ndarray) -> np.ndarray:
    return a * (1.0 - weight) + b * weight


def _unit(v: np.ndarray) -> np.ndarray:
    """Rows of ``v`` (..., 2) scaled to length 1 (a direction drawn without trigonometry)."""
    return v / np.sqrt((v * v).sum(axis=-1, keepdims=True))


def _triangle(t: np.ndarray) -> np.ndarray:
    """Triangle wave in [0, 1] with period 1 (stripes without sin)."""
    return np.abs(2.0 * (t - np.floor(t)) - 1.0)
