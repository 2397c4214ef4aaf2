"""Planning for an executor: needed cells, the store's settled runs skipped, longest first."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

from runs_factory import make_run

from tp2core.claims.catalog import CLAIMS_BY_NAME
from tp2core.executor.plan import needed_cells, plan
from tp2core.recipe.costs import estimated_cost
from tp2core.recipe.variants import get_profile
from tp2core.store.database import Store


def _session(tmp_path):
    """The three things plan() uses: a store, spec(variant, seed) and the profile."""
    return SimpleNamespace(store=Store(tmp_path / "store"), profile=get_profile("smoke"),
                           spec=lambda v, s: make_run(v, s).spec)


class TestNeededCells:
    def test_union_of_cells_and_claim_variants_without_repeats(self):
        """Explicit cells plus every seed of each claim variant, first occurrence order, no duplicates."""
        claims = [SimpleNamespace(name="a", variants=("model1", "model2")), SimpleNamespace(name="b",
                                                                                          variants=("model1",))]
        got = needed_cells([("model1", 0)], claims, get_profile("smoke"), [0, 1])
        assert got == [("model1", 0), ("model1", 1), ("model2", 0), ("model2", 1)]

    def test_a_claim_the_profile_does_not_judge_needs_no_runs(self):
        """A profile that cuts more-data-not-more-steps: model4-e2000 is not planned; model5, which a judged claim
        (full-augmentation-helps) also needs, still is."""
        claims = [CLAIMS_BY_NAME["more-data-not-more-steps"], CLAIMS_BY_NAME["full-augmentation-helps"]]
        cut = dataclasses.replace(get_profile("quick"), budget_cuts={"more-data-not-more-steps": "a reason"})
        got = {v for v, _ in needed_cells([], claims, cut, [0])}
        assert got == {"model5", "model4", "model4-bugaug"}


class TestPlan:
    def test_skips_stored_and_orders_longest_first(self, tmp_path):
        """A stored ok run is not planned; the rest come longest (estimated cost) first."""
        session = _session(tmp_path)
        session.store.put(make_run("model5", 0))
        cells = [("model0", 0), ("model5", 0), ("model5", 1), ("model2", 0)]
        got = plan(session, cells)
        assert ("model5", 0) not in got and len(got) == 3
        costs = [estimated_cost(v, session.profile) for v, _ in got]
        assert costs == sorted(costs, reverse=True)
        assert got[-1] == ("model0", 0)

    def test_one_training_several_records_is_planned_once(self, tmp_path):
        """Issue 29: model4 and model4-e2000 (model5 and model5-augval) are one training: the first missing cell
        stands for it, costed as the run that trains (model4-e2000's 2N epochs)."""
        session = _session(tmp_path)
        cells = [("model4", 0), ("model4-e2000", 0), ("model5-augval", 0), ("model5", 0), ("model4", 1)]
        assert sorted(plan(session, cells)) == [("model4", 0), ("model4", 1), ("model5-augval", 0)]
        session.store.put(make_run("model4", 0))
        assert ("model4-e2000", 0) in plan(session, cells)

    def test_failed_run_is_planned_until_it_failed_twice(self, tmp_path):
        """As Store.get_or_train: one failed attempt is retried, two stand."""
        session = _session(tmp_path)
        failed = make_run("model0", 0, status="failed", failure="non-finite loss")
        session.store.put(failed)
        assert plan(session, [("model0", 0)]) == [("model0", 0)]
        session.store.put(dataclasses.replace(failed, attempts=2))
        assert plan(session, [("model0", 0)]) == []
