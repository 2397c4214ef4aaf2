"""Welch t intervals, tests and verdicts, vectorised over trials: the one definition behind ``compare()`` and
the calibration simulation (tp2core.claims.calibration).

Arrays hold one seed per entry along the **last** axis; every leading axis is a batch (e.g. simulated trials):
``a`` has shape (..., n_a); ``b`` has shape (..., n_b) or is one float (a constant to compare mean(a) with).

Why not only ``scipy.stats.ttest_ind(equal_var=False)``/``ttest_1samp``: they are the same formulas (the tests
check equality to machine precision) but ttest_ind has no null difference other than 0, neither gives a TOST,
and both return NaN when every seed of an arm gave the same value, which smoke runs do (1.00% accuracy, chance,
for every seed). Here each arm's sd is floored at ``floor`` (the measurement's resolution, e.g. the binomial
standard error of an accuracy; tp2core.claims.claim), and a comparison whose standard error is still 0 reaches no
verdict: both p-values are 1 (docs/statistics.md, "Zero spread").

One rule for every relation (issue 22): the claimed side's p (``p_value``) and the refuting side's p (``p_refute``)
are each tested at alpha/2, so at the boundary each false verdict has probability ≤ alpha/2 and any false verdict
≤ alpha; ``decision_p`` = 2·min(p_value, p_refute) is < alpha exactly when a verdict is reached, and is a valid p
of "the effect is on the boundary", so Holm over decision_p bounds the family at alpha.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import require
from .stats import RELATIONS  # noqa: F401  (re-exported: the vocabulary has one owner, tp2core.claims.stats)

SUPPORTED_CODE, REFUTED_CODE, INCONCLUSIVE_CODE = 1, -1, 0  # verdict codes in arrays
SD_CONFIDENCE = 0.9  # seeds_for_power plans with the sd's one-sided 90% upper confidence bound from the pilot
WELCH, HSU, RATIO_BOUND = "welch", "hsu", "ratio-bound"  # df rules of two-arm comparisons (``degrees_of_freedom``)
DF_RULES = (WELCH, HSU, RATIO_BOUND)


class Evaluation(NamedTuple):
    """Per-trial results, each of the batch shape (...)."""

    effect: np.ndarray  # mean(a) - mean(b), or mean(a) - b
    se: np.ndarray  # Welch standard error of the effect (arm sds floored at `floor`)
    df: np.ndarray  # Welch–Satterthwaite degrees of freedom (n_a - 1 against a constant)
    low: np.ndarray  # two-sided (1 - alpha) interval of the effect, every relation
    high: np.ndarray
    p_value: np.ndarray  # p of the claimed side (TOST p for equivalent); 1 when se is 0
    p_refute: np.ndarray  # p of the refuting side (for equivalent: Bonferroni over both sides); 1 when se is 0
    decision_p: np.ndarray  # 2·min(p_value, p_refute), capped at 1: a verdict iff < alpha
    verdict: np.ndarray  # SUPPORTED_CODE | REFUTED_CODE | INCONCLUSIVE_CODE, int8


def _mean_var(x: np.ndarray, floor: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and unbiased variance over the last axis, the sd floored at ``floor``; an arm of identical values has
    exactly its value (no round-off) and variance floor²."""
    with np.errstate(over="ignore", invalid="ignore"):  # huge values: a non-finite result compare() refuses
        constant = np.ptp(x, axis=-1) == 0
        mean = np.where(constant, x[..., 0], x.mean(axis=-1))
        var = np.where(constant, 0.0, x.var(axis=-1, ddof=1))
        return mean, np.maximum(var, np.square(floor))


def degrees_of_freedom(var_a, var_b, n_a, n_b, rule: str = WELCH) -> np.ndarray:
    """df of the two-arm t statistic with arm variances ``var_a``, ``var_b`` (per seed) and ``n_a``, ``n_b`` seeds
    (arrays broadcast; NaN where both variances are 0). ``rule`` (issue 29, docs/statistics.md "Budgeted seeds"):

    - ``"welch"``: Welch–Satterthwaite, (v_a + v_b)² / (v_a²/(n_a − 1) + v_b²/(n_b − 1)), v = var/n. Exact only
      for equal sds; at tiny levels with 3 seeds a side and sd ratios near 10 its p is anti-conservative.
    - ``"hsu"``: min(n_a, n_b) − 1 (Hsu 1938, Banerjee): conservative for every sd ratio.
    - ``"ratio-bound"``: Welch–Satterthwaite at the least favourable variance ratio σ_a²/σ_b² inside its two-sided
      confidence interval from F(n_a − 1, n_b − 1), each end at SD_CONFIDENCE (90%) — the same confidence at which
      seed plans bound an sd; between Hsu's df and Welch's, Welch's as the seeds grow.
    """
    require(rule in DF_RULES, "df", f"one of {', '.join(map(repr, DF_RULES))}", rule)
    n_a, n_b = np.asarray(n_a, dtype=float), np.asarray(n_b, dtype=float)
    va, vb = np.asarray(var_a, dtype=float) / n_a, np.asarray(var_b, dtype=float) / n_b
    if rule == HSU:
        return np.where(va + vb > 0, np.minimum(n_a, n_b) - 1.0, np.nan)

    def satterthwaite(x):
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            return (x + vb) ** 2 / (x**2 / (n_a - 1.0) + vb**2 / (n_b - 1.0))

    if rule == WELCH:
        return satterthwaite(va)
    from scipy.stats import f as fisher

    # var_a/var_b ÷ (σ_a²/σ_b²) ~ F(n_a − 1, n_b − 1); df is unimodal in va, so its minimum is at an end
    upper_q, lower_q = (fisher.ppf(q, n_a - 1.0, n_b - 1.0) for q in (SD_CONFIDENCE, 1.0 - SD_CONFIDENCE))
    return np.fmin(satterthwaite(va / upper_q), satterthwaite(va / lower_q))


def welch(a: np.ndarray, b: np.ndarray | float, floor: tuple = (0.0, 0.0), df: str = WELCH,
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(effect, se, df)`` of mean(a) - mean(b) (Welch) or mean(a) - b (one-sample t, df = n_a - 1).

    a: (..., n_a) with n_a >= 2; b: (..., n_b) with n_b >= 2, or a float. ``floor``: (floor of sd_a, of sd_b),
    each a float or broadcastable to the batch. ``df``: the two-arm df rule (``degrees_of_freedom``; "welch" is
    Welch–Satterthwaite). When both variances are 0 the df is 0/0; it is set to n_a + n_b - 2 (irrelevant: no
    verdict is reached at se 0).
    """
    a = np.asarray(a, dtype=float)
    n_a = a.shape[-1]
    mean_a, var_a = _mean_var(a, floor[0])
    if np.ndim(b) == 0:
        require(df in DF_RULES, "df", f"one of {', '.join(map(repr, DF_RULES))}", df)
        v = var_a / n_a
        return mean_a - float(b), np.sqrt(v), np.full(np.shape(mean_a), n_a - 1.0)
    b = np.asarray(b, dtype=float)
    n_b = b.shape[-1]
    mean_b, var_b = _mean_var(b, floor[1])
    se2 = var_a / n_a + var_b / n_b
    dof = np.where(se2 > 0, degrees_of_freedom(var_a, var_b, n_a, n_b, df), n_a + n_b - 2.0)
    return mean_a - mean_b, np.sqrt(se2), dof


def _t(distance: np.ndarray, se: np.ndarray) -> np.ndarray:
    """distance / se; 0 where se is 0 (those trials get p = 1 and no verdict in ``evaluate``)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(se > 0, distance / np.where(se > 0, se, 1.0), 0.0)


def verdict_codes(low, high, relation: str, threshold: float = 0.0, margin: float | None = None) -> np.ndarray:
    """The interval form of the directional rule, as codes (int8, shape of low): supported iff low > threshold
    ("greater"; high < threshold for "less"), refuted iff the interval lies wholly on the other side. Used for the
    bootstrap contrast in the calibration (directional cells only); ``evaluate`` decides from p-values."""
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    if relation == "greater":
        sup, ref = low > threshold, high < threshold
    elif relation == "less":
        sup, ref = high < threshold, low > threshold
    else:
        raise ValueError(f"'relation' must be 'greater' or 'less' for the interval rule (got {relation!r}).")
    return np.where(sup, SUPPORTED_CODE, np.where(ref, REFUTED_CODE, INCONCLUSIVE_CODE)).astype(np.int8)


def evaluate(
    a: np.ndarray, b: np.ndarray | float, relation: str, *, threshold: float = 0.0, margin: float | None = None,
    alpha: float = 0.05, floor: tuple = (0.0, 0.0), df: str = WELCH,
) -> Evaluation:
    """Welch interval, p-values and verdict of each trial. a: (..., n_a); b: (..., n_b) or a float.

    greater/less: p_value and p_refute are the one-sided p's at the threshold (H0 effect <= / >= threshold).
    equivalent: p_value is the TOST p (the larger of the one-sided p's of H0 effect <= -margin and effect >=
    margin); p_refute is 2·min of the one-sided p's of H0 effect <= margin and effect >= -margin (Bonferroni over
    the two ways to lie outside, so a tiny margin cannot double the false refutations). Every relation: supported
    iff p_value < alpha/2 (greater: the 95% interval lies above the threshold; equivalent: inside ±margin),
    refuted iff p_refute < alpha/2 (equivalent: the 97.5% interval lies wholly outside ±margin). Arguments are not
    validated here (compare() does); this is the inner loop of the calibration simulation. ``df``: the two-arm df
    rule (``degrees_of_freedom``), "welch" everywhere but the exploration of issue 29 (scripts/explore_df.py).
    """
    from scipy.stats import t as student_t  # lazy: importing tp2core.claims stays cheap

    effect, se, df = welch(a, b, floor, df)
    half = student_t.ppf(1.0 - alpha / 2.0, df) * se
    if relation in ("greater", "less"):
        t = _t(effect - threshold, se)
        p_above, p_below = student_t.sf(t, df), student_t.cdf(t, df)  # H0: effect <= / >= threshold
        p_value, p_refute = (p_above, p_below) if relation == "greater" else (p_below, p_above)
    else:
        t_low, t_high = _t(effect + margin, se), _t(effect - margin, se)
        p_value = np.maximum(student_t.sf(t_low, df), student_t.cdf(t_high, df))  # H0: |effect| >= margin
        p_refute = np.minimum(1.0, 2.0 * np.minimum(student_t.cdf(t_low, df), student_t.sf(t_high, df)))
    testable = se > 0
    p_value, p_refute = np.where(testable, p_value, 1.0), np.where(testable, p_refute, 1.0)
    codes = np.where(p_value < alpha / 2, SUPPORTED_CODE, np.where(p_refute < alpha / 2, REFUTED_CODE,
                                                                    INCONCLUSIVE_CODE)).astype(np.int8)
    decision_p = np.minimum(1.0, 2.0 * np.minimum(p_value, p_refute))
    return Evaluation(effect, se, df, effect - half, effect + half, np.asarray(p_value), np.asarray(p_refute),
                      decision_p, codes)


def power_at(n, effect, sd_a, sd_b, relation: str, *, threshold: float = 0.0, margin: float | None = None,
             alpha: float = 0.05) -> np.ndarray:
    """Power of the verdict the effect points to at n seeds per arm, if the true effect and sds are these (arrays
    broadcast; ``sd_b`` None: against a constant): beyond the threshold on the effect's side (directional), for
    equivalent "supported" when |effect| < margin, else "refuted". Noncentral t, Welch–Satterthwaite df at equal
    n; for TOST the Bonferroni lower bound P(both pass) >= P(first) + P(second) - 1."""
    from scipy.stats import nct, t as student_t

    n, effect, sd_a = (np.asarray(v, dtype=float) for v in (n, effect, sd_a))
    var_b = 0.0 if sd_b is None else np.square(np.asarray(sd_b, dtype=float))
    var = np.square(sd_a) + var_b
    se = np.sqrt(var / n)
    df = n - 1.0 if sd_b is None else var**2 * (n - 1.0) / (np.square(sd_a) ** 2 + np.square(var_b))
    if relation in ("greater", "less"):
        return nct.sf(student_t.ppf(1 - alpha / 2, df), df, np.abs(effect - threshold) / se)
    q = student_t.ppf(1 - alpha / 2, df)
    inside = nct.sf(q, df, (effect + margin) / se) + nct.cdf(-q, df, (effect - margin) / se) - 1.0
    outside = nct.sf(student_t.ppf(1 - alpha / 4, df), df, (np.abs(effect) - margin) / se)
    return np.where(np.abs(effect) < margin, np.maximum(inside, 0.0), outside)


def plan_seeds(effect, sd_a, sd_b, relation: str, *, threshold: float = 0.0, margin: float | None = None,
               alpha: float = 0.05, power: float = 0.8, max_seeds: int = 1000, pilot_df=None) -> np.ndarray:
    """``seeds_for_power`` on arrays (effect, sds, pilot_df broadcast): int array, 0 where no plan exists."""
    effect, sd_a = np.asarray(effect, dtype=float), np.asarray(sd_a, dtype=float)
    sd_b = None if sd_b is None else np.asarray(sd_b, dtype=float)
    if pilot_df is not None:
        scale = sd_upper_bound(1.0, np.asarray(pilot_df, dtype=float))
        sd_a, sd_b = sd_a * scale, None if sd_b is None else sd_b * scale
    var = np.square(sd_a) + (0.0 if sd_b is None else np.square(sd_b))
    at_boundary = np.abs(effect) == margin if relation == "equivalent" else effect == threshold
    shape = np.broadcast_shapes(effect.shape, np.shape(var), np.shape(at_boundary))
    defined = np.broadcast_to((var > 0) & ~at_boundary, shape)
    safe_sd_a = np.where(defined, sd_a, 1.0)  # undefined entries get a harmless stand-in, masked at the end

    def enough(n) -> np.ndarray:
        return power_at(n, effect, safe_sd_a, sd_b if sd_b is None else np.where(defined, sd_b, 1.0), relation,
                        threshold=threshold, margin=margin, alpha=alpha) >= power

    reachable = defined & enough(np.full(shape, max_seeds))
    low, high = np.ones(shape, dtype=int), np.full(shape, max_seeds)  # power grows with n: low is not enough, high is
    while np.any(high - low > 1):
        mid = (low + high) // 2
        ok = enough(np.maximum(mid, 2)) & (mid >= 2)
        low, high = np.where(ok, low, mid), np.where(ok, mid, high)
    return np.where(reachable, high, 0)


def sd_upper_bound(sd, df, confidence: float = SD_CONFIDENCE):
    """One-sided ``confidence`` upper bound of a standard deviation estimated with ``df`` degrees of freedom:
    sd·sqrt(df / χ²_{1-confidence}(df)) (×3.08 at df 2, ×1.94 at df 4, ×1.40 at df 10 for 90%)."""
    from scipy.stats import chi2

    return sd * np.sqrt(df / chi2.ppf(1.0 - confidence, df))


def seeds_for_power(
    effect: float, sd_a: float, sd_b: float | None, relation: str, *, threshold: float = 0.0,
    margin: float | None = None, alpha: float = 0.05, power: float = 0.8, max_seeds: int = 1000,
    pilot_df: float | None = None,
) -> int | None:
    """Seeds per arm a new, pre-registered run needs for ``power`` to reach the verdict ``effect`` points to, if
    the true effect is ``effect`` (the effect of interest) and the sds are at most the pilot's ``sd_a``/``sd_b``
    raised to their 90% upper confidence bound (``pilot_df``: the pilot's degrees of freedom; None: the sds are
    taken as known). None when undefined (zero spread, effect exactly at the threshold or margin) or above
    ``max_seeds``. ``sd_b`` None: one arm against a constant.

    Why the upper bound: at 2–3 seeds the observed sd is uncertain by a factor of 2–3, and planning with it gave
    about half the promised power (issue 22); with the bound, a plan from a 3+3 pilot reaches its power in about
    90% of pilots when the true effect is the stated one (docs/statistics.md, "Seed plans").
    """
    n = int(plan_seeds(effect, sd_a, sd_b, relation, threshold=threshold, margin=margin, alpha=alpha, power=power,
                       max_seeds=max_seeds, pilot_df=pilot_df))
    return n or None
