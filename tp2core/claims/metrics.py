"""Per-run metric values in the unit claims judge them in, and which runs had to be left out.

- ``val_accuracy``: final validation accuracy in **percentage points** (fraction × 100); a claim's effect is
  the difference of means, e.g. -18.2 means A is 18.2 points below B.
- ``first_layer_grad_norm``: ‖∂L/∂W‖₂ of the first Dense layer (``FIRST_LAYER``) at **initialisation**, on a
  **log10** scale; the effect (difference of mean log10 values) is the log10 of the ratio of geometric
  means, so threshold -1.0 means "at least 10× smaller". Init, not epoch 1, because the notes' explanation
  ("gradient flow") is about what the architecture does to the backward signal, and at init that is free
  of training dynamics and of the profile's epochs; claims report the epoch-1 effect beside it. Norms below
  ``GRAD_FLOOR`` are floored (an exactly vanished gradient would be log10 0 = -inf).
- ``first_layer_weight_change``: ‖W_T − W_0‖_F / ‖W_0‖_F of the first Dense kernel after training, **log10**:
  whether the first layer learned at all (issue 14: under Adam a gradient's scale is largely normalised away,
  so a small gradient at init need not mean a layer that does not move). ``train_accuracy``: final training
  accuracy in **pts**; an optimisation failure keeps it at chance too.
- ``images_per_second``: training throughput on a **log10** scale too; the effect is the log10 of the
  speed-up (0.0414 = 10% faster).

A run with ``status != "ok"`` or without the metric gives None and is excluded by name.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError
from ..recipe.models import FIRST_LAYER
from ..training.runs import RunResult

ACCURACY_METRICS = ("val_accuracy", "train_accuracy")  # values and effects in percentage points
LOG_METRICS = ("first_layer_grad_norm", "images_per_second", "first_layer_weight_change")  # effects: log10 ratios
METRICS = ("val_accuracy", *LOG_METRICS, "train_accuracy")  # every metric a claim may judge
# measured with a clock: their values depend on the machine's load, so they never decide what to train next (the
# budgeted design judges them at its first look only: tp2core.claims.budgeted)
CLOCK_METRICS = ("images_per_second",)
UNITS = {**{m: "pts" for m in ACCURACY_METRICS}, **{m: "log10" for m in LOG_METRICS}}
METRIC_LABELS = {
    "val_accuracy": "val accuracy",
    "train_accuracy": "train accuracy",
    "first_layer_weight_change": "log10 first-layer ‖W_T − W_0‖/‖W_0‖",
    "first_layer_grad_norm": "log10 first-layer grad norm at init",
    "images_per_second": "log10 images/s",
}
GRAD_MOMENT = "init"  # which RunResult.grad_norms entry is judged; "epoch1" is reported beside it
GRAD_FLOOR = 1e-30  # a norm below this counts as vanished (avoids log10(0) = -inf)
# Throughput is only judged from runs with at least this much steady (post-warm-up) training time: a
# 50 ms smoke epoch is timer and scheduler noise, and judging it would make verdicts depend on machine load.
MIN_TIMED_SECONDS = 1.0


def steady_seconds(run: RunResult) -> float:
    """Training seconds after the first (warm-up) epoch; the whole run when it has a single epoch."""
    return float(sum(run.epoch_seconds[1:] or run.epoch_seconds))


def metric_value(run: RunResult, metric: str, moment: str = GRAD_MOMENT) -> float | None:
    """One run's value in the metric's unit (see module doc), or None if the run failed or lacks it."""
    if metric not in METRICS:
        raise ConfigError(f"'metric' must be one of {METRICS} (got {metric!r}).")
    if not run.ok:
        return None
    if metric in ACCURACY_METRICS:
        raw = run.val_accuracy if metric == "val_accuracy" else run.train_accuracy
        return None if raw is None or not math.isfinite(raw) else 100.0 * raw
    if metric == "first_layer_weight_change":
        raw = run.first_layer_weight_change
        return None if raw is None or not math.isfinite(raw) else math.log10(max(raw, GRAD_FLOOR))
    if metric == "images_per_second":
        raw = run.images_per_second
        if steady_seconds(run) < MIN_TIMED_SECONDS:
            return None
        return None if raw is None or not math.isfinite(raw) or raw <= 0 else math.log10(raw)
    raw = run.grad_norms.get(moment, {}).get(FIRST_LAYER)
    return None if raw is None or not math.isfinite(raw) else math.log10(max(raw, GRAD_FLOOR))


def metric_values(runs: list[RunResult], metric: str, moment: str = GRAD_MOMENT) -> np.ndarray:
    """Values of the usable runs, shape (k,), in the metric's unit; failed runs and missing values dropped."""
    values = [metric_value(r, metric, moment) for r in runs]
    return np.asarray([v for v in values if v is not None], dtype=float)


def excluded_runs(variant: str, runs: list[RunResult], metric: str) -> list[str]:
    """One phrase per run of `variant` that metric_values() drops, e.g. 'model1 seed 2 failed (…)'."""
    out = []
    for r in runs:
        if not r.ok:
            out.append(f"{variant} seed {r.spec.seed} failed ({r.failure or r.status})")
        elif metric == "images_per_second" and r.images_per_second and steady_seconds(r) < MIN_TIMED_SECONDS:
            out.append(f"{variant} seed {r.spec.seed} trained only {steady_seconds(r):.2f} s after warm-up "
                       f"(< {MIN_TIMED_SECONDS:g} s: too short to time)")
        elif metric_value(r, metric) is None:
            out.append(f"{variant} seed {r.spec.seed} has no {metric} recorded")
    return out


def binomial_se(accuracy_pts: float, images: int) -> float:
    """Standard error, in points, of an accuracy measured on ``images`` images: the finest difference such a
    measurement resolves (issue 22: a comparison's spread is floored at it). The accuracy is clipped to
    [1/images, 1 - 1/images] so that an arm at 0% or 100% still has a floor of about one image."""
    p = min(max(accuracy_pts / 100.0, 1.0 / images), 1.0 - 1.0 / images)
    return 100.0 * math.sqrt(p * (1.0 - p) / images)


# A log10 metric's stated resolution: the ratio of two float32 quantities (gradient and weight norms) or an image
# count over a perf_counter interval of ≥ MIN_TIMED_SECONDS (clock resolution ≤ 1 µs) resolves a relative change of
# about 1e-6, i.e. log10(1 + 1e-6) ≈ 4.3e-7 on the log10 scale (the numerical resolution of compare()).
LOG_RESOLUTION = math.log10(1.0 + 1e-6)


def validation_images(run: RunResult) -> int:
    """Images the run was validated on, from its own spec: test_per_class (None = CIFAR's 100) × its classes,
    doubled when it validates on the augmented set (originals + one augmented copy each)."""
    spec = run.spec
    per_class = spec.test_per_class or 100
    images = per_class * (spec.variant.classes or 100)
    return 2 * images if spec.variant.validation == "augmented" else images


def resolution(runs: list[RunResult], metric: str, values: np.ndarray) -> float:
    """The floor of one arm's sd for ``metric``, in its unit, stated for every metric: the binomial standard error
    of the arm's mean accuracy on the images it was measured on (validation: each run's own validation set,
    ``validation_images``; train: its training images), LOG_RESOLUTION for log10 metrics."""
    ok = [r for r in runs if r.ok]
    if not ok or values.size == 0:
        return 0.0
    if metric in LOG_METRICS:
        return LOG_RESOLUTION
    images = min(validation_images(r) if metric == "val_accuracy" else r.train_images for r in ok)
    return binomial_se(float(np.mean(values)), images) if images > 0 else 0.0
