"""Tp2Fixture: what a training cell attaches to its test report (no pytest session, no training)."""

from __future__ import annotations

import pytest
from runs_factory import make_run, meta

from tp2core.plugin import META_KEY, RUN_KEY, TRANSPORT, Tp2Fixture


class _Node:
    def __init__(self) -> None:
        self.user_properties: list[tuple[str, object]] = []
        self.stash = pytest.Stash()

    @property
    def pairs(self) -> list:
        return self.stash.get(TRANSPORT, [])


class _Session:
    def __init__(self, result) -> None:
        self.result = result

    def meta(self) -> dict:
        return meta()

    def run(self, variant: str, seed: int):
        return self.result, True


def test_a_trained_cell_attaches_meta_and_its_run():
    node = _Node()
    run = make_run("model0", 1)
    Tp2Fixture(_Session(run), node).ensure_trained(("model0", 1))
    assert [key for key, _ in node.pairs] == [META_KEY, RUN_KEY]
    assert node.pairs[1][1] == {"result": run.to_dict(), "reused": True}
    assert not {key for key, _ in node.user_properties} & {META_KEY, RUN_KEY}  # JUnit XML never sees transport
    assert ("val_accuracy", f"{run.val_accuracy:.4f}") in node.user_properties


def test_a_failed_run_fails_its_cell_with_the_failure_text_and_is_still_attached():
    node = _Node()
    run = make_run("model0", 0, status="failed", failure="non-finite loss (nan) at epoch 1, batch 3 (1-based)")
    with pytest.raises(pytest.fail.Exception, match=r"^model0 seed 0 failed: non-finite loss"):
        Tp2Fixture(_Session(run), node).ensure_trained(("model0", 0))
    assert node.pairs[-1][0] == RUN_KEY


def test_a_claim_whose_ratios_the_profile_breaks_is_not_judged():
    """Under a profile that breaks a claim's ratios, assert_holds skips with the reason and never judges."""
    from tp2core.claims.catalog import CLAIMS_BY_NAME
    from tp2core.recipe.variants import Profile

    class _Broken(_Session):
        profile = Profile(name="quick", train_per_class=30, test_per_class=20, max_width=1500)

        def judge(self, claim):
            raise AssertionError("a claim on broken ratios must not be judged")

    with pytest.raises(pytest.skip.Exception, match=r"^wide-first-layer-hurts: not judged at this scale: width"):
        Tp2Fixture(_Broken(None), _Node()).assert_holds(CLAIMS_BY_NAME["wide-first-layer-hurts"])


def test_a_not_judged_claim_reaches_the_controller_and_is_not_missing(tmp_path):
    """The skip a not-judged claim reports carries its reason to the controller: results.json lists it under
    "not_judged", and the session does not call it missing (a crashed worker's symptom)."""
    import json
    from types import SimpleNamespace

    from tp2core.controller import Controller
    from tp2core.plugin import NOT_JUDGED_KEY, ControllerHooks
    from tp2core.session import Options

    controller = Controller(Options(store=str(tmp_path / "store"), report_dir=str(tmp_path / "report")))
    controller.expect(["benchmarks/test_ablation.py::test_claim[more-data-not-more-steps]"])
    record = {"claim": "more-data-not-more-steps", "reason": "not judged at this scale: model4-e2000 …"}
    ControllerHooks(None, controller).pytest_runtest_logreport(
        SimpleNamespace(tp2_transport=[[NOT_JUDGED_KEY, record]]))
    assert controller.missing() == []
    assert json.loads(controller.results_json([]))["not_judged"] == [record]
