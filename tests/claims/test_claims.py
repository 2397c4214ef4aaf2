"""tp2core.claims.claim (+ metrics, judgement, claims_catalog): claim validation, metric extraction, judging."""

import json
import math

import pytest

from tp2core.claims.checks import AugmentedShareCheck
from tp2core.claims.claim import Claim, Comparison, Expectation, Judgement, judge
from tp2core.claims.catalog import CLAIMS, CLAIMS_BY_NAME
from tp2core.errors import ConfigError
from tp2core.claims.metrics import metric_value, metric_values
from tp2core.training.runs import RunResult, RunSpec
from tp2core.recipe.variants import VARIANTS, get_variant

DS, PROF = "simulated", "quick"


def run(variant, seed, acc=None, *, status="ok", ips=None, grads=None, train_images=3000, dataset=DS, profile=PROF,
        epoch_seconds=(1.0, 1.0, 1.0)):
    spec = RunSpec(get_variant(variant), profile, 30, 20, seed, dataset, "f" * 64)
    failure = None if status == "ok" else "non-finite loss (nan) at epoch 2, batch 7"
    return RunResult(spec, status=status, failure=failure, val_accuracy=acc, images_per_second=ips,
                     grad_norms=grads or {}, train_images=train_images, epoch_seconds=list(epoch_seconds))


def runs(variant, accs, **kw):
    return [run(variant, s, a, **kw) for s, a in enumerate(accs)]


LESS = Claim("collapse", "model1 is worse than model0.", "22% → 0.8%",
             comparisons=(Comparison("model1", "model0", "less"),))


def message(exc_info) -> str:
    return str(exc_info.value)


class TestComparison:
    @pytest.mark.parametrize(
        ("kwargs", "expected"),
        [
            ({"a": "model9"}, f"'a' must be a variant name from {tuple(VARIANTS)} (got 'model9')."),
            ({"b": "model0 "}, f"'b' must be a variant name from {tuple(VARIANTS)} or None (got 'model0 ')."),
            ({"b": "model1"}, "'b' must be a variant other than 'a' ('model1') (got 'model1')."),
            ({"relation": "more"}, "'relation' must be one of ('greater', 'less', 'equivalent') (got 'more')."),
            ({"metric": "accuracy"},
             "'metric' must be one of ('val_accuracy', 'first_layer_grad_norm', 'images_per_second', "
             "'first_layer_weight_change', 'train_accuracy') (got 'accuracy')."),
            ({"threshold": float("nan")}, "'threshold' must be a finite number (got nan)."),
            ({"relation": "equivalent"}, "'margin' must be a positive number for 'equivalent' (got None)."),
            ({"relation": "equivalent", "margin": -2.0}, "'margin' must be a positive number for 'equivalent' (got -2.0)."),
            ({"margin": 2.0}, "'margin' must be None unless relation is 'equivalent' (got 2.0)."),
            ({"b": None}, "'constant' must be a finite number when 'b' is None (got None)."),
            ({"constant": 5.0}, "'constant' must be None when 'b' names a variant (got 5.0)."),
        ],
    )
    def test_validation_messages(self, kwargs, expected):
        """Each bad field raises ConfigError with the exact message."""
        fields = {"a": "model1", "b": "model0", "relation": "less", **kwargs}
        with pytest.raises(ConfigError) as exc:
            Comparison(**fields)
        assert message(exc) == expected

    def test_describe_and_variants(self):
        """Without a label the description is built from the fields; a constant comparison needs one variant."""
        c = Comparison("model2-bugaug", "model2", "equivalent", margin=2.0)
        assert c.describe() == "model2-bugaug ≈ model2 ±2.00 pts (val_accuracy)"
        k = Comparison("model1", None, "less", constant=5.0)
        assert k.variants == ("model1",) and k.describe() == "model1 < 5.00 pts (val_accuracy)"


class TestClaim:
    @pytest.mark.parametrize(
        ("kwargs", "expected"),
        [
            ({"name": "More epochs"},
             "'name' must be a slug of lowercase letters, digits and single hyphens, e.g. 'more-epochs-help' "
             "(got 'More epochs')."),
            ({"name": "a--b"},
             "'name' must be a slug of lowercase letters, digits and single hyphens, e.g. 'more-epochs-help' (got 'a--b')."),
            ({"statement": " "}, "'statement' must be a non-empty sentence (got ' ')."),
            ({"comparisons": [Comparison("model1", "model0", "less")]},
             "'comparisons' must be a tuple of Comparison values (got [Comparison(a='model1', b='model0', "
             "relation='less', metric='val_accuracy', threshold=0.0, margin=None, constant=None, label='')])."),
            ({"comparisons": ()}, "'comparisons' must be non-empty when 'checks' is empty (a claim must measure something) (got ())."),
            ({"expect": {"simulated": Expectation("supported", "x")}},
             "'expect' must be keyed 'dataset/profile', 'dataset/profile/backend' or 'dataset/profile/precision' "
             "with profile one of ('smoke', 'quick', 'paper'), backend one of ('tensorflow', 'jax', 'torch') and "
             "precision one of ('tf32', 'mixed_bfloat16'), e.g. 'simulated/quick' (got 'simulated')."),
            ({"expect": {"simulated/quick": "supported"}},
             "\"expect['simulated/quick']\" must be an Expectation (got 'supported')."),
        ],
    )
    def test_validation_messages(self, kwargs, expected):
        """Each bad field raises ConfigError with the exact message."""
        fields = {"name": "x", "statement": "s.", "notes_figure": "", "comparisons": LESS.comparisons, **kwargs}
        with pytest.raises(ConfigError) as exc:
            Claim(**fields)
        assert message(exc) == expected

    @pytest.mark.parametrize(
        ("kwargs", "expected"),
        [
            ({"verdict": "passed"}, "'verdict' must be one of ('supported', 'refuted', 'inconclusive') (got 'passed')."),
            ({"reason": ""}, "'reason' must be a non-empty string (got '')."),
        ],
    )
    def test_expectation_validation(self, kwargs, expected):
        """An Expectation needs a valid verdict and a reason."""
        with pytest.raises(ConfigError) as exc:
            Expectation(**{"verdict": "supported", "reason": "measured", **kwargs})
        assert message(exc) == expected

    def test_checks_only_claim_is_valid(self):
        """A claim may rest on exact checks alone."""
        claim = Claim("share", "s.", "", checks=(AugmentedShareCheck(),))
        assert claim.variants == ()

    def test_variants_in_first_mention_order_without_duplicates(self):
        """variants lists every variant once, in the order the comparisons mention them."""
        assert CLAIMS_BY_NAME["full-augmentation-helps"].variants == ("model5", "model4", "model4-bugaug")

    def test_expectation_default_and_override(self):
        """Without an entry the expectation is 'supported'; an entry applies to its dataset/profile only."""
        exp = Expectation("inconclusive", "3 seeds on 30 images/class cannot separate 0.2 pts")
        claim = Claim("c", "s.", "", comparisons=LESS.comparisons, expect={"simulated/quick": exp})
        assert claim.expectation("simulated", "quick") is exp
        assert claim.expectation("simulated", "paper").verdict == "supported"


class TestMetrics:
    def test_units(self):
        """Accuracy in points; grad norm (init, dense_1) and images/s as log10."""
        r = run("model0", 0, 0.2234, ips=1000.0, grads={"init": {"dense_1": 0.01}, "epoch1": {"dense_1": 10.0}})
        assert metric_value(r, "val_accuracy") == pytest.approx(22.34)
        assert metric_value(r, "images_per_second") == pytest.approx(3.0)
        assert metric_value(r, "first_layer_grad_norm") == pytest.approx(-2.0)
        assert metric_value(r, "first_layer_grad_norm", "epoch1") == pytest.approx(1.0)

    def test_weight_change_and_train_accuracy(self):
        """The training-time mechanism probe: relative weight change as log10, training accuracy in points."""
        r = run("model1", 0, 0.01)
        r.first_layer_weight_change, r.train_accuracy = 0.001, 0.012
        assert metric_value(r, "first_layer_weight_change") == pytest.approx(-3.0)
        assert metric_value(r, "train_accuracy") == pytest.approx(1.2)

    def test_throughput_of_a_too_short_run_is_not_judged(self):
        """Under MIN_TIMED_SECONDS of steady training, images/s is noise: excluded, and the reason named."""
        from tp2core.claims.metrics import excluded_runs

        short = run("model2", 0, 0.2, ips=5000.0, epoch_seconds=(0.3, 0.05))
        assert metric_value(short, "images_per_second") is None
        assert "too short to time" in excluded_runs("model2", [short], "images_per_second")[0]
        assert metric_value(run("model2", 0, 0.2, ips=5000.0), "images_per_second") is not None

    def test_zero_gradient_is_floored(self):
        """A vanished (0.0) gradient norm maps to log10(1e-30), not -inf."""
        assert metric_value(run("model1", 0, 0.01, grads={"init": {"dense_1": 0.0}}), "first_layer_grad_norm") == -30.0

    def test_failed_and_missing_runs_dropped(self):
        """Failed runs and runs without the metric are left out of metric_values."""
        rs = [run("model0", 0, 0.2), run("model0", 1, None, status="failed"), run("model0", 2, 0.3)]
        assert metric_values(rs, "val_accuracy").tolist() == pytest.approx([20.0, 30.0])
        assert metric_values(rs, "images_per_second").size == 0

    def test_failed_run_with_partial_metrics_dropped(self):
        """A run that failed after recording its init gradient and throughput contributes nothing."""
        r = run("model1", 0, None, status="failed", ips=500.0, grads={"init": {"dense_1": 1e-4}})
        assert metric_value(r, "first_layer_grad_norm") is None
        assert metric_value(r, "images_per_second") is None


class TestJudge:
    def test_supported_sentence(self):
        """A clear gap in the expected direction is supported, with effect, CI, P(A>B) and seeds in the sentence."""
        j = judge(LESS, {"model0": runs("model0", [0.22, 0.215, 0.225]), "model1": runs("model1", [0.01, 0.008, 0.012])},
                  dataset=DS, profile=PROF)
        assert (j.verdict, j.passed) == ("supported", True)
        c = j.comparisons[0]
        assert c.effect == pytest.approx(-21.0) and c.ci[0] <= c.effect <= c.ci[1] and c.ci[1] < 0
        assert (c.p_a_gt_b, c.n_a, c.n_b) == (0.0, 3, 3)
        assert j.sentence == ("model1 − model0 = −21.0 pts [95% CI −21.5, −20.5], P(A>B)=0.00 over 3+3 seeds "
                              "→ supported (expected supported).")

    def test_refuted(self):
        """The opposite direction is refuted and the sentence says the data point the other way."""
        j = judge(LESS, {"model0": runs("model0", [0.01, 0.012]), "model1": runs("model1", [0.22, 0.23])},
                  dataset=DS, profile=PROF)
        assert (j.verdict, j.passed) == ("refuted", False)
        assert "→ refuted, expected supported: on simulated/quick the data point the other way" in j.sentence

    def test_inconclusive_suggests_more_seeds(self):
        """Overlapping samples are inconclusive; the sentence suggests more seeds and the paper profile."""
        j = judge(LESS, {"model0": runs("model0", [0.20, 0.25]), "model1": runs("model1", [0.21, 0.24])},
                  dataset=DS, profile=PROF)
        assert j.verdict == "inconclusive"
        assert j.sentence.endswith("→ inconclusive, expected supported: try more seeds (--tp2-seeds 10) or the paper profile.")

    def test_expected_inconclusive_passes(self):
        """An 'inconclusive' expectation passes when the data are inconclusive."""
        claim = Claim("c", "s.", "", comparisons=LESS.comparisons,
                      expect={f"{DS}/{PROF}": Expectation("inconclusive", "two seeds cannot tell")})
        j = judge(claim, {"model0": runs("model0", [0.20, 0.25]), "model1": runs("model1", [0.21, 0.24])},
                  dataset=DS, profile=PROF)
        assert j.passed and j.sentence.endswith("→ inconclusive (expected inconclusive).")

    def test_clearer_than_expected_says_update_expectation(self):
        """Supported where 'inconclusive' was expected fails, telling the user to update the expect entry."""
        claim = Claim("c", "s.", "", comparisons=LESS.comparisons,
                      expect={f"{DS}/{PROF}": Expectation("inconclusive", "two seeds cannot tell")})
        j = judge(claim, {"model0": runs("model0", [0.22, 0.21]), "model1": runs("model1", [0.01, 0.02])},
                  dataset=DS, profile=PROF)
        assert not j.passed
        assert j.sentence.endswith("→ supported, expected inconclusive: the result is clearer than expected on "
                                   "simulated/quick; update the claim's expect['simulated/quick'].")

    def test_check_only_claim_uses_profile_size(self):
        """Without runs the training-set size comes from the profile: smoke = 5/class = 500 images."""
        claim = Claim("share", "s.", "", checks=(AugmentedShareCheck(),))
        j = judge(claim, {}, dataset=DS, profile="smoke")
        assert j.verdict == "supported" and j.checks[0].values["n_train"] == 500
        assert judge(claim, {}, dataset=DS, profile="paper").checks[0].values["n_train"] == 50_000

    def test_failed_runs_excluded_and_named(self):
        """Failed runs are excluded; fewer than 2 usable runs → inconclusive, and the sentence names the failures."""
        m1 = [run("model1", 0, 0.01), run("model1", 1, None, status="failed"), run("model1", 2, None, status="failed")]
        j = judge(LESS, {"model0": runs("model0", [0.22, 0.215, 0.225]), "model1": m1}, dataset=DS, profile=PROF)
        assert j.verdict == "inconclusive" and math.isnan(j.comparisons[0].effect)
        assert j.comparisons[0].n_a == 1
        assert "model1: 1 of 3 runs usable, need ≥ 2" in j.sentence
        assert "model1 seed 1 failed (non-finite loss (nan) at epoch 2, batch 7)" in j.sentence
        assert "runs failed or lack the metric" in j.sentence

    def test_one_failed_run_still_judged(self):
        """With 2 of 3 runs usable the comparison is still judged, and the excluded run is mentioned."""
        m1 = [run("model1", 0, 0.01), run("model1", 1, 0.011), run("model1", 2, None, status="failed")]
        j = judge(LESS, {"model0": runs("model0", [0.22, 0.215, 0.225]), "model1": m1}, dataset=DS, profile=PROF)
        assert j.verdict == "supported" and j.comparisons[0].n_a == 2
        assert "(excluded 1 run(s): model1 seed 2 failed" in j.sentence

    def test_missing_variant_is_inconclusive(self):
        """No runs of a variant at all: inconclusive, telling the user to rerun."""
        j = judge(LESS, {"model0": runs("model0", [0.22, 0.21])}, dataset=DS, profile=PROF)
        assert j.verdict == "inconclusive" and "model1: 0 of 0 runs usable" in j.sentence
        assert "runs are missing" in j.sentence

    def test_constant_and_equivalence(self):
        """A constant comparison shifts the one-sample CI; equivalence within the margin is supported."""
        near_chance = CLAIMS_BY_NAME["hidden-softmax-collapses"]
        j = judge(near_chance, {"model0": runs("model0", [0.22, 0.2]), "model1": runs("model1", [0.01, 0.02])},
                  dataset=DS, profile=PROF)
        const = j.comparisons[1]
        assert const.effect == pytest.approx(1.5 - 5.0) and const.ci == pytest.approx((1.0 - 5.0, 2.0 - 5.0))
        assert const.n_b == 0 and j.verdict == "supported"
        noop = CLAIMS_BY_NAME["single-batch-augmentation-is-noop"]
        runs_eq = {"model2": runs("model2", [0.26, 0.265, 0.255]), "model2-bugaug": runs("model2-bugaug", [0.262, 0.258, 0.26])}
        assert judge(noop, runs_eq, dataset=DS, profile=PROF).verdict == "supported"
        runs_far = {"model2": runs("model2", [0.26, 0.265]), "model2-bugaug": runs("model2-bugaug", [0.30, 0.31])}
        assert judge(noop, runs_far, dataset=DS, profile=PROF).verdict == "refuted"

    def test_gradient_threshold_and_epoch1(self):
        """Grad norm: a 10,000× smaller norm passes the 10× threshold; a 3× smaller one is refuted; epoch 1 reported."""
        claim = CLAIMS_BY_NAME["softmax-gradient-small-at-init"]

        def g(init, e1):
            return {"init": {"dense_1": init}, "epoch1": {"dense_1": e1}}

        m0 = [run("model0", s, 0.2, grads=g(2.0 * (1 + s / 10), 1.0)) for s in range(3)]
        tiny = [run("model1", s, 0.01, grads=g(2e-4 * (1 + s / 10), 1e-3)) for s in range(3)]
        j = judge(claim, {"model0": m0, "model1": tiny}, dataset=DS, profile=PROF)
        assert j.verdict == "supported" and j.comparisons[0].epoch1_effect == pytest.approx(-3.0)
        third = [run("model1", s, 0.01, grads=g(0.66 * (1 + s / 10), 0.5)) for s in range(3)]
        assert judge(claim, {"model0": m0, "model1": third}, dataset=DS, profile=PROF).verdict == "refuted"

    def test_mechanism_probe_can_fail(self):
        """softmax-gradient-vanishes is judged from training: a first layer that moved as much as the baseline's
        refutes it even though model1 is at chance; one that moved 100× less, at chance, supports it."""
        claim = CLAIMS_BY_NAME["softmax-gradient-vanishes"]

        def r(variant, seed, change, train_acc):
            out = run(variant, seed, 0.01)
            out.first_layer_weight_change, out.train_accuracy = change * (1 + seed / 10), train_acc
            return out

        m0 = [r("model0", s, 0.5, 0.6) for s in range(3)]
        still = [r("model1", s, 0.005, 0.012) for s in range(3)]
        moved = [r("model1", s, 0.4, 0.012) for s in range(3)]
        assert judge(claim, {"model0": m0, "model1": still}, dataset=DS, profile=PROF).verdict == "supported"
        assert judge(claim, {"model0": m0, "model1": moved}, dataset=DS, profile=PROF).verdict == "refuted"

    def test_check_refutes_the_claim(self, monkeypatch):
        """A failing exact check makes the whole claim refuted even when the comparison is supported."""
        claim = CLAIMS_BY_NAME["bug-share-grows-with-batch"]
        data = {"model4": runs("model4", [0.20, 0.21, 0.205]),
                "model4-bugaug": runs("model4-bugaug", [0.25, 0.26, 0.255], train_images=3000 + 1024)}
        assert judge(claim, data, dataset=DS, profile=PROF).verdict == "supported"
        data["model4-bugaug"] = runs("model4-bugaug", [0.25, 0.26, 0.255], train_images=3000)  # bug did nothing
        j = judge(claim, data, dataset=DS, profile=PROF)
        assert j.verdict == "refuted" and "a batch-1024 bug run trained on 3,000 images, expected 4,024" in j.sentence

    def test_rejects_runs_of_another_profile(self):
        """Runs filed under the wrong variant, dataset or profile are a ConfigError, never silently mixed."""
        with pytest.raises(ConfigError, match=r"^\"runs_by_variant\['model0'\]\" must be runs of \('model0', 'simulated', 'quick'\) only \(got \('model0', 'simulated', 'paper'\)\)\.$"):
            judge(LESS, {"model0": runs("model0", [0.2, 0.2], profile="paper"), "model1": runs("model1", [0.01, 0.01])},
                  dataset=DS, profile=PROF)

    def test_bootstrap_seed_is_used(self):
        """judge's seed reaches the bootstrap: same seed, same CI; the CI depends on it for n=6."""
        data = {"model0": runs("model0", [0.20, 0.25, 0.22, 0.21, 0.24, 0.23]),
                "model1": runs("model1", [0.10, 0.15, 0.12, 0.13, 0.16, 0.11])}
        a = judge(LESS, data, dataset=DS, profile=PROF, seed=1).comparisons[0].ci
        assert judge(LESS, data, dataset=DS, profile=PROF, seed=1).comparisons[0].ci == a
        assert judge(LESS, data, dataset=DS, profile=PROF, seed=2).comparisons[0].ci != a


class TestJudgementJSON:
    @pytest.mark.parametrize("failed", [False, True])
    def test_round_trip(self, failed):
        """to_dict is strict JSON (non-finite → None) and from_dict restores an equal judgement."""
        m1 = runs("model1", [0.01, 0.012]) if not failed else [run("model1", 0, 0.01), run("model1", 1, None, status="failed")]
        claim = CLAIMS_BY_NAME["hidden-softmax-collapses"]
        j = judge(claim, {"model0": runs("model0", [0.22, 0.21]), "model1": m1}, dataset=DS, profile=PROF)
        text = json.dumps(j.to_dict(), allow_nan=False)
        back = Judgement.from_dict(json.loads(text))
        assert back.to_dict() == j.to_dict()
        if failed:
            assert back.comparisons[0].ci == (-math.inf, math.inf) and math.isnan(back.comparisons[0].effect)
        else:
            assert back == j

    def test_dict_has_the_table_fields(self):
        """The dict carries what tables read: claim, notes_figure, verdict, expected, passed, comparison units."""
        d = judge(LESS, {"model0": runs("model0", [0.22, 0.21]), "model1": runs("model1", [0.01, 0.02])},
                  dataset=DS, profile=PROF).to_dict()
        assert (d["claim"], d["notes_figure"], d["verdict"], d["passed"]) == ("collapse", "22% → 0.8%", "supported", True)
        assert d["expected"]["verdict"] == "supported"
        assert {"label", "effect", "unit", "ci", "p_a_gt_b", "n_a", "n_b", "verdict"} <= set(d["comparisons"][0])


class TestCatalog:
    def test_contract_ids(self):
        """The contract ids, unique, in the notes' order, each ablation beside the observation it attributes."""
        assert [c.name for c in CLAIMS] == [
            "hidden-softmax-collapses", "softmax-gradient-vanishes", "softmax-gradient-small-at-init",
            "relu-beats-course-baseline", "single-batch-augmentation-is-noop", "more-epochs-help",
            "model4-worse-than-model3",
            "wide-first-layer-hurts", "large-batch-helps", "extra-relu-layers-help", "thousand-epochs-help",
            "bug-share-grows-with-batch", "full-augmentation-helps", "more-data-not-more-steps",
            "augmented-validation-is-immaterial", "large-batch-is-faster",
        ]
        assert len(CLAIMS_BY_NAME) == 16

    def test_directions_match_the_notes(self):
        """Each comparison's relation matches the notes' direction (a typo here would flip a claim)."""
        got = {c.name: [(x.a, x.b, x.relation, x.metric) for x in c.comparisons] for c in CLAIMS}
        assert got["model4-worse-than-model3"] == [("model4", "model3", "less", "val_accuracy")]
        assert got["wide-first-layer-hurts"] == [("model3-wide", "model3", "less", "val_accuracy")]
        assert got["large-batch-helps"] == [("model3-b1024", "model3", "greater", "val_accuracy")]
        assert got["extra-relu-layers-help"] == [("model3-deep", "model3", "greater", "val_accuracy")]
        assert got["thousand-epochs-help"] == [("model3-e1000", "model3", "greater", "val_accuracy")]
        assert got["more-data-not-more-steps"] == [("model5", "model4-e2000", "greater", "val_accuracy")]
        assert got["augmented-validation-is-immaterial"] == [("model5-augval", "model5", "equivalent", "val_accuracy")]
        assert got["large-batch-is-faster"] == [("model2-b1024", "model2", "greater", "images_per_second")]
        assert got["softmax-gradient-vanishes"] == [("model1", "model0", "less", "first_layer_weight_change"),
                                                    ("model1", None, "less", "train_accuracy")]
        assert CLAIMS_BY_NAME["softmax-gradient-vanishes"].comparisons[0].threshold == -1.0
        assert got["softmax-gradient-small-at-init"] == [("model1", "model0", "less", "first_layer_grad_norm")]


class TestBackendExpectation:
    def test_backend_entry_wins_over_dataset_profile(self):
        """'dataset/profile/backend' applies to runs of that Keras backend only; others fall back."""
        generic = Expectation("inconclusive", "chance level")
        jax_only = Expectation("supported", "chance-level luck on jax")
        claim = Claim("c", "s.", "", comparisons=LESS.comparisons,
                      expect={"simulated/smoke": generic, "simulated/smoke/jax": jax_only})
        assert claim.expectation("simulated", "smoke", "jax") is jax_only
        assert claim.expectation("simulated", "smoke", "tensorflow") is generic
        assert claim.expectation("simulated", "smoke") is generic

    def test_precision_entry_wins_for_that_precision_only(self):
        """'dataset/profile/<opt-in precision>' applies to runs at that precision; float32 runs fall back."""
        generic = Expectation("refuted", "float32")
        bf16 = Expectation("inconclusive", "measured under mixed_bfloat16")
        jax_only = Expectation("supported", "jax")
        claim = Claim("c", "s.", "", comparisons=LESS.comparisons,
                      expect={"simulated/quick": generic, "simulated/quick/mixed_bfloat16": bf16,
                              "simulated/quick/jax": jax_only})
        assert claim.expectation("simulated", "quick", "tensorflow", "mixed_bfloat16") is bf16
        assert claim.expectation("simulated", "quick", "jax", "mixed_bfloat16") is bf16
        assert claim.expectation("simulated", "quick", "jax", "float32") is jax_only
        assert claim.expectation("simulated", "quick", "tensorflow", "float32") is generic
        assert claim.expectation("simulated", "quick", "tensorflow", "tf32") is generic

    def test_judge_uses_the_runs_precision(self):
        """judge() reads the precision off the runs and points a mismatch at the precision's key."""
        from runs_factory import make_run

        claim = Claim("c", "s.", "", comparisons=LESS.comparisons,
                      expect={"simulated/smoke/mixed_bfloat16": Expectation("refuted", "bf16 measured")})
        runs = {v: [make_run(v, s, acc, precision="mixed_bfloat16") for s, acc in enumerate(accs)]
                for v, accs in (("model1", (0.01, 0.012, 0.011)), ("model0", (0.2, 0.21, 0.19)))}
        judgement = judge(claim, runs, dataset="simulated", profile="smoke")
        assert judgement.verdict == "supported" and judgement.expected.verdict == "refuted"
        assert "on simulated/smoke/mixed_bfloat16" in judgement.sentence

    def test_unknown_backend_key_is_refused(self):
        with pytest.raises(ConfigError, match="'dataset/profile/backend'"):
            Claim("c", "s.", "", comparisons=LESS.comparisons,
                  expect={"simulated/smoke/mxnet": Expectation("inconclusive", "x")})
