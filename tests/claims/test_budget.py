"""tp2core.claims.budget / allocation / budget_calibration: the contract, the budget rule, the allocation order, a
shared variant costing once, determinism, replay from a warm store, and a fast fixed-seed simulation of the whole
procedure's error that fails when the per-look correction is removed."""

import inspect
import math

import numpy as np
import pytest

from tp2core.claims import BudgetAllocator, BudgetDesign, decide_within_budget
from tp2core.claims import budget_calibration as bc
from tp2core.claims.calibration import mc_se
from tp2core.claims.claim import Comparison
from tp2core.claims.stats import VERDICTS
from tp2core.errors import ConfigError

Z = np.array([0.3, -1.1, 0.8, -0.2, 1.0, -0.6, 0.1, 0.5, -0.9, 0.4, 0.7, -0.3, 0.2, -0.8, 0.6, -0.4, 0.9, -0.7,
              0.05, -0.05])  # a fixed noise pattern: 20 seeds
COST = {"model0": 1.0, "model1": 1.0, "model2": 10.0, "model2-bugaug": 1.0, "model3": 10.0, "model3-deep": 1.0,
        "model4": 100.0, "model5": 100.0}


def table_draw(means, sd=0.5, shift=None):
    """draw(variant, seed): mean + sd·Z[seed] (Z rolled by ``shift[variant]`` seeds, default 0)."""
    shift = shift or {}
    return lambda v, s: float(means[v] + sd * Z[(s + shift.get(v, 0)) % Z.size])


class TestContract:
    def test_signature(self):
        params = inspect.signature(decide_within_budget).parameters
        assert list(params) == ["comparisons", "draw", "cost", "budget", "alpha"]
        assert params["alpha"].default == 0.05 and params["alpha"].kind is inspect.Parameter.KEYWORD_ONLY

    def test_one_outcome_per_comparison_in_order(self):
        comps = [Comparison("model1", "model0", "less"), Comparison("model1", None, "less", constant=5.0),
                 Comparison("model2-bugaug", "model2", "equivalent", margin=2.0)]
        draw = table_draw({"model0": 7.0, "model1": 1.0, "model2": 7.0, "model2-bugaug": 7.1}, shift={"model0": 3})
        out = decide_within_budget(comps, draw, COST.get, 1000.0)
        assert len(out) == 3 and all(o.verdict in VERDICTS and isinstance(o.stopped, str) for o in out)
        assert [set(o.seeds_used) for o in out] == [set(c.variants) for c in comps]
        assert out[0].verdict == "supported" and out[1].verdict == "supported"  # collapse: decided at look 1
        assert out[0].stopped == "decided at look 1 of 5 (3 seeds per arm)"

    def test_first_look_always_runs(self):
        """Budget 0: every comparison still gets its first look (3 seeds a variant), and nothing more."""
        comps = [Comparison("model3-deep", "model3", "greater"), Comparison("model5", "model4", "greater")]
        alloc = BudgetAllocator(comps, COST.get, 0.0)
        cells = alloc.next_cells()
        assert sorted(cells) == sorted((v, s) for v in ("model3-deep", "model3", "model5", "model4") for s in range(3))
        alloc.observe({v: [0.1 * s for s in range(3)] for v in COST})
        assert alloc.next_cells() == [] and alloc.spent == 3 * (1 + 10 + 100 + 100)
        assert all(o.looks == 1 and set(o.seeds_used.values()) == {3} for o in alloc.results())

    @pytest.mark.parametrize("budget", [0.0, 100.0, 250.0, 700.0, 1500.0, 5000.0])
    def test_budget_never_exceeded_after_the_first_look(self, budget):
        """The rule: spent ≤ max(budget, cost of the first look); a later look runs only if it fits."""
        comps = [Comparison("model3-deep", "model3", "greater"), Comparison("model5", "model4", "greater"),
                 Comparison("model2", "model0", "greater")]
        draw = table_draw({"model3-deep": 1.0, "model3": 0.0, "model5": 0.9, "model4": 0.0, "model2": 0.6,
                           "model0": 0.0}, shift={"model3": 5, "model4": 7, "model0": 2})
        alloc = BudgetAllocator(comps, COST.get, budget)
        store = {}
        while cells := alloc.next_cells():
            for v, s in cells:
                store.setdefault(v, []).append(draw(v, s))
            alloc.observe(store)
        first = 3 * sum(COST[v] for v in ("model3-deep", "model3", "model5", "model4", "model2", "model0"))
        assert alloc.spent <= max(budget, first) + 1e-9
        used = {v: max(o.seeds_used.get(v, 0) for o in alloc.results()) for v in store}
        assert alloc.spent == pytest.approx(sum(len(store[v]) * COST[v] for v in store))  # each run charged once
        assert all(len(store[v]) >= used[v] for v in store)

    def test_budget_spent_says_what_would_decide(self):
        comps = [Comparison("model3-deep", "model3", "greater")]
        draw = table_draw({"model3-deep": 0.9, "model3": 0.0}, shift={"model3": 5})
        out = decide_within_budget(comps, draw, COST.get, 33.0)[0]  # the first look only: 3·11
        assert out.verdict == "inconclusive" and out.looks == 1
        assert out.n_more is not None and out.variants == ("model3-deep", "model3")
        assert out.cost_more == pytest.approx(out.n_more * 11.0)
        assert out.stopped == (f"budget spent — ≈ {out.n_more} more seeds of model3-deep and model3 "
                               f"(≈ {out.cost_more:.3g} cost units) would decide it if the effect is as measured")


class TestAllocation:
    def test_cheap_decisive_before_expensive(self):
        """After the first look, the cheap comparison with the same promise gets the next look."""
        comps = [Comparison("model5", "model4", "greater"), Comparison("model3-deep", "model3", "greater")]
        means = {"model5": 1.0, "model4": 0.0, "model3-deep": 1.0, "model3": 0.0}
        alloc = BudgetAllocator(comps, COST.get, 10_000.0)
        draw = table_draw(means, shift={"model4": 5, "model3": 5})
        alloc.observe({v: [draw(v, s) for s, _ in enumerate(range(3))] for v in means})
        assert {v for v, _ in alloc.next_cells()} == {"model3-deep", "model3"}
        assert alloc.results()[0].verdict == "inconclusive"  # undecided at look 1: the choice mattered

    def test_shared_variant_cost_is_split(self):
        """Same statistics everywhere; model2 (cost 10) is shared by two comparisons, model3 (cost 10) by none: the
        sharers' next look costs 1 + 10/2 per seed against 1 + 10, so one of them goes first although listed
        later."""
        comps = [Comparison("model2-bugaug", "model3", "greater"), Comparison("model1", "model2", "greater"),
                 Comparison("model0", "model2", "greater")]
        means = {"model2-bugaug": 1.0, "model1": 1.0, "model0": 1.0, "model3": 0.0, "model2": 0.0}
        draw = table_draw(means, shift={"model3": 5, "model2": 5})
        alloc = BudgetAllocator(comps, COST.get, 10_000.0)
        alloc.next_cells()
        alloc.observe({v: [draw(v, s) for s in range(3)] for v in means})
        assert alloc.spent == 3 * (1 + 10 + 1 + 10 + 1)  # model2's runs counted once
        assert {v for v, _ in alloc.next_cells()} == {"model1", "model2"}

    def test_deterministic_and_warm_store_replays(self):
        """The same inputs give the same outcomes; a store holding more seeds than asked replays the cold run."""
        comps = [Comparison("model3-deep", "model3", "greater"), Comparison("model5", "model4", "greater"),
                 Comparison("model2-bugaug", "model2", "equivalent", margin=0.5)]
        means = {"model3-deep": 0.7, "model3": 0.0, "model5": 0.9, "model4": 0.0, "model2-bugaug": 0.1, "model2": 0.0}
        draw = table_draw(means, shift={"model3": 5, "model4": 7, "model2": 2})
        runs = [[o.to_dict() for o in decide_within_budget(comps, draw, COST.get, 900.0)] for _ in range(2)]
        assert runs[0] == runs[1]
        warm = BudgetAllocator(comps, COST.get, 900.0)
        warm.observe({v: [draw(v, s) for s in range(20)] for v in means})
        assert warm.next_cells() == [] and [o.to_dict() for o in warm.results()] == runs[0]


def quick_costs(variants):
    """(cost, trainings) of the session's cost model at quick: reference CPU-s each record adds, and the training
    recording each (model4/model4-e2000 and model5/model5-augval share one)."""
    from tp2core.recipe.costs import record_cost, training
    from tp2core.recipe.variants import PROFILES

    return {v: record_cost(v, PROFILES["quick"]) for v in variants}, {v: training(v) for v in variants}


class TestErrorControl:
    TRIALS = 1500  # MC s.e. of a 5% rate: 0.56 pts

    def family(self):
        """16 comparisons on their boundary, independent arms (equal sds or against a constant), quick's costs with
        shared variants and shared trainings."""
        pairs = [("model3-deep", "model3-base"), ("model5-augval", "model5"), ("model4-e2000", "model4"),
                 ("model1", None)]
        fam, truths = [], {}
        for j in range(16):
            a, b = pairs[j % 4]
            relation = ("greater", "less", "equivalent", "greater")[j % 4]
            margin = 1.0 if relation == "equivalent" else None
            keys = ((j, "a"), (j, "b") if b else 0.0)
            truths[keys[0]] = (margin or 0.0, 1.0)
            if b:
                truths[keys[1]] = (0.0, 1.0)
            fam.append(bc.SimComparison(relation, 0.0, margin, (a, b) if b else (a,), keys))
        return fam, truths

    def test_any_false_verdict_within_alpha_and_uncorrected_above(self):
        """The whole procedure (allocation, the session's costs, a budget letting every look run) on a family all on
        its boundary: P(any false) ≤ α + 3 MC s.e.; every look at α/(2m) instead (no spending) exceeds it."""
        fam, truths = self.family()
        design = BudgetDesign()
        data = bc.draw(truths, design.looks[-1], self.TRIALS, [29, 1])
        cost, trainings = quick_costs({v for c in fam for v in c.variants})
        first = bc.run_cost(fam, cost, design.looks[0])
        rates = {}
        for name, levels in (("design", design.levels(0.05 / 16)),
                             ("uncorrected", [0.05 / 32] * len(design.looks))):
            e = bc.budgeted(fam, cost, data, seeds=design.looks, levels=levels, budget=100 * first,
                            trainings=trainings)
            assert e.spent.max() > 1.5 * first  # later looks ran
            rates[name] = float(bc.tally(e.code, fam, truths)["any_false"].mean())
        limit = 0.05 + 3 * mc_se(0.05, self.TRIALS)
        assert rates["design"] <= limit, rates
        assert rates["uncorrected"] > limit, rates  # the contrast: the test can fail

    def test_simulation_charges_a_shared_training_once(self):
        """model4 and model4-e2000 are one training: the simulation charges each of its seeds once, at both
        records' cost, whichever comparison asks (as the session's Engine.charge), so spent = Σ over trainings of
        (the most seeds any of its records has) × their summed cost — also when model4 runs ahead of model4-e2000."""
        fam = [bc.SimComparison("greater", 0.0, None, ("model4-e2000", "model3-deep"), ("e", "d")),
               bc.SimComparison("greater", 0.0, None, ("model4", "model3-base"), ("f", "b"))]
        truths = {"e": (10.0, 1.0), "d": (0.0, 1.0), "f": (1.0, 1.0), "b": (0.0, 1.0)}
        data = bc.draw(truths, 8, 200, [29, 7])
        cost, trainings = quick_costs(["model4-e2000", "model3-deep", "model4", "model3-base"])
        e = bc.budgeted(fam, cost, data, seeds=(3, 5, 8), levels=(0.01, 0.01, 0.01), budget=1e9, trainings=trainings)
        have = dict(zip(e.variants, e.have.T))
        assert (have["model4"] > have["model4-e2000"]).any()  # the case that matters happened
        shared = np.maximum(have["model4"], have["model4-e2000"]) * (cost["model4"] + cost["model4-e2000"])
        assert np.allclose(e.spent, shared + have["model3-deep"] * cost["model3-deep"]
                           + have["model3-base"] * cost["model3-base"])


class TestDfRule:
    """The ``df`` rule (issue 29 exploration) reaches every look's p-values and the allocation's chances."""

    def test_chances_use_the_rule(self):
        """Equal sds 1, effect 2, 3 seeds a side: P = Φ(2/√(2/3) − t_{1−level}(df)), df 4 (Welch) or 2 (Hsu)."""
        from scipy.stats import norm, t as student_t

        from tp2core.claims.allocation import chances

        for rule, df in (("welch", 4.0), ("hsu", 2.0)):
            p = chances(2.0, 1.0, 1.0, "greater", 0.0, None, (3,), (0.01,), df=rule)
            assert p[0] == pytest.approx(norm.cdf(2 / math.sqrt(2 / 3) - student_t.isf(0.01, df)))

    def test_simulation_passes_the_rule(self):
        """budgeted(df=…) judges on that rule's p-values and plans with it; every_look and first_look_rate too."""
        fam = [bc.SimComparison("greater", 0.0, None, ("model3-deep", "model3"), ("a", "b"))]
        truths = {"a": (0.0, 1.0), "b": (0.0, 0.1)}
        data = bc.draw(truths, 8, 50, [29, 5])
        seeds, levels = (3, 5, 8), (0.01, 0.01, 0.01)
        e = bc.budgeted(fam, COST, data, seeds=seeds, levels=levels, budget=1e9, df="hsu")
        hsu = bc.look_stats(fam, data, seeds, "hsu")
        assert e.df == "hsu" and np.array_equal(e.stats, hsu)
        assert not np.allclose(hsu[..., 3], bc.look_stats(fam, data, seeds)[..., 3])
        welch_codes = bc.every_look(fam, data, seeds=seeds, levels=[0.2] * 3)
        assert (bc.every_look(fam, data, seeds=seeds, levels=[0.2] * 3, df="hsu") != 0).sum() < (welch_codes != 0).sum()
        rates = [bc.first_look_rate(0.001, trials=2000, seed=1, df=rule) for rule in ("welch", "hsu")]
        assert rates[1] < rates[0] / 2


class TestBadArguments:
    C = [Comparison("model3-deep", "model3", "greater")]

    @pytest.mark.parametrize("kwargs, message", [
        (dict(comparisons=[]), r"^'comparisons' must be a non-empty list of tp2core.claims.claim.Comparison"),
        (dict(comparisons="model3"), r"^'comparisons' must be a non-empty list"),
        (dict(comparisons=[("model3", "model0")]), r"^'comparisons' must be a non-empty list"),
        (dict(draw=3.0), r"^'draw' must be a callable draw\(variant, seed\)"),
        (dict(cost=None), r"^'cost' must be a callable cost\(variant\)"),
        (dict(cost=lambda v: -1.0), r"^'cost' must be a function returning a finite number > 0 \(for 'model3-deep'\)"),
        (dict(cost=lambda v: math.nan), r"^'cost' must be a function returning a finite number > 0"),
        (dict(cost=lambda v: True), r"^'cost' must be a function returning a finite number > 0"),
        (dict(budget=-1.0), r"^'budget' must be a finite number ≥ 0, the total cost allowed \(got -1.0\)"),
        (dict(budget=math.inf), r"^'budget' must be a finite number ≥ 0"),
        (dict(budget=True), r"^'budget' must be a finite number ≥ 0"),
        (dict(budget="10"), r"^'budget' must be a finite number ≥ 0"),
        (dict(alpha=0.7), r"^'alpha' must be a number in \(0, 0.5\) \(got 0.7\)"),
        (dict(draw=lambda v, s: math.nan), r"^'draw' must be a function returning a finite number \(for "
                                           r"'model3-deep', seed 0\)"),
        (dict(draw=lambda v, s: "0.3"), r"^'draw' must be a function returning a finite number"),
    ])
    def test_message_names_the_argument(self, kwargs, message):
        args = dict(comparisons=self.C, draw=lambda v, s: 0.1 * s, cost=COST.get, budget=100.0) | kwargs
        alpha = args.pop("alpha", 0.05)
        with pytest.raises(ConfigError, match=message):
            decide_within_budget(**args, alpha=alpha)

    @pytest.mark.parametrize("kwargs, message", [
        (dict(spending="linear"), r"^'spending' must be 'obrien-fleming', 'pocock', 'hsd\(γ\)' with a number γ"),
        (dict(spending="front(1.5)"), r"^'spending' must be .* or 'front\(φ\)' with φ in \[0, 1\]"),
        (dict(looks=(1, 3)), r"^'looks' must be a tuple of increasing ints, the first ≥ 2"),
        (dict(looks=(3, 3, 5)), r"^'looks' must be a tuple of increasing ints"),
        (dict(looks=[3, 5]), r"^'looks' must be a tuple of increasing ints"),
    ])
    def test_design(self, kwargs, message):
        with pytest.raises(ConfigError, match=message):
            BudgetDesign(**kwargs)

    def test_observe_refuses_non_numbers(self):
        alloc = BudgetAllocator(self.C, COST.get, 10.0)
        with pytest.raises(ConfigError, match=r"^\"values\['model3'\]\" must be a 1-D sequence of numbers"):
            alloc.observe({"model3": ["a", "b"]})


def test_docs_blocks_kept_apart():
    """The budget block is spliced with its own markers and leaves the sequential block alone (calibrate_stats.py
    keeps both when it rewrites docs/statistics.md)."""
    from tp2core.claims import sequential_calibration as sc

    doc = sc.splice("# Doc\n\n## Details\n", f"{sc.START}\nseq\n{sc.END}")
    doc = sc.splice(doc, f"{bc.START}\nbudget\n{bc.END}", bc.START, bc.END)
    doc = sc.splice(doc, f"{bc.START}\nbudget 2\n{bc.END}", bc.START, bc.END)
    assert sc.block_of(doc) == f"{sc.START}\nseq\n{sc.END}"
    assert sc.block_of(doc, bc.START, bc.END) == f"{bc.START}\nbudget 2\n{bc.END}" and doc.count(bc.START) == 1
