"""``compare()``: one statistically judged comparison of per-seed values, and Holm's adjustment over a family.

Public contract (issue 13, other checks call it)::

    compare(a, b, relation, *, threshold=0.0, margin=None, alpha=0.05, resolution=None) -> CompareResult

``a``: per-seed values of arm A (>= 2); ``b``: those of arm B (>= 2) or one float (a constant). The effect is
mean(a) - mean(b) (or mean(a) - b), in the metric's unit (log10 for log-ratio metrics: judge log10 values).

=========== ============================== ====================================== ===================================
relation    interval (shown)               supported                              refuted
=========== ============================== ====================================== ===================================
greater     Welch t, two-sided 1 - alpha   low > threshold (p_value < alpha/2)    high < threshold (p_refute < a/2)
less        Welch t, two-sided 1 - alpha   high < threshold (p_value < alpha/2)   low > threshold (p_refute < a/2)
equivalent  Welch t, two-sided 1 - alpha   -margin < low, high < margin (TOST     the 1 - alpha/2 interval wholly
                                           at alpha/2: p_value < alpha/2)         outside ±margin (p_refute < a/2)
=========== ============================== ====================================== ===================================

Against a constant the interval is the one-sample t interval. Anything else is "inconclusive". One promise for
every relation (issue 22): with the true effect on the threshold or margin, each false verdict occurs at most
alpha/2 of the time and any false verdict at most alpha (shown by scripts/calibrate_stats.py in
docs/statistics.md). ``decision_p`` = 2·min(p_value, p_refute) puts every relation on one scale — a verdict is
reached iff decision_p < alpha — and is what Holm adjusts (``adjust_verdicts``), so Holm bounds the family at
alpha. No verdict rests on zero spread: each arm's sd is floored at ``resolution`` (the measurement's resolution,
e.g. the binomial standard error of an accuracy), and a comparison with no spread left is inconclusive with the
reason in ``spread_note``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from ..errors import ConfigError
from . import permutation, welch
from .stats import INCONCLUSIVE, REFUTED, RELATIONS, SUPPORTED

_VERDICT = {welch.SUPPORTED_CODE: SUPPORTED, welch.REFUTED_CODE: REFUTED, welch.INCONCLUSIVE_CODE: INCONCLUSIVE}
POWER = 0.8  # the power seeds_needed plans for
# The resolution every value has, stated or not: tp2's metrics are float32 computations (≈ 7 significant digits),
# and a timing over ≥ 1 s has a clock resolution ≤ 1 µs, so values closer than 1e-6 × their magnitude are not
# resolved. Each arm's sd is floored at it; when no arm has a stated resolution and none spreads beyond this one,
# there is no seed-to-seed spread to judge on and no verdict (issue 28: a spread of 1e-17 no longer decides).
NUMERIC_RESOLUTION = 1e-6


@dataclass(frozen=True)
class CompareResult:
    """One comparison's verdict, interval and p-values. All numbers are in the effect's unit unless noted."""

    verdict: str  # "supported" | "refuted" | "inconclusive"; Holm-adjusted once p_adjusted is set
    low: float  # two-sided (1 - alpha) interval of the effect
    high: float
    p_value: float  # p of the claimed side: H0 effect <= threshold (greater) / >= (less); TOST p (equivalent)
    relation: str
    threshold: float
    margin: float | None
    alpha: float
    n_a: int  # seeds in arm a
    n_b: int  # seeds in arm b; 0 against a constant
    mean_a: float
    mean_b: float  # mean of arm b, or the constant
    sd_a: float  # sample standard deviation (ddof=1), as observed (before any floor)
    sd_b: float | None  # None against a constant
    effect: float  # mean_a - mean_b
    se: float  # Welch standard error of the effect, arm sds floored at the resolution
    df: float  # Welch–Satterthwaite degrees of freedom
    p_refute: float  # p of the refuting side (equivalent: 2·min of the one-sided p's of lying outside ±margin)
    decision_p: float  # 2·min(p_value, p_refute): a verdict iff < alpha; what Holm adjusts
    permutation_p: float | None  # exact permutation counterpart of decision_p, two-arm only (tp2 judges by t;
    #                              this is the distribution-free cross-check: see `robust`)
    min_permutation_p: float | None  # the smallest permutation_p these n_a + n_b seeds allow, two-arm only
    p_superiority: float | None  # P(A > B), ties ½ (descriptive; two-arm only)
    seeds_needed: int | None  # inconclusive only: seeds per arm for 80% power (welch.seeds_for_power)
    p_adjusted: float | None = None  # Holm-adjusted decision_p (adjust_verdicts); None: judged on its own
    family_size: int = 1  # comparisons in the Holm family
    # why the spread is not the observed one or no verdict was possible, e.g. "sd of arm a floored at its
    # resolution 0.44 (observed 0)"; None when the observed spread was used as is
    spread_note: str | None = None
    resolution: tuple[float, float] = (0.0, 0.0)  # the floor of (sd_a, sd_b) in the effect's unit

    @property
    def permutation_can_reach_alpha(self) -> bool | None:
        """Could an exact permutation test reach alpha at these n at all? None against a constant."""
        return None if self.min_permutation_p is None else self.min_permutation_p <= self.alpha

    @property
    def robust(self) -> bool | None:
        """Does the exact permutation test agree with a supported/refuted verdict? None where it cannot tell: no
        verdict, against a constant, or too few seeds for the permutation test to reach alpha (below 4 per arm).
        False marks a verdict that rests on the t model alone (skewed seed noise: docs/statistics.md)."""
        if self.verdict == INCONCLUSIVE or not self.permutation_can_reach_alpha:
            return None
        return self.permutation_p < self.alpha

    @property
    def seeds_effect(self) -> float:
        """The effect seeds_needed plans for: the observed one (stated beside the figure in tables)."""
        return self.effect

    def at_alpha(self, alpha: float) -> str:
        """The unadjusted verdict this comparison would get at level ``alpha`` (equals ``verdict`` at its alpha)."""
        return _side(self) if self.decision_p < alpha else INCONCLUSIVE

    def to_dict(self) -> dict:
        """Plain JSON types (every float is finite), plus the derived ``robust``."""
        return {**asdict(self), "resolution": list(self.resolution), "robust": self.robust}

    @classmethod
    def from_dict(cls, d: dict) -> "CompareResult":
        names = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in names}
        if "resolution" in d:
            d["resolution"] = tuple(d["resolution"])
        return cls(**d)


def _side(r: CompareResult) -> str:
    """The verdict decision_p speaks for: the side whose p is smaller."""
    return SUPPORTED if r.p_value < r.p_refute else REFUTED


def compare(
    a: Sequence[float],
    b: Sequence[float] | float,
    relation: str,
    *,
    threshold: float = 0.0,
    margin: float | None = None,
    alpha: float = 0.05,
    resolution: float | tuple[float, float] | None = None,
) -> CompareResult:
    """Judge mean(a) - mean(b) (or mean(a) - b) against ``relation`` on its own, without multiplicity adjustment.

    a: (n_a,) per-seed values, n_a >= 2; b: (n_b,), n_b >= 2, or one float. ``resolution``: the finest spread the
    measurement resolves, in the effect's unit (one number, or one per arm): each arm's sd is floored at it. Rules
    in the module docstring. Bad input raises ConfigError (a ValueError) naming the argument; no result holds a
    NaN. Deterministic: no resampling.
    """
    x, y = _sample(a, "a"), _constant_or_sample(b)
    threshold, margin, alpha = _check_rule(relation, threshold, margin, alpha)
    ev, floor, note = judged_evaluation(x, y, relation, threshold=threshold, margin=margin, alpha=alpha,
                                        resolution=resolution)
    two_arm = isinstance(y, np.ndarray)
    numbers = [float(v) for v in (ev.effect, ev.se, ev.low, ev.high, ev.p_value, ev.p_refute, ev.df)]
    if not all(math.isfinite(v) for v in numbers):
        raise ConfigError(f"'a' and 'b' must be small enough for a finite mean and variance (got a={x.tolist()!r}, "
                          f"b={y if not two_arm else y.tolist()!r}); rescale the metric (e.g. judge log10 values).")
    effect, se, low, high, p_value, p_refute, df = numbers
    sd_a = float(np.std(x, ddof=1)) if np.ptp(x) else 0.0
    sd_b = (float(np.std(y, ddof=1)) if np.ptp(y) else 0.0) if two_arm else None
    verdict = _VERDICT[int(ev.verdict)]
    perm_p = min_perm = p_sup = None
    if two_arm:
        from .stats import probability_of_improvement

        perm_p = _permutation_p(x, y, relation, threshold, margin)
        min_perm = permutation.min_pvalue(x.size, y.size, sides=2)
        p_sup = probability_of_improvement(x, y)
    seeds = None
    if verdict == INCONCLUSIVE and se > 0:
        used_a, used_b = max(sd_a, floor[0]), None if sd_b is None else max(sd_b, floor[1])
        seeds = welch.seeds_for_power(effect, used_a, used_b, relation, threshold=threshold, margin=margin,
                                      alpha=alpha, power=POWER, pilot_df=df)
    return CompareResult(
        verdict=verdict, low=low, high=high, p_value=p_value, relation=relation,
        threshold=threshold, margin=margin, alpha=alpha, n_a=int(x.size), n_b=int(y.size) if two_arm else 0,
        mean_a=float(np.mean(x)), mean_b=float(np.mean(y)) if two_arm else y,
        sd_a=sd_a, sd_b=sd_b, effect=effect, se=se, df=df, p_refute=p_refute,
        decision_p=float(ev.decision_p), permutation_p=perm_p, min_permutation_p=min_perm, p_superiority=p_sup,
        seeds_needed=seeds, spread_note=note, resolution=floor,
    )


def _check_rule(relation: object, threshold: object, margin: object, alpha: object) -> tuple:
    """(threshold, margin, alpha) as floats once valid for ``relation``, else ConfigError naming the argument."""
    if relation not in RELATIONS:
        raise ConfigError(f"'relation' must be one of {RELATIONS} (got {relation!r}).")
    if not _finite_number(threshold):
        raise ConfigError(f"'threshold' must be a finite number (got {threshold!r}).")
    if relation == "equivalent":
        if not (_finite_number(margin) and margin > 0):
            raise ConfigError(f"'margin' must be a positive number for relation 'equivalent' (got {margin!r}).")
        if threshold != 0:
            raise ConfigError(f"'threshold' must be 0 for relation 'equivalent' (got {threshold!r}); "
                              "equivalence means |effect| < margin.")
    elif margin is not None:
        raise ConfigError(f"'margin' must be None unless relation is 'equivalent' (got {margin!r}); "
                          "use 'threshold' for 'greater'/'less'.")
    if not (_finite_number(alpha) and 0 < alpha < 0.5):
        raise ConfigError(f"'alpha' must be a number in (0, 0.5) (got {alpha!r}).")
    return float(threshold), None if margin is None else float(margin), float(alpha)


def _check_resolution(resolution: object, *, two_arm: bool) -> tuple[float, float]:
    """(floor of sd_a, floor of sd_b): one non-negative finite number for both arms, or one per arm."""
    values = (0.0, 0.0) if resolution is None else (
        (resolution, resolution) if not isinstance(resolution, (tuple, list)) else tuple(resolution))
    if len(values) != 2 or not all(_finite_number(v) and v >= 0 for v in values):
        raise ConfigError(f"'resolution' must be None, a non-negative finite number or two of them, one per arm "
                          f"(got {resolution!r}); e.g. the binomial standard error of an accuracy.")
    return float(values[0]), float(values[1]) if two_arm else 0.0


def judged_evaluation(x: np.ndarray, y, relation: str, *, threshold: float, margin, alpha: float,
                      resolution=None) -> tuple:
    """(welch.Evaluation, each arm's sd floor, spread note): the one rule that turns per-seed values into a verdict,
    shared by ``compare()`` and every look of the sequential design. Each arm's sd is floored at its resolution —
    the stated one, at least NUMERIC_RESOLUTION × the values' magnitude — so no verdict rests on a spread below
    it; with no stated resolution and no arm spread beyond the numerical one, both p's are 1 (no verdict) and the
    note says why. The note names every arm floored at a stated resolution."""
    two_arm = isinstance(y, np.ndarray)
    stated = _check_resolution(resolution, two_arm=two_arm)
    scale = max(float(np.max(np.abs(x))), float(np.max(np.abs(y))) if two_arm else 0.0)
    numeric = NUMERIC_RESOLUTION * scale
    floor = (max(stated[0], numeric), max(stated[1], numeric) if two_arm else 0.0)
    sds = (_sd(x), _sd(y) if two_arm else None)
    ev = welch.evaluate(x, y, relation, threshold=threshold, margin=margin, alpha=alpha, floor=floor)
    unresolved = not any(stated) and all(sd is None or sd <= numeric for sd in sds)
    if unresolved or not float(ev.se) > 0:
        effect = float(ev.effect)
        ev = ev._replace(se=0.0, low=effect, high=effect, p_value=1.0, p_refute=1.0, decision_p=1.0,
                         verdict=welch.INCONCLUSIVE_CODE)
        return ev, floor, ("no seed-to-seed spread beyond the measurement's resolution (every seed gave the same "
                           "value, up to float round-off): no verdict rests on zero spread; run more seeds or "
                           "state the metric's resolution")
    floored = [f"sd of arm {arm} floored at its resolution {_g(f)} (observed {_g(sd)})"
               for arm, sd, f, s in (("a", sds[0], floor[0], stated[0]), ("b", sds[1], floor[1], stated[1]))
               if sd is not None and s > 0 and sd < f]
    return ev, floor, "; ".join(floored) or None


def _sd(v: np.ndarray) -> float:
    return float(np.std(v, ddof=1)) if np.ptp(v) else 0.0


def _g(x: float) -> str:
    return f"{x:.3g}"


def _permutation_p(x: np.ndarray, y: np.ndarray, relation: str, threshold: float, margin: float | None) -> float:
    """The exact permutation counterpart of decision_p. Directional: two-sided p of 'a - threshold and b are
    exchangeable'; equivalent: 2·min(TOST p, 2·min of the one-sided p's of lying outside ±margin), each one-sided
    p from shifting a by the margin."""
    if relation != "equivalent":
        return permutation.two_sided(*permutation.permutation_pvalues(x - threshold, y))
    p_above_minus_m, p_below_minus_m = permutation.permutation_pvalues(x + margin, y)  # effect vs -margin
    p_above_m, p_below_m = permutation.permutation_pvalues(x - margin, y)  # effect vs +margin
    tost = max(p_above_minus_m, p_below_m)
    outside = min(1.0, 2.0 * min(p_above_m, p_below_minus_m))
    return min(1.0, 2.0 * min(tost, outside))


def holm(p_values) -> np.ndarray:
    """Holm step-down adjusted p-values along the last axis (shape of the input; leading axes are independent
    families, e.g. simulated experiments): adj_(i) = max_{j<=i} min(1, (m - j + 1)·p_(j)) in sorted order.

    Rejecting where adj < alpha controls the family-wise error at alpha (Holm 1979). Hand example:
    p = [0.01, 0.04, 0.03] → sorted 0.01, 0.03, 0.04 × 3, 2, 1 = 0.03, 0.06, 0.04 → running max 0.03, 0.06, 0.06.
    """
    p = np.asarray(p_values, dtype=float)
    if p.ndim < 1 or not np.all((p >= 0) & (p <= 1)):
        raise ConfigError(f"'p_values' must be a sequence of numbers in [0, 1] (got {p.tolist()!r}).")
    order = np.argsort(p, axis=-1, kind="stable")
    m = p.shape[-1]
    ranked = np.take_along_axis(p, order, axis=-1)
    adjusted_sorted = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * ranked), axis=-1)
    out = np.empty_like(p)
    np.put_along_axis(out, order, adjusted_sorted, axis=-1)
    return out


def adjust_verdicts(results: Sequence[CompareResult], alpha: float | None = None, *,
                    family_size: int | None = None) -> list[CompareResult]:
    """The family's results with Holm-adjusted verdicts, in the input order.

    Holm runs over each result's ``decision_p``, plus p = 1 for every member of a ``family_size`` family that has no
    result here (no usable runs, not measurable, not judged): such a member never rejects, and the family — hence
    every verdict — does not depend on which runs happen to be stored. A result keeps its "supported"/"refuted"
    iff its adjusted p < alpha, else becomes "inconclusive". Intervals and raw p-values are unchanged;
    ``p_adjusted`` and ``family_size`` are set. ``alpha`` defaults to the results' common alpha.
    """
    results = list(results)
    if not all(isinstance(r, CompareResult) for r in results):
        raise ConfigError(f"'results' must be CompareResult values (got {[type(r).__name__ for r in results]}).")
    m = len(results) if family_size is None else family_size
    if isinstance(m, bool) or not isinstance(m, int) or m < len(results):
        raise ConfigError(f"'family_size' must be an int >= the {len(results)} results (got {family_size!r}); "
                          "it counts every comparison of the family, with or without a result.")
    if alpha is None:
        alphas = {r.alpha for r in results}
        if len(alphas) > 1:
            raise ConfigError(f"'alpha' must be given when the results' alphas differ (got {sorted(alphas)}).")
        alpha = alphas.pop() if alphas else 0.05
    if not results:
        return []
    adjusted = holm([r.decision_p for r in results] + [1.0] * (m - len(results)))
    return [replace(r, verdict=_side(r) if p < alpha else INCONCLUSIVE, p_adjusted=float(p),
                    family_size=m) for r, p in zip(results, adjusted)]


def _finite_number(x: object) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool) and math.isfinite(x)


def _sample(values: object, name: str) -> np.ndarray:
    """A 1-D float array of >= 2 finite per-seed numbers; booleans, strings and other non-numbers are refused
    (np.asarray would silently turn True into 1.0 and "0.3" into 0.3)."""
    raw = np.asarray(values) if not isinstance(values, (str, bytes)) else np.asarray([values])
    if raw.dtype.kind not in "iuf" or isinstance(values, (str, bytes)):
        raise ConfigError(f"{name!r} must be a 1-D sequence of numbers, one per seed (got {values!r}: "
                          f"{'booleans' if raw.dtype.kind == 'b' else 'non-numbers'}); pass floats, e.g. "
                          "accuracies as [0.31, 0.29].")
    arr = raw.astype(float)
    if arr.ndim != 1:
        raise ConfigError(f"{name!r} must be a 1-D sequence of numbers, one per seed (got shape {arr.shape}).")
    if arr.size < 2:
        raise ConfigError(f"{name!r} must have at least two values, one per seed (got {arr.size}: {arr.tolist()!r}); "
                          "one run says nothing about seed-to-seed spread: run more seeds.")
    if not np.all(np.isfinite(arr)):
        raise ConfigError(f"{name!r} must contain only finite numbers (got {arr.tolist()!r}); "
                          "drop failed runs before comparing.")
    return arr


def _constant_or_sample(b: object) -> np.ndarray | float:
    if isinstance(b, (bool, np.bool_)):
        raise ConfigError(f"'b' must be a sequence of numbers or one number (got {b!r}); pass a float.")
    if np.ndim(b) == 0 and isinstance(b, (int, float, np.integer, np.floating, np.ndarray)):
        if not math.isfinite(float(b)):
            raise ConfigError(f"'b' must be a finite number when it is a constant (got {b!r}).")
        return float(b)
    return _sample(b, "b")
