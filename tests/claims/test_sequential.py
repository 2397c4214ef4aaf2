"""tp2core.claims.sequential / sequential_calibration: the contract, the replay, the boundaries, and a fast
fixed-seed simulation of the whole procedure's error that fails when the per-look correction is removed."""

import inspect
import json

import numpy as np
import pytest
from scipy.stats import norm

from tp2core.claims import SequentialResult, sequential_compare, sequential_decision
from tp2core.claims import sequential
from tp2core.claims import sequential_calibration as sc
from tp2core.claims.calibration import mc_se
from tp2core.errors import ConfigError

TRIALS = 4000  # per cell: MC s.e. of a 5% rate is 0.34 pts


def _stream(values):
    """draw(k) handing out ``values`` in order."""
    it = iter(values)
    return lambda k: [next(it) for _ in range(k)]


class TestDesign:
    def test_looks(self):
        """first, first + step, … then max_seeds; first == max_seeds is the fixed design."""
        assert sequential.looks() == (3, 5, 7, 9, 10)
        assert sequential.looks(2, 3, 8) == (2, 5, 8) and sequential.looks(3, 2, 3) == (3,)

    def test_one_look_is_the_fixed_design(self):
        assert sequential.nominal_levels((10,), 0.05) == pytest.approx((0.025,))

    def test_matches_published_obrien_fleming_boundaries(self):
        """Five equally spaced looks, one-sided 0.025, Lan–DeMets O'Brien–Fleming: z = 4.877, 3.357, 2.680, 2.290,
        2.031 (Jennison & Turnbull; gsDesign sfLDOF)."""
        z = norm.isf(sequential.nominal_levels((2, 4, 6, 8, 10), 0.05))
        assert z == pytest.approx([4.877, 3.357, 2.680, 2.290, 2.031], abs=0.005)

    def test_the_max_seeds_rule(self):
        """adaptive_design, the one --max-seeds rule: None without it; max_seeds = first is a one-look design;
        below the first stage, or a first stage of one seed, is a ConfigError naming the caller's options."""
        assert sequential.adaptive_design(3, None) is None
        assert sequential.adaptive_design(3, 3).looks == (3,) and sequential.adaptive_design(3, 9).looks == (3, 5, 7, 9)
        with pytest.raises(ConfigError, match=r"^--max-seeds 2 is below the 3 seeds of the first stage \(--seeds "
                                              r"or the profile's\); pass --max-seeds 6 or more"):
            sequential.adaptive_design(3, 2, max_option="--max-seeds", seeds_option="--seeds")
        with pytest.raises(ConfigError, match=r"^--tp2-max-seeds needs a first stage of at least 2 seeds \(got "
                                              r"--tp2-seeds 1\); pass --tp2-seeds 2 or more\.$"):
            sequential.adaptive_design(1, 4)


class TestSpending:
    def test_default_is_obrien_fleming(self):
        """SequentialDesign keeps issue 23's design unless told otherwise; the design records its spending."""
        d = sequential.SequentialDesign(first=3, max_seeds=10)
        assert d.spending == "obrien-fleming" and d.to_dict()["spending"] == "obrien-fleming"
        assert d.describe() == "adaptive seeds: looks at 3, 5, 7, 9, 10 seeds per arm (O'Brien–Fleming spending)"

    def test_pocock_spends_more_early(self):
        """A Pocock-type design tests the first look at a larger level and decides there what O'Brien–Fleming
        cannot."""
        obf, poc = (sequential.nominal_levels((3, 5, 7, 9, 10), 0.05, s) for s in ("obrien-fleming", "pocock"))
        assert poc[0] > 100 * obf[0]
        a, b = [2.0, 2.4, 1.7], [0.0, 0.3, -0.2]  # p = 0.001 at look 1: between the two levels
        decisions = {s: sequential.SequentialDesign(3, 10, spending=s).decision(
            a, b, "greater", threshold=0.0, margin=None, alpha=0.05).stopped for s in ("obrien-fleming", "pocock")}
        assert decisions == {"obrien-fleming": None, "pocock": "decided"}

    def test_bad_spending(self):
        with pytest.raises(ValueError, match=r"^'spending' must be 'obrien-fleming', 'pocock', 'hsd\(γ\)'"):
            sequential.SequentialDesign(3, 10, spending="OBF")


class TestContract:
    def test_signature(self):
        params = inspect.signature(sequential_compare).parameters
        assert list(params) == ["draw_a", "draw_b", "relation", "threshold", "margin", "alpha", "first", "step",
                                "max_seeds"]
        assert [params[k].default for k in list(params)[3:]] == [0.0, None, 0.05, 3, 2, 10]
        assert all(params[k].kind is inspect.Parameter.KEYWORD_ONLY for k in list(params)[3:])

    def test_clear_effect_stops_early(self):
        """A wide gap with small noise is supported at the first look that can decide, not at max_seeds."""
        rng = np.random.default_rng(0)
        r = sequential_compare(lambda k: rng.normal(10, 0.1, k), lambda k: rng.normal(0, 0.1, k), "greater")
        assert (r.verdict, r.stopped) == ("supported", "decided")
        assert r.seeds_used == {"a": r.stages[-1].seeds, "b": r.stages[-1].seeds} and r.seeds_used["a"] < 10
        assert [s.seeds for s in r.stages] == list(sequential.looks()[: len(r.stages)])
        assert [s.decision for s in r.stages[:-1]] == ["continue"] * (len(r.stages) - 1)
        last = r.stages[-1]
        assert last.p_value < last.level and last.low > 0  # the repeated interval says the same

    def test_constant_draw_b(self):
        """draw_b a float: one arm against it, seeds_used b = 0."""
        rng = np.random.default_rng(1)
        r = sequential_compare(lambda k: rng.normal(5, 0.01, k), 0.0, "greater")
        assert r.verdict == "supported" and r.seeds_used["b"] == 0 and r.seeds_used["a"] == r.stages[-1].seeds

    def test_undecidable_ends_futile_or_at_max(self):
        """No effect at the margin's edge: inconclusive, stopped for futility or at max_seeds."""
        rng = np.random.default_rng(2)
        r = sequential_compare(lambda k: rng.normal(0, 1, k), lambda k: rng.normal(0, 1, k), "greater")
        assert r.verdict == "inconclusive" and r.stopped in ("futile", "max seeds")
        assert r.stages[-1].decision in ("futile", "inconclusive")

    def test_round_trip(self):
        rng = np.random.default_rng(3)
        r = sequential_compare(lambda k: rng.normal(0.2, 1, k), 0.0, "equivalent", margin=1.0)
        assert SequentialResult.from_dict(json.loads(json.dumps(r.to_dict()))) == r

    @pytest.mark.parametrize("kwargs, message", [
        (dict(first=1), r"^'first' must be an int ≥ 2 \(got 1\); one seed says nothing"),
        (dict(first=True), r"^'first' must be an int ≥ 2 \(got True\)"),
        (dict(step=0), r"^'step' must be an int ≥ 1"),
        (dict(max_seeds=2), r"^'max_seeds' must be an int ≥ 'first' \(3\) \(got 2\); raise max_seeds"),
        (dict(relation="bigger"), r"^'relation' must be one of"),
        (dict(relation="equivalent"), r"^'margin' must be a positive number for relation 'equivalent'"),
        (dict(alpha=0.7), r"^'alpha' must be a number in \(0, 0.5\)"),
        (dict(draw_a=[1.0, 2.0]), r"^'draw_a' must be a callable draw_a\(k\)"),
        (dict(draw_b="0.3"), r"^'draw_b' must be a callable draw_b\(k\) .* or one finite number"),
        (dict(draw_b=float("nan")), r"^'draw_b' must be a callable"),
        (dict(draw_a=lambda k: [1.0]), r"^'draw_a' must return 3 finite per-seed numbers when asked for 3"),
        (dict(draw_b=lambda k: [True] * k), r"^'draw_b' must return 3 finite per-seed numbers"),
    ])
    def test_bad_arguments_name_the_argument(self, kwargs, message):
        args = dict(draw_a=lambda k: [0.0] * k, draw_b=lambda k: [0.0] * k, relation="greater")
        args.update(kwargs)
        with pytest.raises(ValueError, match=message):
            sequential_compare(args.pop("draw_a"), args.pop("draw_b"), args.pop("relation"), **args)


class TestReplay:
    A = [5.1, 4.2, 6.3, 5.5, 4.9, 5.8, 6.1, 4.4, 5.0, 5.6, 7.0]
    B = [4.0, 5.1, 4.6, 4.4, 5.2, 4.1, 4.9, 4.3, 4.7, 4.5]

    def test_too_few_seeds_asks_for_the_first_look(self):
        r = sequential_decision([1.0, 2.0], [0.0], "greater")
        assert (r.stopped, r.next_seeds, r.stages, r.verdict) == (None, 3, (), "inconclusive")

    def test_equals_sequential_compare(self):
        """The replay of the stored values is what sequential_compare decided drawing them."""
        run = sequential_compare(_stream(self.A), _stream(self.B), "greater", threshold=0.2)
        replay = sequential_decision(self.A, self.B, "greater", threshold=0.2)
        assert replay == run

    def test_looks_use_each_arms_first_seeds_only(self):
        """Seeds past a look (stored for another comparison) never change it: a prefix replays as a prefix."""
        full = sequential_decision(self.A, self.B, "greater", threshold=-0.5)  # 11 values of a: past max_seeds
        part = sequential_decision(self.A[:6], self.B[:5], "greater", threshold=-0.5)
        assert [s.decision for s in full.stages] == ["continue", "continue", "supported"]
        assert part.stages == full.stages[:2] and (part.stopped, part.next_seeds) == (None, 7)

    def test_stage_numbers_are_compare_numbers(self):
        """Each stage's estimate and p's are compare() on the first n seeds."""
        from tp2core.claims import compare

        r = sequential_decision(self.A, self.B, "greater", threshold=0.5)
        for s in r.stages:
            c = compare(self.A[: s.seeds], self.B[: s.seeds], "greater", threshold=0.5)
            assert (s.estimate, s.p_value, s.p_refute) == pytest.approx((c.effect, c.p_value, c.p_refute))

    def test_bad_values(self):
        with pytest.raises(ValueError, match=r"^'values_a' must be a 1-D sequence of numbers"):
            sequential_decision([[1.0, 2.0]], 0.0, "greater")
        with pytest.raises(ValueError, match=r"^'values_a' must contain only finite numbers"):
            sequential_decision([1.0, float("nan"), 2.0], 0.0, "greater")
        with pytest.raises(ValueError, match=r"^'b' must be a 1-D sequence of numbers"):
            sequential_decision([1.0, 2.0, 3.0], [True, False, True], "greater")
        with pytest.raises(ValueError, match=r"^'b' must be a sequence of numbers or one number"):
            sequential_decision([1.0, 2.0, 3.0], True, "greater")


class TestWholeProcedureError:
    """Fixed-seed simulation of the design at the boundary (every verdict false): P(any false) ≤ 5%."""

    LIMIT = 0.05 + 3 * mc_se(0.05, TRIALS)

    @pytest.mark.parametrize("relation, ratio", [("greater", 1), ("less", None), ("equivalent", 3)])
    def test_boundary_error_within_promise(self, relation, ratio):
        r = sc.boundary(relation, ratio, trials=TRIALS, seed=0)["sequential"]
        assert r.supported + r.refuted <= self.LIMIT

    def test_uncorrected_procedure_exceeds(self):
        """Testing every look at alpha/2 (no spending) breaks the promise: what the test above guards against."""
        r = sc.boundary("greater", 1, trials=TRIALS, seed=0)["uncorrected"]
        assert r.supported + r.refuted > self.LIMIT

    def test_family_at_alpha_over_m(self):
        members = [("greater", 1, 0), ("less", None, 1), ("equivalent", 1, 2), ("equivalent", None, 3)]
        bonferroni, raw = sc.family_error(members, trials=TRIALS, seed=0)
        assert bonferroni <= self.LIMIT < raw

    def test_power_and_cost_columns(self):
        """A clear effect is found with fewer seeds than the fixed design at max_seeds."""
        row = sc.power_row("greater", 1, 2.0, trials=1000, seed=0)
        assert row["sequential"].supported > 0.95 and row["sequential"].seeds < 8 and row["fixed_power"] > 0.95


def test_docs_block_is_spliced_not_duplicated():
    """scripts/calibrate_sequential.py replaces its marked block; scripts/calibrate_stats.py carries it over."""
    block = f"{sc.START}\nnew\n{sc.END}"
    doc = "# t\n\n## Details\n\n- x\n"
    once = sc.splice(doc, block)
    assert once.index(block) < once.index("## Details") and sc.block_of(once) == block
    again = sc.splice(once, f"{sc.START}\nnewer\n{sc.END}")
    assert again.count(sc.START) == 1 and "newer" in again and "\nnew\n" not in again
    assert sc.block_of("# no block") is None
