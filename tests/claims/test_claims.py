"""tp2core.claims.claim (+ metrics, judgement, claims_catalog): claim validation, metric extraction, judging."""

import json
import math

import pytest

from tp2core.claims.checks import AugmentedShareCheck
from tp2core.claims.claim import Claim, Comparison, Judgement, adjust_session, judge
from tp2core.claims.catalog import BASELINE_LEARNED, CLAIMS, CLAIMS_BY_NAME
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
             comparisons=(Comparison("model1", "model0", "less", learned=("model0",)),))


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
             "relation='less', metric='val_accuracy', threshold=0.0, margin=None, constant=None, label='', reason='', "
             "learned=None)])."),
            ({"comparisons": ()}, "'comparisons' must be non-empty when 'checks' is empty (a claim must measure something) (got ())."),
        ],
    )
    def test_validation_messages(self, kwargs, expected):
        """Each bad field raises ConfigError with the exact message."""
        fields = {"name": "x", "statement": "s.", "notes_figure": "", "comparisons": LESS.comparisons, **kwargs}
        with pytest.raises(ConfigError) as exc:
            Claim(**fields)
        assert message(exc) == expected

    def test_checks_only_claim_is_valid(self):
        """A claim may rest on exact checks alone."""
        claim = Claim("share", "s.", "", checks=(AugmentedShareCheck(),))
        assert claim.variants == ()

    def test_variants_in_first_mention_order_without_duplicates(self):
        """variants lists every variant once, in the order the comparisons mention them."""
        assert CLAIMS_BY_NAME["full-augmentation-helps"].variants == ("model5", "model4", "model4-bugaug")

    def test_a_claim_has_no_expect_field(self):
        """Measured expectations are not part of a claim (they live in references/*.json)."""
        with pytest.raises(TypeError):
            Claim("c", "s.", "", comparisons=LESS.comparisons, expect={})


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
        """A clear gap in the claimed direction is supported; the sentence gives effect, Welch CI, p, seeds, notes."""
        j = judge(LESS, {"model0": runs("model0", [0.22, 0.215, 0.225]), "model1": runs("model1", [0.01, 0.008, 0.012])},
                  dataset=DS, profile=PROF)
        assert j.verdict == "supported"
        c = j.comparisons[0]
        assert c.effect == pytest.approx(-21.0) and c.result.low <= c.effect <= c.result.high < 0
        assert (c.result.p_superiority, c.n_a, c.n_b, c.a, c.b, c.constant) == (0.0, 3, 3, "model1", "model0", None)
        # each arm's sd floored at its binomial s.e. on the runs' own 2,000 validation images (20/class, as their
        # spec says; issue 28: not the profile's 5,000): 0.93 and 0.22 pts
        assert j.sentence == ("model1 − model0 = −21.0 pts [95% CI −23.1, −18.9], p = 0.00017 over 3+3 seeds "
                              "→ supported at α = 0.05, as the notes: model1 is worse than model0 (22% → 0.8%).")

    def test_refuted(self):
        """The opposite direction is refuted: measured, what the notes said, what to try."""
        j = judge(LESS, {"model0": runs("model0", [0.10, 0.102]), "model1": runs("model1", [0.22, 0.23])},
                  dataset=DS, profile=PROF)
        assert j.verdict == "refuted"
        assert j.sentence.endswith("→ refuted at α = 0.05, against the notes: model1 is worse than model0 "
                                   "(22% → 0.8%): compare the variant table, check the profile's scale factors or "
                                   "try the paper profile.")

    def test_inconclusive_names_a_new_seed_count(self):
        """Inconclusive with a measurable effect: the sentence names the seeds a new pre-registered run needs."""
        data = {"model0": runs("model0", [0.22, 0.20]), "model1": runs("model1", [0.19, 0.17])}
        j = judge(LESS, data, dataset=DS, profile=PROF)
        n = j.comparisons[0].seeds_needed
        assert j.verdict == "inconclusive" and n is not None and n > 2
        assert j.sentence.endswith(f"try a new, pre-registered run with --tp2-seeds {n} (80% power at α/1 if the "
                                   "true effect is the observed one, the sd at its 90% upper bound from these seeds) "
                                   "or the paper profile.")

    def test_no_effect_plans_no_seed_count(self):
        """An effect exactly at the threshold: no power calculation is possible, and the sentence says so."""
        j = judge(LESS, {"model0": runs("model0", [0.20, 0.25]), "model1": runs("model1", [0.21, 0.24])},
                  dataset=DS, profile=PROF)
        assert j.verdict == "inconclusive" and "no seed count is planned" in j.sentence

    def test_holm_over_the_family(self):
        """The verdict is Holm over a family of m, the members without results here at p = 1: supported at m=1,
        inconclusive at m=9."""
        data = {"model0": runs("model0", [0.22, 0.21, 0.215]), "model1": runs("model1", [0.19, 0.18, 0.185])}
        one, nine = (judge(LESS, data, dataset=DS, profile=PROF, family_size=m) for m in (1, 9))
        assert (one.verdict, nine.verdict, nine.raw_verdict, nine.family_size, nine.lacking) == (
            "supported", "inconclusive", "supported", 9, 8)
        assert ("at α = 0.05, Holm over the 9 comparisons the profile judges (8 without a usable result, counted "
                "with p = 1)") in nine.sentence
        with pytest.raises(ConfigError, match="'family_size' must be a positive int"):
            judge(LESS, data, dataset=DS, profile=PROF, family_size=0)

    def test_check_only_claim_uses_profile_size(self):
        """Without runs the training-set size comes from the profile: smoke = 5/class = 500 images."""
        claim = Claim("share", "s.", "", checks=(AugmentedShareCheck(),))
        j = judge(claim, {}, dataset=DS, profile="smoke")
        assert j.verdict == "supported" and j.checks[0].values["n_train"] == 500
        assert judge(claim, {}, dataset=DS, profile="paper").checks[0].values["n_train"] == 50_000

    def test_failed_runs_excluded_and_named(self):
        """Failed runs are excluded; fewer than 2 usable runs → not measurable, and the sentence names the failures."""
        m1 = [run("model1", 0, 0.01), run("model1", 1, None, status="failed"), run("model1", 2, None, status="failed")]
        j = judge(LESS, {"model0": runs("model0", [0.22, 0.215, 0.225]), "model1": m1}, dataset=DS, profile=PROF)
        assert j.verdict == "inconclusive" and math.isnan(j.comparisons[0].effect)
        assert j.comparisons[0].n_a == 1 and j.comparisons[0].result is None
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
        """A constant comparison uses the one-sample t interval; equivalence within the margin is supported."""
        near_chance = CLAIMS_BY_NAME["hidden-softmax-collapses"]
        j = judge(near_chance, {"model0": runs("model0", [0.22, 0.2]), "model1": runs("model1", [0.01, 0.012, 0.011])},
                  dataset=DS, profile=PROF)
        const = j.comparisons[1]
        assert const.effect == pytest.approx(1.1 - 5.0) and const.result.high < 0 and const.constant == 5.0
        assert const.n_b == 0 and const.result.permutation_p is None and j.verdict == "supported"
        noop = CLAIMS_BY_NAME["single-batch-augmentation-is-noop"]
        # 5 seeds: each arm's sd is floored at 0.98 pts (26% on quick's 2,000 images), so 3+3 cannot fit ±2 pts
        runs_eq = {"model2": runs("model2", [0.26, 0.265, 0.255, 0.26, 0.26]),
                   "model2-bugaug": runs("model2-bugaug", [0.262, 0.258, 0.26, 0.26, 0.26])}
        assert judge(noop, runs_eq, dataset=DS, profile=PROF).verdict == "supported"
        runs_far = {"model2": runs("model2", [0.26, 0.265, 0.262]),
                    "model2-bugaug": runs("model2-bugaug", [0.33, 0.34, 0.335])}
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
            out = run(variant, seed, 0.2 if variant == "model0" else 0.01)  # the baseline learned (the premise)
            out.first_layer_weight_change, out.train_accuracy = change * (1 + seed / 10), train_acc
            return out

        m0 = [r("model0", s, 0.5, 0.6) for s in range(3)]
        still = [r("model1", s, 0.005, 0.012) for s in range(3)]
        moved = [r("model1", s, 0.4, 0.012) for s in range(3)]
        assert judge(claim, {"model0": m0, "model1": still}, dataset=DS, profile=PROF).verdict == "supported"
        assert judge(claim, {"model0": m0, "model1": moved}, dataset=DS, profile=PROF).verdict == "refuted"

    def test_check_refutes_the_claim(self):
        """A failing exact check makes the whole claim refuted even when the comparison is supported. (quick keeps
        the notes' share: at batch 1024 its bug augments 410 images, Profile.bug_augments.)"""
        claim = CLAIMS_BY_NAME["bug-share-grows-with-batch"]
        data = {"model4": runs("model4", [0.20, 0.21, 0.205]),
                "model4-bugaug": runs("model4-bugaug", [0.25, 0.26, 0.255], train_images=3000 + 410)}
        assert judge(claim, data, dataset=DS, profile=PROF).verdict == "supported"
        data["model4-bugaug"] = runs("model4-bugaug", [0.25, 0.26, 0.255], train_images=3000)  # bug did nothing
        j = judge(claim, data, dataset=DS, profile=PROF)
        assert j.verdict == "refuted" and "a batch-1024 bug run trained on 3,000 images, expected 3,410" in j.sentence

    def test_rejects_runs_of_another_profile(self):
        """Runs filed under the wrong variant, dataset or profile are a ConfigError, never silently mixed."""
        with pytest.raises(ConfigError, match=r"^\"runs_by_variant\['model0'\]\" must be runs of \('model0', 'simulated', 'quick'\) only \(got \('model0', 'simulated', 'paper'\)\)\.$"):
            judge(LESS, {"model0": runs("model0", [0.2, 0.2], profile="paper"), "model1": runs("model1", [0.01, 0.01])},
                  dataset=DS, profile=PROF)


class TestAdjustSession:
    def test_holm_over_every_comparison(self):
        """Holm runs over every comparison given; a not-measurable one enters with p = 1 (it never rejects, and the
        family does not shrink when runs are missing)."""
        clear = {"model0": runs("model0", [0.22, 0.215, 0.225]), "model1": runs("model1", [0.01, 0.008, 0.012])}
        weak = {"model0": runs("model0", [0.22, 0.21, 0.215]), "model1": runs("model1", [0.16, 0.17, 0.165])}
        short = {"model0": runs("model0", [0.22]), "model1": runs("model1", [0.01, 0.02])}
        js = [judge(LESS, d, dataset=DS, profile=PROF) for d in (clear, weak, short)]
        assert [j.raw_verdict for j in js] == ["supported", "supported", "inconclusive"]
        out = adjust_session(js)
        assert [j.verdict for j in out] == [j.holm_verdict for j in out] == ["supported", "supported", "inconclusive"]
        assert [c.result.family_size for c in (out[0].comparisons[0], out[1].comparisons[0])] == [3, 3]
        p0, p1 = (j.comparisons[0].result.decision_p for j in js[:2])
        assert out[1].comparisons[0].result.p_adjusted == pytest.approx(max(3 * p0, 2 * p1))
        assert out[2].comparisons[0].result is None and out[0].lacking == 1

    def test_a_large_family_makes_a_weak_result_inconclusive(self):
        """p ≈ 0.013 survives alone but not among 9 comparisons with larger p: Holm says inconclusive."""
        weak = {"model0": runs("model0", [0.22, 0.21, 0.215]), "model1": runs("model1", [0.17, 0.18, 0.19])}
        noise = {"model0": runs("model0", [0.20, 0.25]), "model1": runs("model1", [0.21, 0.24])}
        js = [judge(LESS, weak, dataset=DS, profile=PROF)] + [judge(LESS, noise, dataset=DS, profile=PROF)] * 8
        out = adjust_session(js)
        assert js[0].raw_verdict == "supported" and out[0].holm_verdict == "inconclusive"
        assert out[0].comparisons[0].raw_verdict == "supported" and out[0].comparisons[0].verdict == "inconclusive"


class TestJudgementJSON:
    @pytest.mark.parametrize("failed", [False, True])
    def test_round_trip(self, failed):
        """to_dict is strict JSON and from_dict restores an equal judgement, Holm-adjusted or not."""
        m1 = runs("model1", [0.01, 0.012]) if not failed else [run("model1", 0, 0.01), run("model1", 1, None, status="failed")]
        claim = CLAIMS_BY_NAME["hidden-softmax-collapses"]
        j = judge(claim, {"model0": runs("model0", [0.22, 0.21]), "model1": m1}, dataset=DS, profile=PROF)
        for value in (j, adjust_session([j])[0]):
            back = Judgement.from_dict(json.loads(json.dumps(value.to_dict(), allow_nan=False)))
            assert back == value
        if failed:
            assert back.comparisons[0].result is None and math.isnan(back.comparisons[0].effect)

    def test_dict_carries_what_it_describes(self):
        """The dict names a, b, constant and metric, so a report redraws a comparison without the catalogue."""
        claim = CLAIMS_BY_NAME["hidden-softmax-collapses"]
        d = judge(claim, {"model0": runs("model0", [0.22, 0.21]), "model1": runs("model1", [0.01, 0.02])},
                  dataset=DS, profile=PROF).to_dict()
        assert (d["claim"], d["notes_figure"], d["family_size"]) == ("hidden-softmax-collapses", "22% → 0.8%", 2)
        assert "expected" not in d and "passed" not in d
        assert [(c["a"], c["b"], c["constant"], c["metric"]) for c in d["comparisons"]] == [
            ("model1", "model0", None, "val_accuracy"), ("model1", None, 5.0, "val_accuracy")]


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
        assert got["model4-worse-than-model3"] == [("model4", "model3-base", "less", "val_accuracy")]
        assert got["wide-first-layer-hurts"] == [("model3-wide", "model3-base", "less", "val_accuracy")]
        assert got["large-batch-helps"] == [("model3-b1024", "model3-base", "greater", "val_accuracy")]
        assert got["extra-relu-layers-help"] == [("model3-deep", "model3-base", "greater", "val_accuracy")]
        assert got["thousand-epochs-help"] == [("model3-e1000", "model3-base", "greater", "val_accuracy")]
        assert got["more-data-not-more-steps"] == [("model5", "model4-e2000", "greater", "val_accuracy")]
        assert got["augmented-validation-is-immaterial"] == [("model5-augval", "model5", "equivalent", "val_accuracy")]
        assert got["large-batch-is-faster"] == [("model2-b1024", "model2", "greater", "images_per_second")]
        assert got["softmax-gradient-vanishes"] == [("model1", "model0", "less", "first_layer_weight_change"),
                                                    ("model1", None, "less", "train_accuracy")]
        assert CLAIMS_BY_NAME["softmax-gradient-vanishes"].comparisons[0].threshold == -1.0
        assert got["softmax-gradient-small-at-init"] == [("model1", "model0", "less", "first_layer_grad_norm")]

    def test_every_comparison_has_a_reason_and_no_measurement(self):
        """Direction, threshold or margin each carry a reason; no claim holds a measured expectation."""
        for claim in CLAIMS:
            assert not hasattr(claim, "expect") and not hasattr(claim, "expectation")
            for c in claim.comparisons:
                assert c.reason.startswith("the notes"), (claim.name, c.label)


class TestLearningGuard:
    """Issue 21: a comparison is judged only on models that learned (mean validation accuracy ≥ 3× chance)."""

    EPOCHS = CLAIMS_BY_NAME["model4-worse-than-model3"]

    def test_a_model_that_did_not_learn_makes_its_comparison_not_judged(self):
        """quick's old model3 (2.77% at chance 1%) against a model4 that learned: not judged — never 'refuted'."""
        store = {"model3-base": runs("model3-base", [0.01, 0.013, 0.060]), "model4": runs("model4", [0.14, 0.135, 0.148])}
        j = judge(self.EPOCHS, store, dataset=DS, profile=PROF)
        assert j.verdict == "not judged" and j.raw_verdict == "not judged"
        c = j.comparisons[0]
        assert c.verdict == "not judged" and c.result is None
        assert c.not_judged.startswith("model3-base did not learn at this scale (2.77%, chance 1%")
        assert "→ not judged" in j.sentence and "model3-base did not learn" in j.sentence

    def test_models_that_learned_are_judged(self):
        """The same comparison on models far above chance is tested as usual (here: supported)."""
        store = {"model3-base": runs("model3-base", [0.22, 0.23, 0.225]), "model4": runs("model4", [0.14, 0.135, 0.148])}
        j = judge(self.EPOCHS, store, dataset=DS, profile=PROF)
        assert j.verdict == "supported" and j.comparisons[0].not_judged is None

    def test_the_threshold_is_three_times_chance(self):
        """2.9% does not count as learned on 100 classes, 3.1% does; a 10-class probe needs 30%."""
        low = judge(self.EPOCHS, {"model3-base": runs("model3-base", [0.029, 0.029]), "model4": runs("model4", [0.2, 0.21])},
                    dataset=DS, profile=PROF)
        high = judge(self.EPOCHS, {"model3-base": runs("model3-base", [0.031, 0.031]), "model4": runs("model4", [0.2, 0.21])},
                     dataset=DS, profile=PROF)
        assert low.verdict == "not judged" and high.verdict != "not judged"

    def test_a_collapse_that_is_the_claim_is_exempt(self):
        """model1 at chance is the Primer Modelo claim: only the baseline must have learned."""
        claim = CLAIMS_BY_NAME["hidden-softmax-collapses"]
        learned = {"model0": runs("model0", [0.08, 0.09, 0.085]), "model1": runs("model1", [0.01, 0.01, 0.01])}
        assert judge(claim, learned, dataset=DS, profile=PROF).verdict != "not judged"
        flat = {"model0": runs("model0", [0.01, 0.012, 0.011]), "model1": runs("model1", [0.01, 0.01, 0.01])}
        j = judge(claim, flat, dataset=DS, profile=PROF)
        assert j.verdict == "not judged"
        assert all(c.not_judged.startswith("model0 did not learn") for c in j.comparisons)

    def test_not_judged_comparisons_enter_holm_at_p_1(self):
        """A not-judged comparison keeps its verdict after adjustment and counts in the family with p = 1."""
        flat = {"model3-base": runs("model3-base", [0.01, 0.012]), "model4": runs("model4", [0.2, 0.21])}
        good = {"model3-base": runs("model3-base", [0.22, 0.23, 0.225]), "model4": runs("model4", [0.14, 0.135, 0.148])}
        out = adjust_session([judge(self.EPOCHS, d, dataset=DS, profile=PROF) for d in (flat, good)])
        assert out[0].holm_verdict == "not judged" and out[0].comparisons[0].verdict == "not judged"
        assert out[1].comparisons[0].result.family_size == 2 and out[1].lacking == 1

    def test_every_catalogue_comparison_states_its_premise(self):
        """The premise is fixed in the catalogue, by one rule: a comparison about model1's collapse presumes only
        the baseline learned (BASELINE_LEARNED, never model1: its not learning is the claim); one at
        initialisation or of throughput presumes nothing; every other comparison presumes both its arms."""
        for claim in CLAIMS:
            for c in claim.comparisons:
                assert c.learned is not None, f"{claim.name}: {c.label} states no 'learned' premise"
                if c.metric in ("first_layer_grad_norm", "images_per_second"):  # at init / a speed: no training
                    stated = ()
                elif "model1" in c.variants:
                    stated = BASELINE_LEARNED
                else:
                    stated = c.variants
                assert c.learned == stated, (claim.name, c.label, c.learned)

    def test_round_trip_keeps_the_premise(self):
        store = {"model3-base": runs("model3-base", [0.01, 0.012]), "model4": runs("model4", [0.2, 0.21])}
        j = judge(self.EPOCHS, store, dataset=DS, profile=PROF)
        back = Judgement.from_dict(json.loads(json.dumps(j.to_dict())))
        assert back.comparisons[0].not_judged == j.comparisons[0].not_judged and back.verdict == "not judged"


def test_tables_name_the_model_that_did_not_learn():
    """The claim and attribution tables say which model's learning the verdict lacks, not just 'not judged'."""
    from tp2core.output.tables import attribution_rows, claim_rows

    store = {"model3-base": runs("model3-base", [0.01, 0.012]), "model4": runs("model4", [0.2, 0.21])}
    j = judge(CLAIMS_BY_NAME["model4-worse-than-model3"], store, dataset=DS, profile=PROF)
    assert claim_rows([j])[0]["verdict"] == "not judged: model3-base did not learn"
    assert attribution_rows([j])[0]["verdict"] == "not judged: model3-base did not learn"
