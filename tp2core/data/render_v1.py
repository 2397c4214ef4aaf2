"""Generator v1 (kept under its version name, spec ``simulated-v1``): one template blob per class.

- 20 coarse classes each own a *coarse part*: 3 smooth coloured shapes (Gaussian blobs or elongated strokes at
  a random angle) on a 40×40 canvas. Each of the 100 fine classes (fine k belongs to coarse k // 5) adds a
  *fine part*: 2 shapes of its own.
- One image = background + contrast × (a·coarse part + b·fine part) + noise, where the 32×32 window onto the
  canvas is shifted by up to ±SHIFT px (the fine part jitters ±1 px more), then the whole image is flipped left-
  right with probability ½; a, b jitter per image; the background is a random colour with a linear gradient.
Not in the natural-image regime (channel std 0.15, spectrum slope −0.88, adjacent-pixel correlation 0.39; a
ridge probe on 30 images per class scores 55 %): superseded by v2 (render_v2.py, issue 15).
"""

from __future__ import annotations

import numpy as np

SHIFT = 4  # px: maximal shift of the object window, each axis
PAD = SHIFT + 1  # canvas margin so shifted windows never leave the canvas
CANVAS = 32 + 2 * PAD
NOISE_STD = 25.0  # pixel noise, in 0–255 units
FINE_WEIGHT = (0.9, 1.3)  # per-image range of the fine part's weight (coarse part: 0.7–1.1)
BACKGROUND = (90.0, 160.0)  # range of the per-image, per-channel background level
GRADIENT = 15.0  # max background change from the centre to an edge
CONTRAST = (0.7, 1.3)  # per-image contrast factor on the object
CHUNK = 4096  # images generated at once (bounds memory to ~100 MB of float32)


def make_classes(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(coarse parts (20, CANVAS, CANVAS, 3), fine parts (100, CANVAS, CANVAS, 3)), float32."""
    coarse_parts = np.stack([_render_part(rng, 3) for _ in range(20)])
    fine_parts = np.stack([_render_part(rng, 2) for _ in range(100)])
    return coarse_parts, fine_parts


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


def render_images(labels: np.ndarray, classes: tuple[np.ndarray, np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """uint8 (N, 32, 32, 3) images of the given fine labels (see the module docstring)."""
    coarse_parts, fine_parts = classes
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
