"""``compare()``: one statistically judged comparison of per-seed values, and Holm's adjustment over a family.

Public contract (issue 13, other checks call it)::

    compare(a, b, relation, *, threshold=0.0, margin=None, alpha=0.05) -> CompareResult

``a``: per-seed values of arm A (>= 2); ``b``: those of arm B (>= 2) or one float (a constant). The effect is
mean(a) - mean(b) (or mean(a) - b), in the metric's unit (log10 for log-ratio metrics: judge log10 values).

=========== ================================= ===================================== ===========================
relation    interval                          supported                             refuted
=========== ================================= ===================================== ===========================
greater     Welch t, two-sided 1 - alpha      low > threshold (p_value < alpha/2)   high < threshold
less        Welch t, two-sided 1 - alpha      high < threshold (p_value < alpha/2)  low > threshold
equivalent  Welch t, 1 - 2 alpha (TOST)       -margin < low, high < margin          low > margin or high < -margin
                                              (p_value < alpha)                     (p_refute < alpha)
=========== ================================= ===================================== ===========================

Against a constant the interval is the one-sample t interval. Anything else is "inconclusive". So at alpha =
0.05 a directional verdict is wrong at most 2.5% of the time each way, an equivalence verdict at most 5%
(shown by scripts/calibrate_stats.py in docs/statistics.md). ``decision_p`` puts both on one scale — a verdict
is reached iff decision_p < alpha — and is what Holm adjusts (``adjust_verdicts``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from ..errors import ConfigError
from . import permutation, welch

SUPPORTED, REFUTED, INCONCLUSIVE = "supported", "refuted", "inconclusive"
_VERDICT = {welch.SUPPORTED_CODE: SUPPORTED, welch.REFUTED_CODE: REFUTED, welch.INCONCLUSIVE_CODE: INCONCLUSIVE}
POWER = 0.8  # the power seeds_needed plans for


@dataclass(frozen=True)
class CompareResult:
    """One comparison's verdict, interval and p-values. All numbers are in the effect's unit unless noted."""

    verdict: str  # "supported" | "refuted" | "inconclusive"; Holm-adjusted once p_adjusted is set
    low: float  # interval of the effect (see the module table for its level)
    high: float
    p_value: float  # one-sided p of the claimed side: H0 effect <= threshold (greater) / >= (less); TOST p
    relation: str
    threshold: float
    margin: float | None
    alpha: float
    n_a: int  # seeds in arm a
    n_b: int  # seeds in arm b; 0 against a constant
    mean_a: float
    mean_b: float  # mean of arm b, or the constant
    sd_a: float  # sample standard deviation (ddof=1)
    sd_b: float | None  # None against a constant
    effect: float  # mean_a - mean_b
    se: float  # Welch standard error of the effect; 0 when no arm varies (then the interval is the point)
    df: float  # Welch–Satterthwaite degrees of freedom
    p_refute: float  # one-sided p of the refuting side (effect beyond the threshold the other way / outside ±m)
    decision_p: float  # greater/less: 2·min(p_value, p_refute); equivalent: min(...); verdict iff < alpha
    permutation_p: float | None  # exact permutation p, two-arm only (directional: two-sided at the threshold;
    #                              equivalent: max of the one-sided tests at ±margin)
    min_permutation_p: float | None  # the smallest permutation_p these n_a + n_b seeds allow, two-arm only
    p_superiority: float | None  # P(A > B), ties ½ (descriptive; two-arm only)
    seeds_needed: int | None  # inconclusive only: seeds per arm for 80% power (welch.seeds_for_power)
    p_adjusted: float | None = None  # Holm-adjusted decision_p (adjust_verdicts); None: judged on its own
    family_size: int = 1  # comparisons in the Holm family

    @property
    def permutation_can_reach_alpha(self) -> bool | None:
        """Could an exact permutation test reach alpha at these n at all? None against a constant."""
        return None if self.min_permutation_p is None else self.min_permutation_p <= self.alpha

    def at_alpha(self, alpha: float) -> str:
        """The unadjusted verdict this comparison would get at level ``alpha`` (equals ``verdict`` at its alpha)."""
        return _side(self) if self.decision_p < alpha else INCONCLUSIVE

    def to_dict(self) -> dict:
        """Plain JSON types (every float is finite)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "CompareResult":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


def _side(r: CompareResult) -> str:
    """The verdict decision_p speaks for: the side whose one-sided p is smaller."""
    return SUPPORTED if r.p_value < r.p_refute else REFUTED


def compare(
    a: Sequence[float],
    b: Sequence[float] | float,
    relation: str,
    *,
    threshold: float = 0.0,
    margin: float | None = None,
    alpha: float = 0.05,
) -> CompareResult:
    """Judge mean(a) - mean(b) (or mean(a) - b) against ``relation`` on its own, without multiplicity adjustment.

    a: (n_a,) per-seed values, n_a >= 2; b: (n_b,), n_b >= 2, or one float. Rules in the module docstring.
    Bad input raises ConfigError (a ValueError) naming the argument. Deterministic: no resampling.
    """
    x = _sample(a, "a")
    y = _constant_or_sample(b)
    if relation not in welch.RELATIONS:
        raise ConfigError(f"'relation' must be one of {welch.RELATIONS} (got {relation!r}).")
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
    threshold, margin, alpha = float(threshold), None if margin is None else float(margin), float(alpha)

    ev = welch.evaluate(x, y, relation, threshold=threshold, margin=margin, alpha=alpha)
    two_arm = isinstance(y, np.ndarray)
    effect, se = float(ev.effect), float(ev.se)
    p_value, p_refute = float(ev.p_value), float(ev.p_refute)
    decision_p = min(p_value, p_refute) * (1.0 if relation == "equivalent" else 2.0)
    verdict = _VERDICT[int(ev.verdict)]
    sd_a = float(np.std(x, ddof=1)) if np.ptp(x) else 0.0
    sd_b = (float(np.std(y, ddof=1)) if np.ptp(y) else 0.0) if two_arm else None
    perm_p = min_perm = p_sup = None
    if two_arm:
        from .stats import probability_of_improvement

        perm_p = _permutation_p(x, y, relation, threshold, margin)
        min_perm = permutation.min_pvalue(x.size, y.size, sides=1 if relation == "equivalent" else 2)
        p_sup = probability_of_improvement(x, y)
    seeds = None
    if verdict == INCONCLUSIVE:
        seeds = welch.seeds_for_power(effect, sd_a, sd_b, relation, threshold=threshold, margin=margin,
                                      alpha=alpha, power=POWER)
    return CompareResult(
        verdict=verdict, low=float(ev.low), high=float(ev.high), p_value=p_value, relation=relation,
        threshold=threshold, margin=margin, alpha=alpha, n_a=int(x.size), n_b=int(y.size) if two_arm else 0,
        mean_a=float(np.mean(x)), mean_b=float(np.mean(y)) if two_arm else y,
        sd_a=sd_a, sd_b=sd_b, effect=effect, se=se, df=float(ev.df), p_refute=p_refute,
        decision_p=min(1.0, decision_p), permutation_p=perm_p, min_permutation_p=min_perm, p_superiority=p_sup,
        seeds_needed=seeds,
    )


def _permutation_p(x: np.ndarray, y: np.ndarray, relation: str, threshold: float, margin: float | None) -> float:
    """Directional: two-sided exact p of 'a - threshold and b exchangeable'; equivalent: the permutation TOST."""
    if relation != "equivalent":
        return permutation.two_sided(*permutation.permutation_pvalues(x - threshold, y))
    p_above_minus_m, _ = permutation.permutation_pvalues(x + margin, y)  # H0: effect <= -margin
    _, p_below_m = permutation.permutation_pvalues(x - margin, y)  # H0: effect >= margin
    return max(p_above_minus_m, p_below_m)


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm step-down adjusted p-values, shape (m,): adj_(i) = max_{j<=i} min(1, (m - j + 1)·p_(j)) in sorted order.

    Rejecting where adj < alpha controls the family-wise error at alpha (Holm 1979). Hand example:
    p = [0.01, 0.04, 0.03] → sorted 0.01, 0.03, 0.04 × 3, 2, 1 = 0.03, 0.06, 0.04 → running max 0.03, 0.06, 0.06.
    """
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1 or not np.all((p >= 0) & (p <= 1)):
        raise ConfigError(f"'p_values' must be a 1-D sequence of numbers in [0, 1] (got {np.asarray(p_values).tolist()!r}).")
    order = np.argsort(p, kind="stable")
    m = p.size
    adjusted_sorted = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adjusted_sorted
    return out


def adjust_verdicts(results: Sequence[CompareResult], alpha: float | None = None) -> list[CompareResult]:
    """The family's results with Holm-adjusted verdicts, in the input order.

    The family is every comparison judged in the session. Holm runs over each result's ``decision_p``; a
    result keeps its "supported"/"refuted" iff its adjusted p < alpha, else becomes "inconclusive". Intervals
    and raw p-values are unchanged (tables show the raw p beside the adjusted verdict); ``p_adjusted`` and
    ``family_size`` are set. ``alpha`` defaults to the results' common alpha.
    """
    results = list(results)
    if not all(isinstance(r, CompareResult) for r in results):
        raise ConfigError(f"'results' must be CompareResult values (got {[type(r).__name__ for r in results]}).")
    if alpha is None:
        alphas = {r.alpha for r in results}
        if len(alphas) > 1:
            raise ConfigError(f"'alpha' must be given when the results' alphas differ (got {sorted(alphas)}).")
        alpha = alphas.pop() if alphas else 0.05
    adjusted = holm([r.decision_p for r in results])
    return [replace(r, verdict=_side(r) if p < alpha else INCONCLUSIVE, p_adjusted=float(p),
                    family_size=len(results)) for r, p in zip(results, adjusted)]


def _finite_number(x: object) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool) and math.isfinite(x)


def _sample(values: object, name: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ConfigError(f"{name!r} must be a 1-D sequence of numbers, one per seed (got {values!r}).") from None
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
    if isinstance(b, bool):
        raise ConfigError(f"'b' must be a sequence of numbers or one number (got {b!r}).")
    if np.ndim(b) == 0 and isinstance(b, (int, float, np.integer, np.floating, np.ndarray)):
        if not math.isfinite(float(b)):
            raise ConfigError(f"'b' must be a finite number when it is a constant (got {b!r}).")
        return float(b)
    return _sample(b, "b")
