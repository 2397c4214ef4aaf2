"""The report's PNG figures (matplotlib, object API: no pyplot, no global backend state).

Every figure is saved at exactly ``figsize × DPI`` pixels (no ``bbox_inches="tight"``, which would change the
size), with a title, labelled axes (units in brackets) and a legend. File names are stable so links and the
README can point at them: ``claim-<id>.png``, ``learning-curves.png``, ``gradient-norms.png``, ``throughput.png``.
"""

from __future__ import annotations

import io
import math
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..claims import metrics
from ..fileio import atomic_write_bytes
from ..training.runs import RunResult
from ..recipe.variants import VARIANTS

DPI = 100  # pixels per inch: figsize (inches) × 100 = pixel size, readable at 100% zoom
FONT_SIZE = 10  # pt
ACC_LABEL = "validation accuracy (%)"
METRIC_AXES = {  # metric → (y-axis label with unit, log scale?)
    "val_accuracy": (ACC_LABEL, False),
    "first_layer_grad_norm": (r"first-layer gradient norm $\|\partial L/\partial W\|_2$ at init (log scale)", True),
    "images_per_second": ("training throughput (images/s, log scale)", True),
    "first_layer_weight_change": (r"first-layer $\|W_T - W_0\| / \|W_0\|$ (log scale)", True),
    "train_accuracy": ("training accuracy (%)", False),
}


@dataclass(frozen=True)
class FigureFile:
    """A written PNG: where, what it shows, and its exact pixel size."""

    path: Path
    title: str
    caption: str
    width_px: int
    height_px: int


def _figure(width_in: float, height_in: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")


def _save(fig, path: Path, title: str, caption: str) -> FigureFile:
    """PNG bytes to a temp file in the same directory, then rename: a crash never leaves a torn PNG."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    width, height = (int(round(v * DPI)) for v in fig.get_size_inches())
    atomic_write_bytes(path, buf.getvalue(), mode=0o644)
    return FigureFile(path, title, caption, width, height)


# 20 colours told apart on screen and in print: matplotlib's tab10, then ten more distinct hues (the catalogue has
# 17 variants, so every catalogue variant has a colour of its own); line styles cycle beside them, so a pair
# (colour, style) stays unique for 80 variants and curves stay apart in greyscale too.
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf", "#000080", "#808000", "#00ff7f", "#ff1493", "#4b0082", "#a0522d", "#00bfff", "#b8860b",
           "#2f4f4f", "#ff4500")
LINE_STYLES = ("-", "--", "-.", ":")


def styles(names: Sequence[str]) -> dict[str, tuple[str, str]]:
    """One fixed (colour, line style) per variant (by catalogue position), so a variant looks the same in every
    figure and no two variants share a colour (up to ``len(PALETTE)``) or a (colour, style) pair."""
    order = list(VARIANTS) + sorted(n for n in names if n not in VARIANTS)
    out = {}
    for n in names:
        i = order.index(n)
        out[n] = (PALETTE[i % len(PALETTE)], LINE_STYLES[(i + i // len(PALETTE)) % len(LINE_STYLES)])
    return out


def _colors(names: Sequence[str]) -> dict[str, str]:
    """Each variant's colour of ``styles``."""
    return {n: color for n, (color, _) in styles(names).items()}


def mean_ci95(values: Sequence[float]) -> tuple[float, float, float]:
    """(mean, lo, hi): Student-t 95% interval of the mean over seeds; lo = hi = mean when n < 2."""
    from scipy import stats

    arr = np.asarray(values, dtype=float)
    mean = float(arr.mean())
    if arr.size < 2:
        return mean, mean, mean
    half = float(stats.t.ppf(0.975, arr.size - 1) * arr.std(ddof=1) / math.sqrt(arr.size))
    return mean, mean - half, mean + half


def layer_order(names) -> list[str]:
    """Layer names input side first: natural sort on embedded numbers, an output/logits layer last."""
    def key(name: str):
        last = any(w in name.lower() for w in ("output", "logits", "predictions"))
        return (last, [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)])

    return sorted(names, key=key)


def metric_value(run: RunResult, metric: str) -> float | None:
    """A run's value of a claim metric in plotting units (accuracy in %, others raw, not log10), or None."""
    value = metrics.metric_value(run, metric)
    if value is None:
        return None
    return 10 ** value if metric in metrics.LOG_METRICS else value


def claim_figure(path: Path, judgement, panels: Sequence[tuple[str, Sequence[str], Sequence[float]]],
                 runs_by_variant: Mapping[str, list[RunResult]]) -> FigureFile:
    """Per-seed values of the compared variants, mean with 95% CI bar, the notes' single-run figure as a star.

    ``panels``: (metric, variant names, constants to draw as dashed reference lines) — one axes each.
    """
    fig = _figure(max(7.0, 4.6 * len(panels)), 5.2)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    colors = _colors([v for _, names, _ in panels for v in names])
    for ax, (metric, names, constants) in zip(axes, panels):
        ylabel, log = METRIC_AXES[metric]
        for i, name in enumerate(names):
            runs = runs_by_variant.get(name, [])
            vals = [v for v in (metric_value(r, metric) for r in runs) if v is not None]
            jitter = np.linspace(-0.12, 0.12, len(vals)) if len(vals) > 1 else np.zeros(len(vals))
            ax.scatter(i + jitter, vals, s=28, color=colors[name], alpha=0.75, zorder=3,
                       label="one seed (run)" if i == 0 else None)
            if vals:
                mean, lo, hi = mean_ci95(np.log10(vals)) if log else mean_ci95(vals)
                if log:
                    mean, lo, hi = 10 ** mean, 10 ** lo, 10 ** hi
                ax.errorbar([i + 0.3], [mean], yerr=[[mean - lo], [hi - mean]], fmt="D", color="black",
                            markersize=6, capsize=5, zorder=4, label="mean, 95% CI over seeds" if i == 0 else None)
            notes = getattr(VARIANTS.get(name), "notes_val_accuracy", None)
            if metric == "val_accuracy" and notes is not None:
                ax.scatter([i - 0.3], [100 * notes], marker="*", s=180, color="gold", edgecolor="black",
                           zorder=5, label="notes' figure (one run, full scale)")  # duplicates: _dedup_legend
        for c in constants:
            unit = " %" if metric == "val_accuracy" else ""
            ax.axhline(c, color="grey", linestyle="--", linewidth=1, label=f"claim's reference value {c:g}{unit}")
        ax.set_xticks(range(len(names)),
                      [f"{n}\n({sum(metric_value(r, metric) is not None for r in runs_by_variant.get(n, []))}"
                       f"/{len(runs_by_variant.get(n, []))} runs ok)" for n in names])
        ax.set_xlim(-0.7, len(names) - 0.3)
        plotted = any(metric_value(r, metric) is not None for n in names for r in runs_by_variant.get(n, []))
        if log and plotted:  # a log axis needs positive data; an empty panel says why instead
            ax.set_yscale("log")
        if not plotted:
            ax.text(0.5, 0.5, "no usable runs for this metric\n(failed, or too short to time)", ha="center",
                    va="center", transform=ax.transAxes)
        ax.set_xlabel("variant")
        ax.set_ylabel(ylabel)
        ax.grid(axis="y", alpha=0.3)
        _dedup_legend(ax)
    title = f"{judgement.claim}: {judgement.verdict} ({judgement.system})"
    width_chars = int(fig.get_size_inches()[0] * 12)  # ~12 characters per inch at FONT_SIZE + 1 pt
    fig.suptitle(title + "\n" + textwrap.fill(judgement.statement, width_chars), fontsize=FONT_SIZE + 1)
    return _save(fig, path, title, f"Claim {judgement.claim}: each dot is one seed; black diamond: mean with "
                 "95% CI; gold star: the notes' single full-scale run.")


def _dedup_legend(ax, **kwargs) -> None:
    handles, labels = ax.get_legend_handles_labels()
    seen = dict(zip(labels, handles))
    if seen:
        ax.legend(seen.values(), seen.keys(), fontsize=FONT_SIZE - 1, **kwargs)


def learning_curves(path: Path, runs_by_variant: Mapping[str, list[RunResult]]) -> FigureFile | None:
    """Validation and training accuracy per epoch: mean over seeds, band = min–max over seeds."""
    series = {n: [r for r in rs if r.ok and r.history.get("val_accuracy")] for n, rs in runs_by_variant.items()}
    series = {n: rs for n, rs in series.items() if rs}
    if not series:
        return None
    from matplotlib.ticker import MaxNLocator

    fig = _figure(13.0, 5.5)
    axes = fig.subplots(1, 2, sharey=True)
    colors, lines = _colors(list(series)), {n: style for n, (_, style) in styles(list(series)).items()}
    for ax, key, what in zip(axes, ("val_accuracy", "accuracy"), ("validation", "training")):
        for name, runs in series.items():
            curves = [100 * np.asarray(r.history.get(key) or [], dtype=float) for r in runs]
            length = min(len(c) for c in curves)
            if length == 0:
                continue
            stack = np.stack([c[:length] for c in curves])
            epochs = np.arange(1, length + 1)
            ax.plot(epochs, stack.mean(0), marker="o" if length < 15 else None, markersize=3, color=colors[name],
                    linestyle=lines[name], label=f"{name} (n={len(runs)})")
            if len(runs) > 1:
                ax.fill_between(epochs, stack.min(0), stack.max(0), color=colors[name], alpha=0.18)
        ax.set_title(f"{what} accuracy per epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"{what} accuracy (%)")
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right upper", title="variant (seeds)", fontsize=FONT_SIZE - 1)
    title = "Learning curves: mean over seeds, band = min–max over seeds"
    fig.suptitle(title, fontsize=FONT_SIZE + 1)
    return _save(fig, path, title, "Validation (left) and training (right) accuracy after each epoch, "
                 "per variant; epochs are the profile's, not the notes'.")


def gradient_norms(path: Path, runs_by_variant: Mapping[str, list[RunResult]],
                   variants: Sequence[str] = ("model0", "model1")) -> FigureFile | None:
    """‖∂L/∂W‖₂ per Dense layer, input side first, at init and after epoch 1 (log scale; geometric mean)."""
    chosen = [v for v in variants if any(r.ok and r.grad_norms for r in runs_by_variant.get(v, []))]
    if not chosen:
        chosen = [v for v, rs in runs_by_variant.items() if any(r.ok and r.grad_norms for r in rs)]
    if not chosen:
        return None
    fig = _figure(12.0, 5.2)
    axes = fig.subplots(1, 2, sharey=True)
    colors, lines = _colors(chosen), {n: style for n, (_, style) in styles(chosen).items()}
    max_layers = 1
    for ax, when, what in zip(axes, ("init", "epoch1"), ("at initialisation", "after epoch 1")):
        for name in chosen:
            runs = [r for r in runs_by_variant[name] if r.ok and r.grad_norms.get(when)]
            if not runs:
                continue
            layers = layer_order(runs[0].grad_norms[when])
            max_layers = max(max_layers, len(layers))
            x = np.arange(1, len(layers) + 1)
            vals = np.array([[max(r.grad_norms[when].get(l, np.nan), 1e-30) for l in layers] for r in runs])
            for row in vals:
                ax.scatter(x, row, s=14, color=colors[name], alpha=0.45)
            ax.plot(x, 10 ** np.nanmean(np.log10(vals), axis=0), marker="o", color=colors[name],
                    linestyle=lines[name], label=f"{name}: {_variant_desc(name)} (n={len(runs)})")
        ax.set_yscale("log")
        ax.set_title(f"gradient norm per layer, {what}")
        ax.set_xlabel("Dense layer, input side first (last = output layer)")
        ax.set_ylabel(r"$\|\partial L/\partial W\|_2$ of the layer's kernel (log scale)")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=FONT_SIZE - 1, loc="lower left")
    for ax in axes:
        ax.set_xticks(range(1, max_layers + 1))
    title = "Mechanism: gradient reaching each layer, hidden softmax vs ReLU"
    fig.suptitle(title, fontsize=FONT_SIZE + 1)
    return _save(fig, path, title, "Lines: geometric mean over seeds; dots: single seeds. A hidden softmax "
                 "layer shrinks the backward signal, so the first layers barely learn (the notes' 'gradient flow').")


def _variant_desc(name: str) -> str:
    v = VARIANTS.get(name)
    return v.description.split(":")[0] if v else name


def throughput(path: Path, runs_by_variant: Mapping[str, list[RunResult]]) -> FigureFile | None:
    """Training images per second per variant: one dot per seed, bar = median."""
    data = {n: [r.images_per_second for r in rs if r.ok and r.images_per_second]
            for n, rs in runs_by_variant.items()}
    data = {n: v for n, v in data.items() if v}
    if not data:
        return None
    names = list(data)
    fig = _figure(10.0, max(3.5, 1.0 + 0.45 * len(names)))
    ax = fig.subplots()
    colors = _colors(names)
    y = np.arange(len(names))
    ax.barh(y, [float(np.median(data[n])) for n in names], color=[colors[n] for n in names], alpha=0.5,
            label="median over seeds")
    for i, n in enumerate(names):
        ax.scatter(data[n], [i] * len(data[n]), color="black", s=14, zorder=3, label="one seed" if i == 0 else None)
    batch = {n: runs_by_variant[n][0].spec.variant.batch_size for n in names}
    ax.set_yticks(y, [f"{n} (batch {batch[n]})" for n in names])
    ax.invert_yaxis()
    for i, n in enumerate(names):  # the median as text: bars are compared by ratio, the number is what's cited
        ax.annotate(f"{np.median(data[n]):,.0f}", (float(np.median(data[n])), i), xytext=(4, 6),
                    textcoords="offset points", fontsize=FONT_SIZE - 1)
    ax.set_xlim(0, 1.15 * max(max(v) for v in data.values()))
    ax.set_xlabel("training throughput (images/s, steady epochs)")
    ax.set_ylabel("variant")
    ax.grid(axis="x", alpha=0.3)
    _dedup_legend(ax, loc="lower right")
    title = "Training throughput per variant"
    ax.set_title(title)
    return _save(fig, path, title, "Images per second over steady epochs (first epoch excluded when there are "
                 "more); depends on the machine, the thread count and the batch size.")


def attribution(path: Path, rows: Sequence[Mapping]) -> FigureFile | None:
    """Each factor's effect on validation accuracy (pts) with its 95% CI, from tables.attribution_rows."""
    points = []
    for r in rows:
        try:
            effect = float(r["effect (pts)"])
            lo, hi = (float(x) for x in r["interval"].split(" (")[0].strip("[]").split(","))
        except (KeyError, ValueError):
            continue  # "—": not measurable
        points.append((r["factor"], effect, lo, hi))
    if not points:
        return None
    fig = _figure(10.0, max(3.0, 1.0 + 0.5 * len(points)))
    ax = fig.subplots()
    y = np.arange(len(points))
    effects = np.array([p[1] for p in points])
    lows = np.array([p[2] for p in points])
    highs = np.array([p[3] for p in points])
    finite_lo, finite_hi = np.where(np.isfinite(lows), lows, effects), np.where(np.isfinite(highs), highs, effects)
    ax.errorbar(effects, y, xerr=[effects - finite_lo, finite_hi - effects], fmt="o", color="black", capsize=4,
                label="mean difference, 95% CI")
    ax.axvline(0.0, color="grey", lw=1)
    ax.set_yticks(y, [p[0] for p in points])
    ax.invert_yaxis()
    ax.set_xlabel("effect on validation accuracy (percentage points, arm − reference)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right")
    title = "Attribution: each factor alone"
    ax.set_title(title)
    caption = ("model4 − model3 beside each of its four changes made alone from model3, and model5's data at "
               "equal steps; a bar crossing 0 is an effect these seeds cannot sign.")
    return _save(fig, path, title, caption)


def sequential_stages(path: Path, judgements: Sequence) -> FigureFile | None:
    """Adaptive seeds: per comparison with a sequential replay, its estimate at each look with the repeated
    confidence interval at that look's boundary, the threshold (or ±margin), and why it stopped."""
    comps = [(j.claim, c) for j in judgements for c in j.comparisons if c.sequential is not None and c.sequential.stages]
    if not comps:
        return None
    fig = _figure(10.0, 2.4 * len(comps) + 0.6)
    axes = np.atleast_1d(fig.subplots(len(comps), 1, squeeze=False)[:, 0])
    for ax, (claim, c) in zip(axes, comps):
        s = c.sequential
        seeds = np.array([st.seeds for st in s.stages])
        est = np.array([st.estimate for st in s.stages])
        lo = np.array([st.low if math.isfinite(st.low) else st.estimate for st in s.stages])
        hi = np.array([st.high if math.isfinite(st.high) else st.estimate for st in s.stages])
        ax.errorbar(seeds, est, yerr=[est - lo, hi - est], fmt="o-", color="black", capsize=4,
                    label="estimate, repeated CI at the look's boundary")
        for bound in ((-s.margin, s.margin) if s.relation == "equivalent" else (s.threshold,)):
            ax.axhline(bound, color="C3", lw=1, ls="--", label="threshold / margin")
        # the first looks' intervals can be very wide (tiny boundary levels at few seeds): frame the estimates,
        # the threshold and the last look's interval; wider bars run off the axes
        bounds = [*est, lo[-1], hi[-1], *((-s.margin, s.margin) if s.relation == "equivalent" else (s.threshold,))]
        span = max(bounds) - min(bounds) or 1.0
        ax.set_ylim(min(bounds) - 0.3 * span, max(bounds) + 0.3 * span)
        ax.set_xticks(list(s.looks))
        ax.set_xlim(min(s.looks) - 0.5, max(s.looks) + 0.5)
        ax.set_xlabel("seeds per arm at the look")
        ax.set_ylabel(f"{c.a} − {c.b or 'constant'} ({c.unit})")
        ax.set_title(f"{claim}: {c.label} — {s.stopped or 'undecided'}, {s.verdict}", fontsize=FONT_SIZE)
        ax.grid(alpha=0.3)
        _dedup_legend(ax, loc="best")
    title = "Adaptive seeds: each comparison's looks"
    caption = ("Each look's estimate with its repeated confidence interval (two-sided 1 − 2 × the look's "
               "boundary level: valid over all looks together); a comparison stops when the interval clears the "
               "threshold (decided), when neither verdict stays reachable (futile), or at max seeds.")
    return _save(fig, path, title, caption)
