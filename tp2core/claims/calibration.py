"""Simulated error rates and power of the verdict rules: what docs/statistics.md shows (scripts/calibrate_stats.py)
and what tests/claims/test_compare.py checks on a small fixed-seed run.

A *cell* is a relation, a number of seeds per arm and a design: two arms with standard deviations 1 and
``sd_ratio`` (normal data), or one arm (sd 1) against a constant. Effects are in units of ``sd_diff``, the
standard deviation of one seed's difference (sqrt(1 + ratio²); 1 against a constant), so cells are comparable.

- **boundary**: the true effect equals the threshold (directional) or the margin (equivalence). Both verdicts
  are then false; the rule promises each at most alpha/2 (directional) or alpha (equivalence).
- **power**: the true effect lies ``distance`` sd_diff beyond the threshold in the claimed direction; for
  equivalence the true effect is 0 and the margin is ``distance`` sd_diff. Power = share of "supported".

``method(a, b, relation, threshold, margin, alpha) -> verdict codes`` is the rule under test: ``welch_method`` is
the code compare() runs (tp2core.claims.welch.evaluate); ``bootstrap_method`` is the old percentile bootstrap,
kept to show what the calibration test catches.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import welch

THRESHOLD = 0.5  # directional threshold, in sd_diff ("greater" uses +0.5, "less" -0.5): exercises the shift
BOUNDARY_MARGIN = 3.0  # equivalence margin at the boundary, in sd_diff: wide margins are TOST's worst case
DISTANCES = (1.0, 3.0)  # "well inside", in sd_diff
SEEDS = (2, 3, 5, 10)
RATIOS = (1, 3, None)  # sd_b / sd_a; None = one arm against a constant

Method = Callable[..., np.ndarray]


@dataclass(frozen=True)
class Cell:
    relation: str  # "greater" | "less" | "equivalent"
    n: int  # seeds per arm
    sd_ratio: int | None  # sd of arm b over sd of arm a; None: arm a against a constant

    @property
    def sd_diff(self) -> float:
        return 1.0 if self.sd_ratio is None else math.sqrt(1.0 + self.sd_ratio**2)

    @property
    def design(self) -> str:
        return "vs constant" if self.sd_ratio is None else f"2 arms, sd 1:{self.sd_ratio}"

    def threshold(self) -> float:
        return {"greater": THRESHOLD, "less": -THRESHOLD, "equivalent": 0.0}[self.relation] * self.sd_diff


CELLS = tuple(Cell(r, n, ratio) for r in welch.RELATIONS for ratio in RATIOS for n in SEEDS)


def promise(relation: str, alpha: float = 0.05) -> float:
    """The most often a false verdict of each kind may occur at the boundary."""
    return alpha if relation == "equivalent" else alpha / 2


def mc_se(rate: float, trials: int) -> float:
    """Monte-Carlo standard error of a rate estimated from ``trials`` independent trials."""
    return math.sqrt(rate * (1 - rate) / trials)


def welch_method(a, b, relation, threshold, margin, alpha) -> np.ndarray:
    """The rule compare() applies, on a batch: a (trials, n), b (trials, n) or a float → codes (trials,)."""
    return welch.evaluate(a, b, relation, threshold=threshold, margin=margin, alpha=alpha).verdict


def bootstrap_method(a, b, relation, threshold, margin, alpha, *, n_resamples: int = 999) -> np.ndarray:
    """The old rule: stats.bootstrap_ci (percentile, one call per trial) and the same interval-to-verdict rule."""
    from .stats import bootstrap_ci

    confidence = 1 - 2 * alpha if relation == "equivalent" else 1 - alpha
    lows, highs = [], []
    for i, x in enumerate(a):
        if np.ndim(b) == 0:
            lo, hi = bootstrap_ci(x, statistic="mean", confidence=confidence, n_resamples=n_resamples, seed=i)
            lo, hi = lo - b, hi - b
        else:
            lo, hi = bootstrap_ci(x, b[i], confidence=confidence, n_resamples=n_resamples, seed=i)
        lows.append(lo)
        highs.append(hi)
    return welch.verdict_codes(lows, highs, relation, threshold, margin)


def _draw(cell: Cell, effect: float, trials: int, rng: np.random.Generator):
    a = rng.normal(effect, 1.0, size=(trials, cell.n))
    b = 0.0 if cell.sd_ratio is None else rng.normal(0.0, cell.sd_ratio, size=(trials, cell.n))
    return a, b


def boundary_rates(cell: Cell, *, trials: int, seed: int, method: Method = welch_method,
                   alpha: float = 0.05) -> tuple[float, float]:
    """(share "supported", share "refuted") when the true effect sits on the threshold / margin."""
    rng = np.random.default_rng([seed, CELLS.index(cell), 0])
    if cell.relation == "equivalent":
        margin = BOUNDARY_MARGIN * cell.sd_diff
        codes = method(*_draw(cell, margin, trials, rng), cell.relation, 0.0, margin, alpha)
    else:
        codes = method(*_draw(cell, cell.threshold(), trials, rng), cell.relation, cell.threshold(), None, alpha)
    return float(np.mean(codes == welch.SUPPORTED_CODE)), float(np.mean(codes == welch.REFUTED_CODE))


def power(cell: Cell, distance: float, *, trials: int, seed: int, method: Method = welch_method,
          alpha: float = 0.05) -> float:
    """Share "supported" when the truth is ``distance`` sd_diff inside the claim (see the module docstring)."""
    rng = np.random.default_rng([seed, CELLS.index(cell), 1 + DISTANCES.index(distance)])
    if cell.relation == "equivalent":
        codes = method(*_draw(cell, 0.0, trials, rng), cell.relation, 0.0, distance * cell.sd_diff, alpha)
    else:
        sign = 1.0 if cell.relation == "greater" else -1.0
        truth = cell.threshold() + sign * distance * cell.sd_diff
        codes = method(*_draw(cell, truth, trials, rng), cell.relation, cell.threshold(), None, alpha)
    return float(np.mean(codes == welch.SUPPORTED_CODE))


def excesses(rows: list[dict], trials: int) -> list[str]:
    """Cells whose false-verdict rate exceeds its promise by more than 3 Monte-Carlo standard errors."""
    out = []
    for row in rows:
        limit = row["promise"] + 3 * mc_se(row["promise"], trials)
        for kind in ("supported", "refuted"):
            if row[f"false_{kind}"] > limit:
                c = row["cell"]
                out.append(f"{c.relation}, {c.design}, n={c.n}: false {kind} {row[f'false_{kind}']:.2%} "
                           f"> {row['promise']:.1%} + 3 MC s.e. = {limit:.2%}")
    return out


def simulate(cells=CELLS, *, trials: int, seed: int, method: Method = welch_method, alpha: float = 0.05,
             with_power: bool = True) -> list[dict]:
    """One row per cell: false_supported, false_refuted, promise, and power at each of DISTANCES."""
    rows = []
    for cell in cells:
        s, r = boundary_rates(cell, trials=trials, seed=seed, method=method, alpha=alpha)
        row = {"cell": cell, "false_supported": s, "false_refuted": r, "promise": promise(cell.relation, alpha)}
        if with_power:
            row["power"] = [power(cell, d, trials=trials, seed=seed, method=method, alpha=alpha) for d in DISTANCES]
        rows.append(row)
    return rows
