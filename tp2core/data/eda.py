"""A first look at a dataset: counts per split and class, per-channel and natural-image statistics (image_stats),
an optional raw-pixel linear probe, and a grid of sample images.

Uses matplotlib's object API with the Agg canvas (no pyplot, no global backend switch), so it works headless
and inside pytest workers.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from . import image_stats
from .dataset import NUM_FINE, Dataset
from ..errors import ConfigError


def dataset_info(ds: Dataset, *, image_statistics: bool = False, probe: bool = False) -> dict:
    """Counts per split (total, per-class min/max, classes present) and the training split's per-channel mean/std
    (pixels in [0, 1]); with ``image_statistics`` also its spectrum slope and adjacent-pixel correlation, with
    ``probe`` the ridge probe's test accuracy (train → test split). Statistics not computed are None."""
    splits = {}
    for split, y in (("train", ds.y_train), ("test", ds.y_test)):
        counts = np.bincount(y, minlength=NUM_FINE)
        splits[split] = {
            "images": int(len(y)),
            "classes": int((counts > 0).sum()),
            "per_class_min": int(counts.min()),
            "per_class_max": int(counts.max()),
        }
    mean, std = image_stats.channel_mean_std(ds.x_train)
    slope = correlation = accuracy = None
    if image_statistics and len(ds.x_train):
        slope = round(image_stats.spectrum_slope(ds.x_train), 3)
        correlation = round(image_stats.adjacent_pixel_correlation(ds.x_train), 4)
    if probe and len(ds.x_train) and len(ds.x_test):
        accuracy = round(image_stats.ridge_probe_accuracy(ds.x_train, ds.y_train, ds.x_test, ds.y_test), 4)
    return {
        "name": ds.name,
        "label": ds.label,
        "fingerprint": ds.fingerprint,
        "source": ds.source,
        "simulated": ds.simulated,
        "splits": splits,
        "channel_mean": [round(float(v), 4) for v in mean],
        "channel_std": [round(float(v), 4) for v in std],
        "spectrum_slope": slope,
        "adjacent_pixel_correlation": correlation,
        "linear_probe_accuracy": accuracy,
    }


def format_info(info: dict) -> str:
    """The info dict as a short human-readable block."""
    lines = [f"dataset:     {info['label']}", f"fingerprint: {info['fingerprint']}", f"source:      {info['source']}"]
    for split, s in info["splits"].items():
        lines.append(
            f"{split + ':':<12} {s['images']:,} images, {s['classes']} classes, "
            f"{s['per_class_min']}–{s['per_class_max']} per class"
        )
    rgb = ", ".join(f"{c} {m:.3f}±{sd:.3f}" for c, m, sd in zip("RGB", info["channel_mean"], info["channel_std"]))
    lines.append(f"pixels:      train mean±std per channel (pixels in [0, 1]): {rgb}")
    if info.get("spectrum_slope") is not None:
        lines.append(f"spectrum:    train power-spectrum slope {info['spectrum_slope']:.2f} (log-log, 2–14 cycles/"
                     f"image; natural images ≈ −2); adjacent-pixel correlation "
                     f"{info['adjacent_pixel_correlation']:.3f}")
    if info.get("linear_probe_accuracy") is not None:
        lines.append(f"probe:       ridge regression on raw pixels, train → test accuracy "
                     f"{100 * info['linear_probe_accuracy']:.1f} % (chance 1 %)")
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
