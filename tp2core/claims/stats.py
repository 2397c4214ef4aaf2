"""Pure statistics shared by judging: P(A>B), combining verdicts, and the old bootstrap CI (for contrast only).

Every function takes 1-D arrays of per-seed values (one number per independent training run), is
deterministic given its ``seed``, and imports nothing heavier than scipy. The style follows rliable's
``metrics.py``: small typed functions, shapes in docstrings, answers checkable by hand.

Verdicts of comparisons come from ``tp2core.claims.compare`` (Welch t / TOST, Holm); ``bootstrap_ci`` is the old
percentile bootstrap, kept only so ``tp2core.claims.calibration`` can show in docs/statistics.md why it was
replaced. Several parts of one claim combine as: refuted if any is refuted, else not judged if any part's premise
failed (a model it needs did not learn), supported if all are supported, else inconclusive (``combine``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence

import numpy as np

from ..errors import ConfigError

SUPPORTED = "supported"
REFUTED = "refuted"
INCONCLUSIVE = "inconclusive"
# A comparison whose premise failed (a variant it needs did not learn at this scale; tp2core.claims.claim) is not
# tested at all: never supported, refuted or inconclusive.
NOT_JUDGED = "not judged"
VERDICTS = (SUPPORTED, REFUTED, INCONCLUSIVE)
CLAIM_VERDICTS = (*VERDICTS, NOT_JUDGED)
RELATIONS = ("greater", "less", "equivalent")
STATISTICS = ("mean_difference", "mean")


def _as_sample(values: Sequence[float] | np.ndarray, name: str) -> np.ndarray:
    """A non-empty 1-D float array of finite numbers, or a ConfigError naming the argument."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ConfigError(
            f"{name!r} must be a non-empty 1-D array of finite numbers (got shape {arr.shape}: {arr.tolist()!r}); "
            "drop failed runs before computing statistics."
        )
    return arr


def bootstrap_ci(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray | None = None,
    *,
    statistic: str = "mean_difference",
    confidence: float = 0.95,
    n_resamples: int = 9999,
    seed: int = 0,
) -> tuple[float, float]:
    """Bootstrap confidence interval ``(lo, hi)`` of ``mean(a) - mean(b)`` (b given) or ``mean(a)`` (b None).

    a: shape (n,), b: shape (m,), resampled independently (``scipy.stats.bootstrap``, ``paired=False``).
    ``statistic`` must match: "mean_difference" needs b, "mean" needs b None.

    Method: **percentile**, not BCa. We have 2–5 seeds per variant; BCa's acceleration is a jackknife over
    those few points and scipy returns (nan, nan) with a DegenerateDataWarning whenever the bootstrap
    distribution is degenerate, which happens with tiny n. The percentile interval is always defined; with
    n = 2 it spans ``[min(a) - max(b), max(a) - min(b)]``, i.e. it is wide exactly when the data say little.

    Degenerate cases, decided here rather than left to scipy:
    - every sample constant (zero variance): the interval is the point, ``(point, point)``, without warnings;
    - any sample with a single value: the spread is unknown, so ``(-inf, inf)``; every verdict rule then
      answers "inconclusive", which is the honest answer for one seed.
    """
    from scipy import stats  # lazy: keeps `import tp2core.claims.stats` cheap for the pytest plugin

    if statistic not in STATISTICS:
        raise ConfigError(f"'statistic' must be one of {STATISTICS} (got {statistic!r}).")
    if statistic == "mean_difference" and b is None:
        raise ConfigError("'b' must be given for statistic 'mean_difference' (got None); use statistic='mean'.")
    if statistic == "mean" and b is not None:
        raise ConfigError("'b' must be None for statistic 'mean' (got a sample); use 'mean_difference'.")
    if not (isinstance(confidence, float) and 0.0 < confidence < 1.0):
        raise ConfigError(f"'confidence' must be a float in (0, 1) (got {confidence!r}).")
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int) or n_resamples < 1:
        raise ConfigError(f"'n_resamples' must be a positive int (got {n_resamples!r}).")
    _check_seed(seed)

    samples = [_as_sample(a, "a")] + ([] if b is None else [_as_sample(b, "b")])
    point = _statistic(*samples)
    if any(s.size < 2 for s in samples):
        return (-math.inf, math.inf)
    if all(np.ptp(s) == 0 for s in samples):
        return (point, point)

    def fn(*xs: np.ndarray, axis: int = -1) -> np.ndarray:
        return _statistic(*xs, axis=axis)

    with warnings.catch_warnings():
        # Only reachable for near-degenerate resamples; the cases above already returned.
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        res = stats.bootstrap(
            tuple(samples),
            fn,
            n_resamples=n_resamples,
            confidence_level=confidence,
            method="percentile",
            vectorized=True,
            rng=np.random.default_rng(seed),
        )
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    # Float round-off in the resample means can put a bound 1 ulp past the point estimate.
    return (min(lo, point), max(hi, point))


def _statistic(a: np.ndarray, b: np.ndarray | None = None, *, axis: int = -1):
    if b is None:
        return np.mean(a, axis=axis) if np.ndim(a) > 1 else float(np.mean(a))
    out = np.mean(a, axis=axis) - np.mean(b, axis=axis)
    return out if np.ndim(out) else float(out)


def _check_seed(seed: object) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"'seed' must be a non-negative int (got {seed!r}).")


def probability_of_improvement(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    """P(A > B): the share of (a_i, b_j) pairs with a_i > b_j, ties counting 1/2. a: (n,), b: (m,).

    Equals the Mann–Whitney U statistic of a over n·m (``scipy.stats.mannwhitneyu``). Worked example:
    a=[1, 2, 3], b=[0, 2]: pairs (1,0) (1,2) (2,0) (2,2) (3,0) (3,2) score 1+0+1+½+1+1 = 4.5 of 6 → 0.75.
    """
    from scipy import stats

    x, y = _as_sample(a, "a"), _as_sample(b, "b")
    u = stats.mannwhitneyu(x, y, alternative="two-sided").statistic  # U of the first sample
    return float(u) / (x.size * y.size)


def combine(verdicts: Iterable[str]) -> str:
    """One verdict for a claim: refuted if any part is refuted (a measured refutation stands), else not judged if
    any part's premise failed, supported if all are supported, else inconclusive.

    An empty list is inconclusive (nothing was measured).
    """
    vs = list(verdicts)
    for v in vs:
        if v not in CLAIM_VERDICTS:
            raise ConfigError(f"verdict must be one of {CLAIM_VERDICTS} (got {v!r}).")
    if REFUTED in vs:
        return REFUTED
    if NOT_JUDGED in vs:
        return NOT_JUDGED
    if vs and all(v == SUPPORTED for v in vs):
        return SUPPORTED
    return INCONCLUSIVE
