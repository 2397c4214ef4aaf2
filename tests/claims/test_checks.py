"""tp2core.claims.checks: the exact augmented-share fact, counted with the real single_batch_bug and with broken fakes."""

import json

import pytest

from tp2core.claims.checks import AugmentedShareCheck, CheckResult, count_bug_images
from tp2core.errors import ConfigError


class TestCountBugImages:
    def test_counts_the_real_bug(self):
        """single_batch_bug appends exactly min(batch_size, N) images."""
        assert count_bug_images(40, 16, seed=0) == 16
        assert count_bug_images(10, 16, seed=0) == 10


class TestAugmentedShareCheck:
    def test_supported_with_the_real_bug(self):
        """N=3,000 (quick profile): +128 → 4.1%, +1,024 → 25%; the share grows, so supported."""
        result = AugmentedShareCheck().evaluate(3000)
        assert result.verdict == "supported"
        assert result.values["added"] == {"128": 128, "1024": 1024}
        assert result.values["share"]["128"] == pytest.approx(128 / 3128)
        assert result.values["share"]["1024"] == pytest.approx(1024 / 4024)
        assert result.detail == "N=3,000 training images, bug adds +128 at batch 128 (4.1%), +1,024 at batch 1024 (25%)"

    def test_full_cifar_needs_no_full_size_array(self):
        """N=50,000 (paper): shares 0.26% and 2.0%; the probe array is max(b)+1 images, not 50,000."""
        sizes = []

        def count(n, b, seed):
            sizes.append(n)
            return min(b, n)

        result = AugmentedShareCheck().evaluate(50_000, count=count)
        assert result.verdict == "supported" and sizes == [1025, 1025]
        assert "(0.26%)" in result.detail and "(2.0%)" in result.detail

    def test_smaller_set_than_batch(self):
        """N=500 (smoke): batch 1024 can only add 500 images; the share still grows (128/628 < 500/1000)."""
        result = AugmentedShareCheck().evaluate(500)
        assert result.verdict == "supported" and result.values["added"] == {"128": 128, "1024": 500}

    def test_refuted_when_the_bug_adds_nothing(self):
        """A bug implementation that appends no images refutes the fact, naming the wrong count."""
        result = AugmentedShareCheck().evaluate(3000, count=lambda n, b, seed: 0)
        assert result.verdict == "refuted"
        assert "batch 128 appends 0 images, expected 128" in result.detail
        assert "the share does not grow with the batch size" in result.detail

    def test_refuted_by_recorded_run_sizes(self):
        """A bug run whose recorded training-set size is not N + b refutes the fact."""
        check = AugmentedShareCheck()
        assert check.evaluate(3000, recorded={1024: 4024, 128: 3128}).verdict == "supported"
        bad = check.evaluate(3000, recorded={1024: 6000})
        assert bad.verdict == "refuted" and "a batch-1024 bug run trained on 6,000 images, expected 4,024" in bad.detail

    def test_a_profile_that_keeps_the_share_checks_its_scaled_counts(self):
        """Issue 21: on 20,000 images quick's bug augments 51 / 410 (the notes' 0.26% / 2.0%): supported with those
        counts, refuted when the bug still appends whole batches."""
        check, augments = AugmentedShareCheck(), {128: 51, 1024: 410}
        good = check.evaluate(20_000, augments=augments, recorded={128: 20_051, 1024: 20_410})
        assert good.verdict == "supported" and good.values["added"] == {"128": 51, "1024": 410}
        whole = check.evaluate(20_000, augments=augments, count=lambda n, b, seed: 128 if b == 51 else 1024)
        assert whole.verdict == "refuted" and "batch 128 appends 128 images, expected 51" in whole.detail

    def test_inconclusive_when_augment_is_missing(self):
        """Without tp2core.recipe.augment the check cannot count: inconclusive, saying why."""

        def count(n, b, seed):
            raise ImportError("No module named 'tp2core.recipe.augment'")

        result = AugmentedShareCheck().evaluate(3000, count=count)
        assert result.verdict == "inconclusive" and "could not count images" in result.detail

    @pytest.mark.parametrize("bad", [(128,), (1024, 128), (128, 128), (0, 128), [128, 1024]])
    def test_batch_sizes_validation(self, bad):
        """batch_sizes must be a tuple of ≥ 2 strictly increasing positive ints."""
        with pytest.raises(ConfigError) as exc:
            AugmentedShareCheck(batch_sizes=bad)
        assert str(exc.value) == (
            f"'batch_sizes' must be a tuple of at least two increasing positive ints (got {bad!r})."
        )

    def test_n_train_validation(self):
        """n_train must be a positive int."""
        with pytest.raises(ConfigError) as exc:
            AugmentedShareCheck().evaluate(0)
        assert str(exc.value) == "'n_train' must be a positive int (got 0)."

    def test_result_round_trips(self):
        """The check's result survives JSON (it rides to the controller on the test report)."""
        result = AugmentedShareCheck(batch_sizes=(32, 128, 1024), seed=3).evaluate(3000)
        assert CheckResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result
