"""Issue 23 in a session: --tp2-max-seeds trains each stage's cells for the comparisons still undecided, shared
variants once, records stages / seeds used / why it stopped, and a rerun on the same store trains nothing.

Runs are made, not trained (runs_factory): each (variant, seed) has a fixed accuracy, so the stages are exact."""

import zlib

import numpy as np
import pytest

from runs_factory import made_runs_session
from tp2core.claims.catalog import CLAIMS
from tp2core.errors import ConfigError
from tp2core.session import Options, Tp2Session

PROFILE = "quick"
MEANS = {"model0": 0.100, "model2": 0.112, "model3": 0.300}  # model3 ≫ model2: decided at once; model2 vs model0 not
BY_NAME = {c.name: c for c in CLAIMS}
RELU, EPOCHS = BY_NAME["relu-beats-course-baseline"], BY_NAME["more-epochs-help"]


def accuracy(variant: str, seed: int) -> float:
    noise = np.random.default_rng([seed, zlib.crc32(variant.encode())]).normal(0, 0.008)
    return float(MEANS.get(variant, 0.2) + noise)


MadeRuns = made_runs_session(accuracy, PROFILE)


def _session(store, max_seeds=9, claims=(RELU, EPOCHS)):
    session = MadeRuns(Options(profile=PROFILE, store=store, seeds=3, max_seeds=max_seeds))
    session.trained = []
    session.collect(claims)
    return session


def _comparison(judgement):
    [c] = judgement.comparisons
    return c


def test_stages_train_only_what_undecided_comparisons_need(tmp_path):
    """model3 ≫ model2 goes on to a second look and is supported; model2 vs model0 stops as futile at the first.
    model2, shared, is trained once per seed up to the larger need; model0 only for the first stage."""
    session = _session(str(tmp_path))
    epochs, epoch_runs = session.judge(EPOCHS)
    relu, relu_runs = session.judge(RELU)
    fast, slow = _comparison(epochs).sequential, _comparison(relu).sequential
    assert (fast.stopped, fast.verdict) == ("decided", "supported") and len(fast.stages) >= 2
    assert (slow.stopped, slow.verdict, len(slow.stages)) == ("futile", "inconclusive", 1)
    assert [s.seeds for s in fast.stages] == list(session.design.sequential.looks[:len(fast.stages)])
    n_fast, n_slow = fast.seeds_used["a"], slow.seeds_used["a"]
    assert n_slow == 3 < n_fast  # the stages differ: one comparison stopped, the other went on
    cells = ([("model3", s) for s in range(n_fast)] + [("model2", s) for s in range(max(n_fast, n_slow))]
             + [("model0", s) for s in range(n_slow)])
    assert sorted(session.trained) == sorted(cells)  # each cell once
    assert {(r.spec.variant.name, r.spec.seed) for r, _ in epoch_runs} == {c for c in cells if c[0] != "model0"}
    d = _comparison(epochs).to_dict()
    assert d["seeds_used"] == {"a": n_fast, "b": n_fast} and d["stopped"] == "decided"
    assert [s["decision"] for s in d["stages"]] == [s.decision for s in fast.stages]
    assert "adaptive seeds" in epochs.sentence and "sequential: supported at look" in epochs.sentence


def test_rerun_on_the_same_store_trains_nothing_and_agrees(tmp_path):
    first = _session(str(tmp_path))
    before = [first.judge(c)[0] for c in (RELU, EPOCHS)]
    again = _session(str(tmp_path))
    after = [again.judge(c)[0] for c in (RELU, EPOCHS)]
    assert again.trained == [] and [j.to_dict() for j in after] == [j.to_dict() for j in before]


def test_fixed_seeds_without_the_option(tmp_path):
    session = MadeRuns(Options(profile=PROFILE, store=str(tmp_path), seeds=3))
    session.trained = []
    session.collect([RELU])
    judgement, _ = session.judge(RELU)
    assert _comparison(judgement).sequential is None and "stages" not in _comparison(judgement).to_dict()
    assert sorted(session.trained) == [(v, s) for v in ("model0", "model2") for s in range(3)]


def test_max_seeds_below_the_first_stage_is_a_usage_error(tmp_path):
    from tp2core.preflight import check_max_seeds

    with pytest.raises(ConfigError, match=r"--tp2-max-seeds 2 is below the 3 seeds of the first stage"):
        check_max_seeds(Options(profile=PROFILE, seeds=3, max_seeds=2))
    with pytest.raises(ConfigError, match=r"'max_seeds' must be an int in \[2, 1000\]"):
        Options(max_seeds=0)


def test_every_output_shows_the_stages(tmp_path):
    """The claim table (terminal and tables.md) has the sequential system, its seeds and why it stopped; the report a figure of the looks."""
    from tp2core.output.report import write_report
    from tp2core.output.session_files import markdown
    from tp2core.output.terminal import render_terminal

    session = _session(str(tmp_path / "store"))
    judged = [session.judge(c) for c in (EPOCHS, RELU)]
    judgements = [j for j, _ in judged]
    runs = list({r.identity: r for _, got in judged for r, _ in got}.values())
    terminal = render_terminal(session.meta(), runs, judgements, width=200)
    table_md = markdown(session.meta(), runs, judgements, [])
    for text in (terminal, table_md):
        assert "sequential" in text and "stopped" in text and "decided at look 2 of 4" in text
    paths = write_report(meta=session.meta(), runs=runs, judgements=judgements, out_dir=tmp_path / "r",
                         find_dataset=False)
    assert tmp_path / "r" / "sequential-stages.png" in paths
    assert "Adaptive seeds: where each comparison stopped" in (tmp_path / "r" / "report.md").read_text()


class StandInExecutor:
    """A controller-trained executor that 'trains' by storing made runs: the stage loop of
    Tp2Session.train_on_executor, tested without Ray."""

    name, controller_trains = "stand-in", True

    def __init__(self):
        self.calls: list[list] = []

    def train(self, session, cells, *, on_result=None):
        from tp2core.executor.base import Report

        self.calls.append(list(cells))
        report = Report(executor=self.name)
        for v, s in cells:
            run = session._train_fn(v, s)()
            session.store.put(run)
            report.results.append(run)
        return report

    def close(self):
        self.closed = True


def test_the_executor_stage_loop_trains_each_look_from_the_controller(tmp_path, monkeypatch):
    """Under a controller-trained executor, one plan round per look: the first round every first-look cell, then
    only the cells the undecided comparisons' next looks need; the report covers every round; the tests' own
    judging afterwards trains nothing and gives the same verdicts as a local session on the same data."""
    import tp2core.executor as executor_module

    stand_in = StandInExecutor()
    monkeypatch.setattr(executor_module, "get_executor", lambda name: stand_in)
    session = _session(str(tmp_path / "ray-like"))
    report = session.train_on_executor([], [RELU, EPOCHS])
    assert len(stand_in.calls) >= 2 and sorted(stand_in.calls[0]) == sorted(
        (v, s) for v in ("model0", "model2", "model3") for s in range(3))
    later = [cell for call in stand_in.calls[1:] for cell in call]
    assert later and all(v in ("model2", "model3") and s >= 3 for v, s in later)  # only the undecided arms
    assert len(report.results) == sum(len(c) for c in stand_in.calls) and stand_in.closed
    session.trained = []
    controller = [session.judge(c)[0] for c in (EPOCHS, RELU)]
    assert session.trained == []
    local = _session(str(tmp_path / "local"))
    assert [j.to_dict() for j in controller] == [local.judge(c)[0].to_dict() for c in (EPOCHS, RELU)]
