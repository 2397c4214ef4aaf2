"""tp2core.claims.stats: tiny arrays whose answers are checked by hand (rliable style)."""

import itertools
import math
import warnings

import numpy as np
import pytest

from tp2core.claims import stats
from tp2core.errors import ConfigError


class TestProbabilityOfImprovement:
    def test_hand_computed_with_tie(self):
        """Pairs (1,0) (1,2) (2,0) (2,2) (3,0) (3,2) score 1+0+1+½+1+1 = 4.5 of 6."""
        assert stats.probability_of_improvement([1, 2, 3], [0, 2]) == 0.75

    def test_interleaved_samples(self):
        """[1, 2] vs [0, 3]: 1>0, 1<3, 2>0, 2<3 → 2 of 4."""
        assert stats.probability_of_improvement([1, 2], [0, 3]) == 0.5

    def test_dominance_and_symmetry(self):
        """All of A above all of B gives 1; swapping the samples gives 1 - P."""
        assert stats.probability_of_improvement([5, 6], [1, 2, 3]) == 1.0
        assert stats.probability_of_improvement([1, 2, 3], [5, 6]) == 0.0
        p = stats.probability_of_improvement([1, 4, 2], [3, 0])
        assert p + stats.probability_of_improvement([3, 0], [1, 4, 2]) == pytest.approx(1.0)

    def test_all_ties_is_half(self):
        """Identical constant samples: every pair ties, P = 1/2."""
        assert stats.probability_of_improvement([2, 2], [2, 2, 2]) == 0.5


class TestBootstrapCI:
    def test_contains_point_estimate(self):
        """The CI of mean(a) - mean(b) contains the point estimate and is a proper interval."""
        a, b = [20.0, 21.0, 22.5], [1.0, 1.2, 0.9]
        lo, hi = stats.bootstrap_ci(a, b)
        assert lo < float(np.mean(a) - np.mean(b)) < hi

    def test_two_seeds_span_the_extremes(self):
        """With n=2 per sample the percentile CI is [min(a)-max(b), max(a)-min(b)] (each extreme has p=1/16)."""
        lo, hi = stats.bootstrap_ci([20.0, 21.0], [1.0, 1.2])
        assert (lo, hi) == pytest.approx((18.8, 20.0))

    def test_percentile_method_matches_exact_enumeration(self):
        """Skewed n=4 vs n=3: the CI matches the exact percentile bootstrap (all 4⁴·3³ resamples), not BCa's.

        BCa gives about (0.42, 15.4) here; the percentile interval is about (0.08, 14.5).
        """
        a, b = [1.0, 2.0, 3.0, 20.0], [0.0, 1.0, 2.0]
        diffs = sorted(
            float(np.mean(ra) - np.mean(rb))
            for ra in itertools.product(a, repeat=len(a))
            for rb in itertools.product(b, repeat=len(b))
        )
        exact = (np.quantile(diffs, 0.025), np.quantile(diffs, 0.975))
        assert stats.bootstrap_ci(a, b) == pytest.approx(exact, abs=0.2)

    def test_one_sample_mean(self):
        """statistic='mean' bootstraps mean(a); [1, 3] spans [1, 3]."""
        assert stats.bootstrap_ci([1.0, 3.0], statistic="mean") == pytest.approx((1.0, 3.0))

    def test_constant_samples_give_a_point_without_warnings(self):
        """Zero variance in every sample: the interval is the point, and scipy is not asked (no warning)."""
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert stats.bootstrap_ci([3.0, 3.0, 3.0], [1.0, 1.0]) == (2.0, 2.0)
            assert stats.bootstrap_ci([0.5, 0.5], statistic="mean") == (0.5, 0.5)

    def test_single_run_is_unbounded(self):
        """One value in a sample: the spread is unknown, so (-inf, inf)."""
        assert stats.bootstrap_ci([5.0], [1.0, 2.0]) == (-math.inf, math.inf)
        assert stats.bootstrap_ci([5.0], statistic="mean") == (-math.inf, math.inf)

    def test_seed_reproducible_and_seed_dependent(self):
        """Same seed, same CI; another seed moves the Monte-Carlo bounds (the seed is really used)."""
        rng = np.random.default_rng(1)
        a, b = rng.normal(1, 1, 12), rng.normal(0, 1, 12)
        first = stats.bootstrap_ci(a, b, seed=3, n_resamples=999)
        assert stats.bootstrap_ci(a, b, seed=3, n_resamples=999) == first
        assert stats.bootstrap_ci(a, b, seed=4, n_resamples=999) != first

    def test_wider_at_higher_confidence(self):
        """A 99% interval contains the 80% one."""
        a, b = [1.0, 2.0, 4.0, 3.0], [0.0, 1.5, 0.5]
        lo80, hi80 = stats.bootstrap_ci(a, b, confidence=0.80)
        lo99, hi99 = stats.bootstrap_ci(a, b, confidence=0.99)
        assert lo99 <= lo80 < hi80 <= hi99 and (lo99, hi99) != (lo80, hi80)

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"b": None}, "'b' must be given for statistic 'mean_difference' (got None); use statistic='mean'."),
            ({"b": [1.0, 2.0], "statistic": "mean"}, "'b' must be None for statistic 'mean' (got a sample); use 'mean_difference'."),
            ({"b": [1.0, 2.0], "statistic": "median"}, "'statistic' must be one of ('mean_difference', 'mean') (got 'median')."),
            ({"b": [1.0, 2.0], "confidence": 95}, "'confidence' must be a float in (0, 1) (got 95)."),
            ({"b": [1.0, 2.0], "n_resamples": 0}, "'n_resamples' must be a positive int (got 0)."),
            ({"b": [1.0, 2.0], "seed": -1}, "'seed' must be a non-negative int (got -1)."),
        ],
    )
    def test_bad_arguments(self, kwargs, message):
        """Bad arguments raise ConfigError with the exact message."""
        with pytest.raises(ConfigError) as exc:
            stats.bootstrap_ci([1.0, 2.0], **kwargs)
        assert str(exc.value) == message


class TestCombine:
    @pytest.mark.parametrize(
        ("verdicts", "expected"),
        [
            (["supported", "supported"], "supported"),
            (["supported", "inconclusive"], "inconclusive"),
            (["supported", "refuted"], "refuted"),
            (["inconclusive", "refuted"], "refuted"),
            (["inconclusive"], "inconclusive"),
            ([], "inconclusive"),
        ],
    )
    def test_table(self, verdicts, expected):
        """Refuted if any refuted; supported only if all supported; else inconclusive."""
        assert stats.combine(verdicts) == expected

    def test_rejects_unknown_verdict(self):
        """A typo in a verdict string is caught."""
        with pytest.raises(ConfigError, match="got 'suported'"):
            stats.combine(["suported"])
