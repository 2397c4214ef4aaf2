"""A first look at a dataset: counts per split and class, per-channel statistics, and a grid of sample images.

Uses matplotlib's object API with the Agg canvas (no pyplot, no global backend switch), so it works headless
and inside pytest workers.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .dataset import NUM_FINE, Dataset
from ..errors import ConfigError

CHUNK = 5000  # images per step when summing pixel statistics (bounds float64 temporaries to ~120 MB)


def dataset_info(ds: Dataset) -> dict:
    """Counts per split (total, per-class min/max, classes present), train per-channel mean/std (0–255 units)."""
    splits = {}
    for split, y in (("train", ds.y_train), ("test", ds.y_test)):
        counts = np.bincount(y, minlength=NUM_FINE)
        splits[split] = {
            "images": int(len(y)),
            "classes": int((counts > 0).sum()),
            "per_class_min": int(counts.min()),
            "per_class_max": int(counts.max()),
        }
    mean, std = _channel_stats(ds.x_train)
    return {
        "name": ds.name,
        "label": ds.label,
        "fingerprint": ds.fingerprint,
        "source": ds.source,
        "simulated": ds.simulated,
        "splits": splits,
        "channel_mean": mean,
        "channel_std": std,
    }


def _channel_stats(x: np.ndarray) -> tuple[list[float], list[float]]:
    """Per-channel mean and (population) std of uint8 (N, 32, 32, 3) images, summed in float64 chunks."""
    total, sq, n = np.zeros(3), np.zeros(3), 0
    for start in range(0, len(x), CHUNK):
        c = x[start : start + CHUNK].reshape(-1, 3).astype(np.float64)
        total += c.sum(axis=0)
        sq += (c * c).sum(axis=0)
        n += len(c)
    if n == 0:
        return [0.0] * 3, [0.0] * 3
    mean = total / n
    std = np.sqrt(np.maximum(sq / n - mean**2, 0.0))
    return [round(float(v), 3) for v in mean], [round(float(v), 3) for v in std]


def format_info(info: dict) -> str:
    """The info dict as a short human-readable block."""
    lines = [f"dataset:     {info['label']}", f"fingerprint: {info['fingerprint']}", f"source:      {info['source']}"]
    for split, s in info["splits"].items():
        lines.append(
            f"{split + ':':<12} {s['images']:,} images, {s['classes']} classes, "
            f"{s['per_class_min']}–{s['per_class_max']} per class"
        )
    rgb = ", ".join(f"{c} {m:.1f}±{sd:.1f}" for c, m, sd in zip("RGB", info["channel_mean"], info["channel_std"]))
    lines.append(f"pixels:      train mean±std per channel (0–255): {rgb}")
    if info["simulated"]:
        lines.append("NOTE:        simulated CIFAR-format data, not CIFAR-100")
    return "\n".join(lines)


def sample_grid_png(
    ds: Dataset, path: str | os.PathLike, classes: list[int] | None = None, per_class: int = 8
) -> Path:
    """PNG grid of training images: one row per class (default: 10 classes spread over 0–99), labelled by name."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    classes = list(np.linspace(0, NUM_FINE - 1, 10).astype(int)) if classes is None else list(classes)
    if not classes or not all(isinstance(c, (int, np.integer)) and 0 <= c < NUM_FINE for c in classes):
        raise ConfigError(f"'classes' must be a non-empty list of fine labels in 0..{NUM_FINE - 1} (got {classes!r}).")
    if not isinstance(per_class, int) or per_class < 1:
        raise ConfigError(f"'per_class' must be a positive int (got {per_class!r}).")
    fig = Figure(figsize=(1.0 + 0.8 * per_class, 0.8 * len(classes) + 0.6))
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(classes), per_class, squeeze=False)
    for row, c in enumerate(classes):
        idx = np.flatnonzero(ds.y_train == c)[:per_class]
        for col in range(per_class):
            ax = axes[row][col]
            ax.set_xticks([])
            ax.set_yticks([])
            if col < len(idx):
                ax.imshow(ds.x_train[idx[col]], interpolation="nearest")
            if col == 0:
                ax.set_ylabel(f"{c} {ds.fine_label_names[c]}", rotation=0, ha="right", va="center", fontsize=7)
    fig.suptitle(ds.label, fontsize=8)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format="png", dpi=80)
    return out
