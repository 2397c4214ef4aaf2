"""How far each variant got in training: the learning guard's facts and the regime table (issue 21).

A claim compares models; it is only about the notes when the models it needs learned. ``learning`` says, for one
variant's runs, its mean train and validation accuracy against chance and whether it learned (mean validation
accuracy ≥ ``LEARNED_MULTIPLE`` × chance, fixed in tp2core.claims.claim); ``premise_failure`` is the guard one
comparison applies; ``regime`` is the per-variant table every output shows (terminal, tables.md, results.json
``regime``, the report). Plain data from RunResult values, no TensorFlow.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass

from ..data.dataset import NUM_FINE
from ..training.runs import RunResult

# A variant learned when its mean validation accuracy is at least 3× chance (3% on 100 classes). Fixed before any
# run: an untrained or collapsed network sits at chance (the notes' model1: 0.8%), the notes' weakest learning
# model reached 22× chance (22%), and on ≥ 1,000 validation images 3× chance is at least 6.4 binomial standard
# errors of an accuracy at chance above it — (3% − 1%) / √(1% × 99% / 1,000) = 2 / 0.315 pts — so "learned"
# cannot be noise. The one definition: the learning guard (premise_failure), the regime table and the gate's
# learn probe (output/gate.py) all use it. Comparisons state which variants must have learned
# (tp2core.claims.claim.Comparison.learned).
LEARNED_MULTIPLE = 3.0


@dataclass(frozen=True)
class Learning:
    """One variant's runs (ok ones only): where training left it."""

    variant: str
    n: int  # ok runs with a validation accuracy
    val_accuracy: float | None  # mean, fraction
    train_accuracy: float | None  # mean, fraction (final epoch, as trained: augmented sets included)
    chance: float  # 1 / classes
    best_epoch: int | None  # epoch of the best mean validation accuracy (1-based); None without histories
    epochs: int | None  # epochs trained

    @property
    def learned(self) -> bool | None:
        """Mean validation accuracy ≥ LEARNED_MULTIPLE × chance; None with no usable run."""
        return None if self.val_accuracy is None else self.val_accuracy >= LEARNED_MULTIPLE * self.chance

    def why_not(self) -> str:
        """'model3 did not learn at this scale (2.77%, chance 1%)', or 'model0 has no usable run'."""
        if self.val_accuracy is None:
            return f"{self.variant} has no usable run"
        return (f"{self.variant} did not learn at this scale ({100 * self.val_accuracy:.2f}%, chance "
                f"{100 * self.chance:.3g}%; learned means ≥ {LEARNED_MULTIPLE:g}× chance)")

    def to_dict(self) -> dict:
        return {**asdict(self), "learned": self.learned}


def chance(run: RunResult) -> float:
    """Chance accuracy of the run's task: 1 / its classes (a class-subset variant has fewer)."""
    return 1.0 / (run.spec.variant.classes or NUM_FINE)


def learning(variant: str, runs: list[RunResult]) -> Learning:
    """``variant``'s learning from its runs (failed runs and runs without a validation accuracy left out)."""
    ok = [r for r in runs if r.ok and r.val_accuracy is not None]
    if not ok:
        return Learning(variant, 0, None, None, 1.0 / NUM_FINE, None, None)
    trains = [r.train_accuracy for r in ok if r.train_accuracy is not None]
    curves = [r.history.get("val_accuracy") or [] for r in ok]
    length = min(len(c) for c in curves)
    mean_curve = [statistics.fmean(c[e] for c in curves) for e in range(length)]
    best = max(range(length), key=mean_curve.__getitem__) + 1 if length else None
    return Learning(variant, len(ok), statistics.fmean(r.val_accuracy for r in ok),
                    statistics.fmean(trains) if trains else None, chance(ok[0]), best, length or None)


def premise_failure(must_learn: tuple[str, ...], runs_by_variant) -> str | None:
    """Why a comparison is not judged — every variant in ``must_learn`` that did not learn or has no usable run (a
    premise nothing shows to hold is not met) — or None when all learned."""
    failed = [ln for ln in (learning(v, list(runs_by_variant.get(v, []))) for v in must_learn) if not ln.learned]
    return "; ".join(ln.why_not() for ln in failed) or None


def regime(runs: list[RunResult]) -> list[Learning]:
    """One Learning per variant in ``runs``, by name."""
    by_variant: dict[str, list[RunResult]] = {}
    for r in runs:
        by_variant.setdefault(r.spec.variant.name, []).append(r)
    return [learning(v, rs) for v, rs in sorted(by_variant.items())]
