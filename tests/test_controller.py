"""Controller: what the controlling process gathers from reports, and the session-end steps (no pytest run)."""

from __future__ import annotations

import json

import pytest

from runs_factory import make_run, meta

from tp2core.controller import Controller
from tp2core.output import gate
from tp2core.session import Options

CELL = "benchmarks/test_training.py::test_train[{}-seed{}]"
CLAIM = "benchmarks/test_architecture.py::test_claim[{}]"


def controller(tmp_path, **options) -> Controller:
    return Controller(Options(store=str(tmp_path / "store"), report_dir=str(tmp_path / "report"), **options))


class TestGathering:
    def test_missing_names_collected_cells_and_claims_never_reported(self, tmp_path):
        c = controller(tmp_path)
        c.expect([CELL.format("model0", 0), CELL.format("model0", 1), CLAIM.format("hidden-softmax-collapses"),
                  "tests/test_other.py::test_x"])
        c.add_run(make_run("model0", 0), reused=False)
        assert c.missing() == ["model0 seed 1", "claim hidden-softmax-collapses"]

    def test_a_run_is_new_once(self, tmp_path):
        c = controller(tmp_path)
        run = make_run("model0", 0)
        assert c.add_run(run, reused=False) is True
        assert c.add_run(run, reused=True) is False and c.reused[run.identity] is False

    def test_meta_from_the_first_report_with_an_environment_wins(self, tmp_path):
        c = controller(tmp_path)
        c.add_meta({"dataset": "simulated"})
        c.add_meta({"dataset": "simulated", "environment": {"python": "3.11"}})
        c.add_meta({"dataset": "other", "environment": {"python": "3.12"}})
        assert c.meta == {"dataset": "simulated", "environment": {"python": "3.11"}}


class TestFinish:
    def test_writes_the_session_files(self, tmp_path):
        c = controller(tmp_path, gate=None)
        c.add_meta(meta())
        c.add_run(make_run("model0", 0), reused=False)
        outcome = c.finish()
        assert not outcome.failed
        written = json.loads((tmp_path / "report" / "results.json").read_text())
        assert [r["spec"]["seed"] for r in written["runs"]] == [0] and written["runs"][0]["reused"] is False
        assert (tmp_path / "report" / "tables.md").read_text().startswith("# tp2 results")
        assert (tmp_path / "report" / "benchmarks.json").exists()

    def test_missing_cells_fail_the_session(self, tmp_path):
        c = controller(tmp_path)
        c.expect([CELL.format("model0", 0), CELL.format("model0", 1)])
        c.add_run(make_run("model0", 0), reused=False)
        outcome = c.finish()
        assert outcome.failed and any(line.startswith("tp2: MISSING") and "model0 seed 1" in line
                                      for line in outcome.lines)

    def test_gate_passes_against_its_own_reference_and_fails_on_a_band_breach(self, tmp_path):
        runs = [make_run("model0", s, acc=0.30 + 0.01 * s) for s in range(2)]
        reference = tmp_path / "ref.json"
        reference.write_text(json.dumps(gate.build_reference(meta(), runs, [])))
        same = controller(tmp_path, gate=str(reference))
        same.add_meta(meta())
        for run in runs:
            same.add_run(run, reused=True)
        assert not same.finish().failed
        low = controller(tmp_path, gate=str(reference))
        low.add_meta(meta())
        for s in range(2):
            low.add_run(make_run("model0", s, acc=0.01), reused=False)
        outcome = low.finish()
        assert outcome.failed and any("tp2 gate FAILED" in line for line in outcome.lines)

    def test_unwritable_report_directory_fails_with_the_fix_not_a_traceback(self, tmp_path):
        blocker = tmp_path / "file"
        blocker.write_text("")
        c = Controller(Options(store=str(tmp_path / "s"), report_dir=str(blocker / "report")))
        c.add_run(make_run("model0", 0), reused=False)
        outcome = c.finish()
        assert outcome.failed and any("pass --tp2-report DIR" in line for line in outcome.lines)


def test_results_json_and_tables_carry_the_regime(tmp_path):
    """Issue 21: results.json 'regime' has each variant's mean train/val accuracy, chance and learned; tables.md a
    Regime section; a model at chance is 'learned': false."""
    c = controller(tmp_path, gate=None)
    c.add_meta(meta())
    for seed in (0, 1):
        for variant, acc in (("model0", 0.2), ("model1", 0.01)):
            run = make_run(variant, seed, acc=acc)
            run.train_accuracy = acc + 0.1
            c.add_run(run, reused=False)
    c.finish()
    report = tmp_path / "report"
    regime = {r["variant"]: r for r in json.loads((report / "results.json").read_text())["regime"]}
    assert regime["model0"]["learned"] is True and regime["model1"]["learned"] is False
    assert regime["model0"]["val_accuracy"] == pytest.approx(0.2) and regime["model0"]["chance"] == 0.01
    assert regime["model0"]["train_accuracy"] == pytest.approx(0.3) and regime["model0"]["best_epoch"] == 2
    assert "## Regime" in (report / "tables.md").read_text()
