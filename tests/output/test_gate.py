"""The accuracy gate: bands, flipped verdicts, missing cells, corrupt references."""

import json

import pytest

from tp2core.claims.judgement import Judgement
from tp2core.output import gate
from tp2core.errors import Tp2Error

from runs_factory import make_run, meta


def _session(accs=(0.20, 0.21), verdict="supported"):
    runs = [make_run("model0", s, a) for s, a in enumerate(accs)]
    judgements = [Judgement("relu-beats-course-baseline", "s.", "22% → 26%", "simulated", "smoke", verdict, (), (),
                            f"measured → {verdict}.", family_size=11, holm_verdict=verdict)]
    return runs, judgements


class TestBand:
    def test_floor_applies_when_seeds_agree(self):
        """Identical seeds still get a ± FLOOR_POINTS band, not exact equality."""
        assert gate.band(20.0, 0.0, 3) == (20.0 - gate.FLOOR_POINTS, 20.0 + gate.FLOOR_POINTS)

    def test_band_widens_with_seed_spread(self):
        """A noisy reference gets K_SE standard errors of a difference of means."""
        lo, hi = gate.band(20.0, 2.0, 2)
        assert hi - 20.0 == pytest.approx(gate.K_SE * 2.0 * 1.0)


class TestCompare:
    def test_same_session_passes(self):
        """A session compared with its own reference has no problems."""
        runs, js = _session()
        ref = gate.build_reference(meta(), runs, js)
        assert gate.compare(ref, meta(), runs, js) == []

    def test_band_breach_fails(self):
        """A variant whose mean moved beyond its band is named with the numbers."""
        runs, js = _session()
        ref = gate.build_reference(meta(), runs, js)
        moved, _ = _session(accs=(0.30, 0.31))
        problems = gate.compare(ref, meta(), moved, js)
        assert len(problems) == 1 and "model0" in problems[0] and "left its reference band" in problems[0]

    def test_flipped_verdict_fails(self):
        """A claim whose verdict changed fails the gate."""
        runs, js = _session()
        ref = gate.build_reference(meta(), runs, js)
        _, flipped = _session(verdict="inconclusive")
        assert gate.compare(ref, meta(), runs, flipped) == [
            "claim relu-beats-course-baseline: verdict flipped from supported to inconclusive."
        ]

    def test_missing_cell_fails(self):
        """A smaller table never passes: the missing (variant, seed) is named."""
        runs, js = _session()
        ref = gate.build_reference(meta(), runs, js)
        problems = gate.compare(ref, meta(), runs[:1], js)
        assert any("missing cells" in p and "model0 seed 1" in p for p in problems)

    def test_empty_session_fails(self):
        """Zero runs (no tests, all skipped) is a failure, not a pass."""
        runs, js = _session()
        ref = gate.build_reference(meta(), runs, js)
        assert gate.compare(ref, meta(), [], []) != []

    def test_other_dataset_is_incomparable(self):
        """Another dataset fingerprint is reported incomparable rather than judged."""
        runs, js = _session()
        ref = gate.build_reference(meta(), runs, js)
        problems = gate.compare(ref, meta(fp="0" * 64), runs, js)
        assert problems and problems[0].startswith("incomparable")


    def test_claim_mismatch_is_one_sentence(self):
        """What a claim test under --tp2-gate fails with: flipped, or not recorded; None when it matches."""
        runs, js = _session()
        ref = gate.build_reference(meta(), runs, js)
        assert gate.claim_mismatch(ref, "relu-beats-course-baseline", "supported") is None
        assert gate.claim_mismatch(ref, "relu-beats-course-baseline", "refuted") == \
            "claim relu-beats-course-baseline: verdict flipped from supported to refuted."
        assert "the reference has no verdict for it" in gate.claim_mismatch(ref, "more-epochs-help", "supported")

    def test_reference_records_what_was_measured(self):
        """Recorded results live in the reference: date, environment, the Holm verdict and the sentence."""
        runs, js = _session()
        ref = gate.build_reference(meta(), runs, js)
        assert ref["claims"] == {"relu-beats-course-baseline": "supported"} and len(ref["date"]) == 10
        assert ref["measured"]["relu-beats-course-baseline"] == {
            "holm_verdict": "supported", "family_size": 11, "sentence": "measured → supported."}


    def test_a_trainer_at_chance_fails_the_learn_probe_band(self):
        """Fast form of the end-to-end check: learn-probe at 36% in the reference, at chance (10%) now."""
        learned = [make_run("learn-probe", s, 0.36) for s in range(2)]
        ref = gate.build_reference(meta(), learned, [])
        at_chance = [make_run("learn-probe", s, 0.10) for s in range(2)]
        band, floor = gate.compare(ref, meta(), at_chance, [])
        assert band.startswith("variant learn-probe: mean val accuracy 10.00% left its reference band [34.00, 38.00]")
        assert floor.endswith("under 3× chance (30.0% on 10 classes): the trainer did not learn.")

    def test_the_gate_and_the_regime_mean_one_thing_by_learned(self):
        """A probe at 25% on 10 classes (2.5× chance) inside its own band: the regime table says it did not learn,
        and so does the gate (one definition: tp2core.claims.regime.LEARNED_MULTIPLE)."""
        from tp2core.claims.regime import learning

        runs = [make_run("learn-probe", s, 0.25) for s in range(2)]
        assert learning("learn-probe", runs).learned is False
        assert gate.compare(gate.build_reference(meta(), runs, []), meta(), runs, []) == [
            "variant learn-probe: mean val accuracy 25.00% is under 3× chance (30.0% on 10 classes): the trainer "
            "did not learn."]

    def test_the_learn_floor_holds_even_inside_a_wide_band(self):
        """Two noisy seeds make a wide band (here down to ~4%); a probe at chance still fails on the floor."""
        learned = [make_run("learn-probe", 0, 0.25), make_run("learn-probe", 1, 0.45)]
        ref = gate.build_reference(meta(), learned, [])
        assert ref["variants"]["learn-probe"]["band"][0] < 12
        problems = gate.compare(ref, meta(), [make_run("learn-probe", s, 0.12) for s in range(2)], [])
        assert problems == ["variant learn-probe: mean val accuracy 12.00% is under 3× chance (30.0% on 10 classes): "
                            "the trainer did not learn."]


class TestLoad:
    def test_missing_file_says_how_to_create(self, tmp_path):
        with pytest.raises(Tp2Error, match="--tp2-update-references"):
            gate.load_reference(tmp_path / "nope.json")

    def test_truncated_file_is_loud(self, tmp_path):
        """A corrupt reference is an error naming the file (docs/reliability.md B13), never a silent fallback."""
        runs, js = _session()
        path = tmp_path / "ref.json"
        text = json.dumps(gate.build_reference(meta(), runs, js))
        path.write_text(text[: len(text) // 2])
        with pytest.raises(Tp2Error, match="ref.json is not valid JSON"):
            gate.load_reference(path)

    def test_round_trip(self, tmp_path):
        runs, js = _session()
        path = tmp_path / "ref.json"
        path.write_text(json.dumps(gate.build_reference(meta(), runs, js)))
        assert gate.load_reference(path)["variants"]["model0"]["n"] == 2


def test_a_reference_keeps_each_variants_per_seed_values_in_seed_order():
    """Issue 22: a reference records per-seed accuracies (scripts/calibrate_stats.py measures their skewness)."""
    runs = [make_run("model0", s, acc) for s, acc in ((2, 0.23), (0, 0.21), (1, 0.22))]
    ref = gate.build_reference(meta(seeds=(0, 1, 2)), runs, [])
    assert ref["variants"]["model0"]["values"] == [21.0, 22.0, 23.0]
    assert ref["variants"]["model0"]["n"] == 3
