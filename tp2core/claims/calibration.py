"""Simulated error rates and power of the verdict rules: what docs/statistics.md shows (scripts/calibrate_stats.py)
and what tests/claims/test_compare.py checks on a small fixed-seed run.

A *cell* is a relation, a number of seeds per arm, a design — two arms with standard deviations 1 and ``sd_ratio``,
or one arm (sd 1) against a constant — a noise distribution (normal, t(3), lognormal; each scaled to mean 0 and sd
1) and, for equivalence, a margin. Effects are in units of ``sd_diff``, the standard deviation of one seed's
difference (sqrt(1 + ratio²); 1 against a constant), so cells are comparable.

- **boundary**: the true effect equals the threshold (directional) or the margin (equivalence). Both verdicts
  are then false; the rule promises each at most alpha/2, so any false verdict at most alpha.
- **power**: the true effect lies ``distance`` sd_diff beyond the threshold in the claimed direction; for
  equivalence the true effect is 0 and the margin is ``distance`` sd_diff. Power = share of "supported".
- **family**: several comparisons, each on its boundary, judged together by Holm over decision_p (the session's
  rule): the share of experiments with any verdict is the family-wise error, promised ≤ alpha.
- **quantised**: accuracies rounded to 1 / validation images, a true seed sd far below that: what the spread floor
  (tp2core.claims.claim) protects against.
- **seed plans**: how often "seeds needed", planned from a small pilot, delivers its power.

``method(a, b, relation, threshold, margin, alpha) -> verdict codes`` is the rule under test: ``welch_method`` is
the code compare() runs (tp2core.claims.welch.evaluate); ``bootstrap_method`` is the old percentile bootstrap,
kept to show what the calibration test catches.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import welch
from .compare import holm
from .metrics import binomial_se
from .stats import RELATIONS

THRESHOLD = 0.5  # directional threshold, in sd_diff ("greater" uses +0.5, "less" -0.5): exercises the shift
BOUNDARY_MARGIN = 3.0  # equivalence margin of the main table, in sd_diff
MARGINS = (0.01, 0.1, 1.0, 3.0)  # equivalence margins at the boundary, in sd_diff: tiny margins double the ways out
DISTANCES = (1.0, 3.0)  # "well inside", in sd_diff
SEEDS = (2, 3, 5, 10)
RATIOS = (1, 3, None)  # sd_b / sd_a; None = one arm against a constant
NOISES = ("normal", "t3", "lognormal0.5", "lognormal1")

Method = Callable[..., np.ndarray]


@dataclass(frozen=True)
class Cell:
    relation: str  # "greater" | "less" | "equivalent"
    n: int  # seeds per arm
    sd_ratio: int | None  # sd of arm b over sd of arm a; None: arm a against a constant
    margin: float = BOUNDARY_MARGIN  # equivalence only, in sd_diff
    noise: str = "normal"  # one of NOISES, scaled to mean 0, sd 1

    @property
    def sd_diff(self) -> float:
        return 1.0 if self.sd_ratio is None else math.sqrt(1.0 + self.sd_ratio**2)

    @property
    def design(self) -> str:
        return "vs constant" if self.sd_ratio is None else f"2 arms, sd 1:{self.sd_ratio}"

    def threshold(self) -> float:
        return {"greater": THRESHOLD, "less": -THRESHOLD, "equivalent": 0.0}[self.relation] * self.sd_diff

    def key(self) -> list[int]:
        """A stable integer key for the cell's random stream (independent of which tables list it)."""
        return [RELATIONS.index(self.relation), self.n, self.sd_ratio or 0, round(self.margin * 1000),
                NOISES.index(self.noise)]


CELLS = tuple(Cell(r, n, ratio) for r in RELATIONS for ratio in RATIOS for n in SEEDS)
MARGIN_CELLS = tuple(Cell("equivalent", n, ratio, margin=m) for m in MARGINS for ratio in (1, None) for n in SEEDS)
SKEW_CELLS = tuple(Cell("greater", n, ratio, noise=noise) for noise in NOISES[1:] for ratio in (1, 3, None)
                   for n in SEEDS)


def promise(relation: str, alpha: float = 0.05) -> float:
    """The most often a false verdict of each kind may occur at the boundary: alpha/2, every relation."""
    return alpha / 2


def mc_se(rate: float, trials: int) -> float:
    """Monte-Carlo standard error of a rate estimated from ``trials`` independent trials."""
    return math.sqrt(rate * (1 - rate) / trials)


def welch_method(a, b, relation, threshold, margin, alpha) -> np.ndarray:
    """The rule compare() applies, on a batch: a (trials, n), b (trials, n) or a float → codes (trials,)."""
    return welch.evaluate(a, b, relation, threshold=threshold, margin=margin, alpha=alpha).verdict


def bootstrap_method(a, b, relation, threshold, margin, alpha, *, n_resamples: int = 999) -> np.ndarray:
    """The old rule: stats.bootstrap_ci (percentile, one call per trial) and the same interval-to-verdict rule
    (directional cells only)."""
    from .stats import bootstrap_ci

    lows, highs = [], []
    for i, x in enumerate(a):
        if np.ndim(b) == 0:
            lo, hi = bootstrap_ci(x, statistic="mean", confidence=1 - alpha, n_resamples=n_resamples, seed=i)
            lo, hi = lo - b, hi - b
        else:
            lo, hi = bootstrap_ci(x, b[i], confidence=1 - alpha, n_resamples=n_resamples, seed=i)
        lows.append(lo)
        highs.append(hi)
    return welch.verdict_codes(lows, highs, relation, threshold, margin)


def noise(kind: str, size, rng: np.random.Generator) -> np.ndarray:
    """Draws with mean 0 and sd 1: normal; Student t(3) (heavy tails, /√3); lognormal(σ) centred and scaled
    (right-skewed: skewness 1.75 at σ 0.5, 6.2 at σ 1)."""
    if kind == "normal":
        return rng.standard_normal(size)
    if kind == "t3":
        return rng.standard_t(3, size) / math.sqrt(3.0)
    sigma = float(kind.removeprefix("lognormal"))
    mean, var = math.exp(sigma**2 / 2), (math.exp(sigma**2) - 1) * math.exp(sigma**2)
    return (rng.lognormal(0.0, sigma, size) - mean) / math.sqrt(var)


def _draw(cell: Cell, effect: float, trials: int, rng: np.random.Generator):
    a = effect + noise(cell.noise, (trials, cell.n), rng)
    b = 0.0 if cell.sd_ratio is None else cell.sd_ratio * noise(cell.noise, (trials, cell.n), rng)
    return a, b


def _boundary(cell: Cell) -> tuple[float, float, float | None]:
    """(true effect, threshold, margin) with the truth on the boundary."""
    if cell.relation == "equivalent":
        margin = cell.margin * cell.sd_diff
        return margin, 0.0, margin
    return cell.threshold(), cell.threshold(), None


def boundary_rates(cell: Cell, *, trials: int, seed: int, method: Method = welch_method,
                   alpha: float = 0.05) -> tuple[float, float]:
    """(share "supported", share "refuted") when the true effect sits on the threshold / margin."""
    rng = np.random.default_rng([seed, *cell.key(), 0])
    truth, threshold, margin = _boundary(cell)
    codes = method(*_draw(cell, truth, trials, rng), cell.relation, threshold, margin, alpha)
    return float(np.mean(codes == welch.SUPPORTED_CODE)), float(np.mean(codes == welch.REFUTED_CODE))


def power(cell: Cell, distance: float, *, trials: int, seed: int, method: Method = welch_method,
          alpha: float = 0.05) -> float:
    """Share "supported" when the truth is ``distance`` sd_diff inside the claim (see the module docstring)."""
    rng = np.random.default_rng([seed, *cell.key(), 1 + DISTANCES.index(distance)])
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
                out.append(f"{label(row['cell'])}: false {kind} {row[f'false_{kind}']:.2%} "
                           f"> {row['promise']:.1%} + 3 MC s.e. = {limit:.2%}")
    return out


def label(c: Cell) -> str:
    """E.g. 'greater, 2 arms, sd 1:1, n=2' or 'equivalent, vs constant, margin 0.01, n=5' (t3 noise: ', t3')."""
    margin = f", margin {c.margin:g}" if c.relation == "equivalent" else ""
    kind = "" if c.noise == "normal" else f", {c.noise}"
    return f"{c.relation}, {c.design}{margin}{kind}, n={c.n}"


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


# --- families: Holm over comparisons of every relation, each on its boundary -------------------------------------
@dataclass(frozen=True)
class Family:
    name: str
    members: tuple[Cell, ...] = field(default_factory=tuple)


FAMILIES = (
    Family("2 directional + 2 equivalence (margins 0.01, 0.1), 3 seeds",
           (Cell("greater", 3, 1), Cell("less", 3, None), Cell("equivalent", 3, 1, margin=0.01),
            Cell("equivalent", 3, None, margin=0.1))),
    Family("4 equivalence (margins 0.01, 0.1, 1, 3), 5 seeds",
           tuple(Cell("equivalent", 5, 1, margin=m) for m in MARGINS)),
    Family("10: 4 directional + 6 equivalence (margins 0.01–3), 2–10 seeds",
           (Cell("greater", 2, 1), Cell("less", 3, 3), Cell("greater", 5, None), Cell("less", 10, 1),
            *(Cell("equivalent", n, r, margin=m) for n, r, m in ((2, 1, 0.01), (3, None, 0.1), (5, 3, 1.0),
                                                                 (10, 1, 3.0), (5, None, 0.01), (3, 1, 0.1))))),
)


def _decision_p(cell: Cell, trials: int, rng: np.random.Generator, alpha: float) -> np.ndarray:
    truth, threshold, margin = _boundary(cell)
    a, b = _draw(cell, truth, trials, rng)
    return welch.evaluate(a, b, cell.relation, threshold=threshold, margin=margin, alpha=alpha).decision_p


def family_error(family: Family, *, trials: int, seed: int, alpha: float = 0.05) -> tuple[float, float]:
    """(FWER under Holm over decision_p, share with any unadjusted verdict): every member on its boundary, so
    every verdict is false."""
    rng = np.random.default_rng([seed, 7, FAMILIES.index(family) if family in FAMILIES else 99])
    p = np.stack([_decision_p(c, trials, rng, alpha) for c in family.members], axis=-1)
    return float(np.mean(np.any(holm(p) < alpha, axis=-1))), float(np.mean(np.any(p < alpha, axis=-1)))


# --- quantised accuracies: the spread floor --------------------------------------------------------------------
QUANTISED_RULES = ("zero spread follows the point (before issue 22)", "zero spread → inconclusive, no floor",
                   "sd floored at the binomial s.e. (claims)")


def quantised_rates(n: int, rule: str, *, images: int = 10_000, accuracy: float = 25.0, sd: float = 0.005,
                    trials: int, seed: int, alpha: float = 0.05) -> tuple[float, float]:
    """(false supported, false refuted) of "greater" at threshold 0 when both arms' true accuracy is ``accuracy``
    pts, the seed sd ``sd`` pts, and each measurement is rounded to 100/images pts, under one of QUANTISED_RULES."""
    rng = np.random.default_rng([seed, 8, n])
    quantum = 100.0 / images
    a, b = (np.round(rng.normal(accuracy, sd, (trials, n)) / quantum) * quantum for _ in range(2))
    res = binomial_se(accuracy, images) if rule == QUANTISED_RULES[2] else 0.0
    ev = welch.evaluate(a, b, "greater", alpha=alpha, floor=(res, res))
    codes = ev.verdict
    if rule == QUANTISED_RULES[0]:  # the old rule: at se 0 the interval is the point and the verdict follows it
        point = np.where(ev.effect > 0, welch.SUPPORTED_CODE, np.where(ev.effect < 0, welch.REFUTED_CODE, 0))
        codes = np.where(ev.se == 0, point, codes)
    return float(np.mean(codes == welch.SUPPORTED_CODE)), float(np.mean(codes == welch.REFUTED_CODE))


# --- seed plans from a pilot -----------------------------------------------------------------------------------
PLANS = ("observed effect and sd (before issue 22)", "observed effect, sd at its 90% bound (tables)",
         "stated effect, sd at its 90% bound")


def seed_plans(d: float, *, pilot: int = 3, trials: int, seed: int, alpha: float = 0.05,
               power: float = 0.8) -> dict[str, dict]:
    """How plans from an inconclusive ``pilot``+``pilot`` pilot (normal, sd 1, true effect ``d``, "greater" at 0)
    fare: per plan kind, the share whose planned n reaches ``power`` at the true effect, the median plan, and the
    share with no plan (none needed ≤ 1000 seeds). The stated effect of interest is the true one."""
    rng = np.random.default_rng([seed, 9, round(100 * d), pilot])
    a, b = rng.normal(d, 1.0, (trials, pilot)), rng.normal(0.0, 1.0, (trials, pilot))
    ev = welch.evaluate(a, b, "greater", alpha=alpha)
    keep = ev.verdict == welch.INCONCLUSIVE_CODE
    effect, df = ev.effect[keep], ev.df[keep]
    sd_a, sd_b = a[keep].std(axis=-1, ddof=1), b[keep].std(axis=-1, ddof=1)
    plans = {PLANS[0]: welch.plan_seeds(effect, sd_a, sd_b, "greater", alpha=alpha, power=power),
             PLANS[1]: welch.plan_seeds(effect, sd_a, sd_b, "greater", alpha=alpha, power=power, pilot_df=df),
             PLANS[2]: welch.plan_seeds(np.full_like(effect, d), sd_a, sd_b, "greater", alpha=alpha, power=power,
                                        pilot_df=df)}
    out = {}
    for kind, n in plans.items():
        # a plan in the wrong direction aims at "refuted": its power for the true "supported" is ~0
        right_way = (effect > 0) | (kind == PLANS[2])
        true_power = np.where((n > 0) & right_way, welch.power_at(np.maximum(n, 2), d, 1.0, 1.0, "greater",
                                                                  alpha=alpha), 0.0)
        out[kind] = {"delivers": float(np.mean(true_power >= power)), "median": float(np.median(n[n > 0]))
                     if np.any(n > 0) else math.nan, "none": float(np.mean(n == 0)), "pilots": int(keep.sum())}
    return out


# --- skewness of real per-seed values ---------------------------------------------------------------------------
def pooled_skewness(groups: list[np.ndarray]) -> float:
    """Skewness of within-group residuals pooled over groups of ≥ 3 values (each residual over its group's sd):
    groups are variants, values their per-seed accuracies. NaN with no such group."""
    res = [(g - g.mean()) / g.std(ddof=1) for g in groups if g.size >= 3 and np.ptp(g) > 0]
    if not res:
        return math.nan
    r = np.concatenate(res)
    return float(np.mean(r**3) / np.mean(r**2) ** 1.5)


def skewness_reference(kind: str, sizes: list[int], *, trials: int, seed: int) -> tuple[float, float]:
    """The 5th and 95th percentile of ``pooled_skewness`` for groups of ``sizes`` drawn from ``kind`` noise: what
    the statistic looks like at the real design under each calibration row's noise."""
    rng = np.random.default_rng([seed, 10, NOISES.index(kind)])
    stats = [pooled_skewness([noise(kind, n, rng) for n in sizes]) for _ in range(trials)]
    return float(np.nanpercentile(stats, 5)), float(np.nanpercentile(stats, 95))
