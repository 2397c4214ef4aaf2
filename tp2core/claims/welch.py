"""Welch t intervals, tests and verdicts, vectorised over trials: the one definition behind ``compare()`` and
the calibration simulation (tp2core.claims.calibration).

Arrays hold one seed per entry along the **last** axis; every leading axis is a batch (e.g. simulated trials):
``a`` has shape (..., n_a); ``b`` has shape (..., n_b) or is one float (a constant to compare mean(a) with).

Why not only ``scipy.stats.ttest_ind(equal_var=False)``/``ttest_1samp``: they are the same formulas (the tests
check equality to machine precision) but ttest_ind has no null difference other than 0, neither gives a TOST,
and both return NaN when every seed of an arm gave the same value, which smoke runs do (1.00% accuracy, chance,
for every seed). Here a zero-spread arm contributes zero variance; when the whole standard error is 0 the
interval is the point and the verdict follows the point (documented in docs/statistics.md).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

RELATIONS = ("greater", "less", "equivalent")
SUPPORTED_CODE, REFUTED_CODE, INCONCLUSIVE_CODE = 1, -1, 0  # verdict codes in arrays


class Evaluation(NamedTuple):
    """Per-trial results, each of the batch shape (...)."""

    effect: np.ndarray  # mean(a) - mean(b), or mean(a) - b
    se: np.ndarray  # Welch standard error of the effect
    df: np.ndarray  # Welch–Satterthwaite degrees of freedom (n_a - 1 against a constant)
    low: np.ndarray  # interval of the effect: (1 - alpha) for greater/less, (1 - 2 alpha) for equivalent
    high: np.ndarray
    p_value: np.ndarray  # one-sided p of the claimed side (TOST p for equivalent); see compare.CompareResult
    p_refute: np.ndarray  # one-sided p of the refuting side
    verdict: np.ndarray  # SUPPORTED_CODE | REFUTED_CODE | INCONCLUSIVE_CODE, int8


def _mean_var(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and unbiased variance over the last axis; an arm of identical values has exactly its value and 0."""
    constant = np.ptp(x, axis=-1) == 0
    mean = np.where(constant, x[..., 0], x.mean(axis=-1))
    var = np.where(constant, 0.0, x.var(axis=-1, ddof=1))
    return mean, var


def welch(a: np.ndarray, b: np.ndarray | float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(effect, se, df)`` of mean(a) - mean(b) (Welch) or mean(a) - b (one-sample t, df = n_a - 1).

    a: (..., n_a) with n_a >= 2; b: (..., n_b) with n_b >= 2, or a float. When both arms have zero spread the
    Welch–Satterthwaite df is 0/0; it is set to n_a + n_b - 2 (irrelevant: the interval has width 0).
    """
    a = np.asarray(a, dtype=float)
    n_a = a.shape[-1]
    mean_a, var_a = _mean_var(a)
    if np.ndim(b) == 0:
        v = var_a / n_a
        return mean_a - float(b), np.sqrt(v), np.full(np.shape(mean_a), n_a - 1.0)
    b = np.asarray(b, dtype=float)
    n_b = b.shape[-1]
    mean_b, var_b = _mean_var(b)
    va, vb = var_a / n_a, var_b / n_b
    se2 = va + vb
    with np.errstate(invalid="ignore", divide="ignore"):
        df = se2**2 / (va**2 / (n_a - 1) + vb**2 / (n_b - 1))
    df = np.where(se2 > 0, df, n_a + n_b - 2.0)
    return mean_a - mean_b, np.sqrt(se2), df


def _t(distance: np.ndarray, se: np.ndarray) -> np.ndarray:
    """distance / se, with ±inf (or 0 for a zero distance) when se is 0: the point decides."""
    with np.errstate(invalid="ignore", divide="ignore"):
        at_point = np.where(distance == 0, 0.0, np.sign(distance) * np.inf)
        return np.where(se > 0, distance / np.where(se > 0, se, 1.0), at_point)


def verdict_codes(low, high, relation: str, threshold: float = 0.0, margin: float | None = None) -> np.ndarray:
    """The verdict rule on intervals ``(low, high)`` of the effect, as codes (int8, shape of low).

    greater: supported iff low > threshold, refuted iff high < threshold; less mirrors it; equivalent:
    supported iff -margin < low and high < margin, refuted iff low > margin or high < -margin. An interval
    touching the threshold is inconclusive.
    """
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    if relation == "greater":
        sup, ref = low > threshold, high < threshold
    elif relation == "less":
        sup, ref = high < threshold, low > threshold
    else:
        sup, ref = (low > -margin) & (high < margin), (low > margin) | (high < -margin)
    return np.where(sup, SUPPORTED_CODE, np.where(ref, REFUTED_CODE, INCONCLUSIVE_CODE)).astype(np.int8)


def evaluate(
    a: np.ndarray, b: np.ndarray | float, relation: str, *, threshold: float = 0.0, margin: float | None = None,
    alpha: float = 0.05,
) -> Evaluation:
    """Welch interval, p-values and verdict of each trial. a: (..., n_a); b: (..., n_b) or a float.

    greater/less: two-sided (1 - alpha) interval, so a verdict either way is a one-sided test at alpha/2
    (supported iff p_value < alpha/2). equivalent: TOST at alpha, i.e. the (1 - 2 alpha) interval
    (supported iff p_value < alpha; refuted iff p_refute < alpha). Arguments are not validated here
    (compare() does); this is the inner loop of the calibration simulation.
    """
    from scipy.stats import t as student_t  # lazy: importing tp2core.claims stays cheap

    effect, se, df = welch(a, b)
    if relation in ("greater", "less"):
        half = student_t.ppf(1.0 - alpha / 2.0, df) * se
        t = _t(effect - threshold, se)
        p_above, p_below = student_t.sf(t, df), student_t.cdf(t, df)  # H0: effect <= / >= threshold
        p_value, p_refute = (p_above, p_below) if relation == "greater" else (p_below, p_above)
    else:
        half = student_t.ppf(1.0 - alpha, df) * se
        t_low, t_high = _t(effect + margin, se), _t(effect - margin, se)
        p_value = np.maximum(student_t.sf(t_low, df), student_t.cdf(t_high, df))  # H0: |effect| >= margin
        p_refute = np.minimum(student_t.cdf(t_low, df), student_t.sf(t_high, df))  # H0: effect in [-m, m]
    low, high = effect - half, effect + half
    codes = verdict_codes(low, high, relation, threshold, margin)
    return Evaluation(effect, se, df, low, high, np.asarray(p_value), np.asarray(p_refute), codes)


def seeds_for_power(
    effect: float, sd_a: float, sd_b: float | None, relation: str, *, threshold: float = 0.0,
    margin: float | None = None, alpha: float = 0.05, power: float = 0.8, max_seeds: int = 1000,
) -> int | None:
    """Seeds per arm a new run needs for ``power`` to reach a verdict, if the true effect and the arms' sds are
    the observed ones; None when that is undefined (zero spread, effect exactly at the threshold or margin)
    or above ``max_seeds``. ``sd_b`` None: one arm against a constant.

    The verdict aimed at is the one the observed effect points to: beyond the threshold on its side for
    greater/less; for equivalent, "supported" if |effect| < margin, else "refuted". Power uses the noncentral
    t with the Welch–Satterthwaite df at equal n per arm (for TOST the Bonferroni lower bound
    P(both one-sided tests pass) >= P(first) + P(second) - 1, so the answer errs towards more seeds).
    """
    from scipy.stats import nct, t as student_t

    var = sd_a**2 + (0.0 if sd_b is None else sd_b**2)
    if not var > 0:
        return None
    n = np.arange(2, max_seeds + 1, dtype=float)
    se = np.sqrt(var / n)
    df = n - 1.0 if sd_b is None else var**2 * (n - 1.0) / (sd_a**4 + sd_b**4)
    if relation in ("greater", "less"):
        distance = abs(effect - threshold)
        if distance == 0:
            return None
        achieved = nct.sf(student_t.ppf(1 - alpha / 2, df), df, distance / se)
    else:
        q = student_t.ppf(1 - alpha, df)
        if abs(effect) < margin:
            achieved = nct.sf(q, df, (effect + margin) / se) + nct.cdf(-q, df, (effect - margin) / se) - 1.0
        elif abs(effect) > margin:
            achieved = nct.sf(q, df, (abs(effect) - margin) / se)
        else:
            return None
    enough = np.flatnonzero(achieved >= power)
    return int(n[enough[0]]) if enough.size else None
