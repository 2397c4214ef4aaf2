"""A session's stages on one executor: one Ray connection and one dataset upload for every ``train`` call, Ray shut
down once by ``close()``, and ``Report.add`` summing the stages' reports (issue 28, item 7).

Ray is a stand-in module here (no cluster, no training): it counts ``init``/``put``/``shutdown`` and answers each
task with a made-up run, so the test is about the executor's bookkeeping only.
"""

from __future__ import annotations

import dataclasses
import sys
from types import SimpleNamespace

import pytest
from runs_factory import make_run

from tp2core.executor import ray_executor
from tp2core.executor.base import Report
from tp2core.session import Options
from tp2core.store.database import Store
from tp2core.training.runs import RunSpec


class FakeRay:
    """The part of the ``ray`` module run_on_ray uses; each task 'trains' in worker pid 100 + its seed."""

    class exceptions:  # noqa: N801 (ray.exceptions)
        class RayError(Exception):
            pass

    def __init__(self):
        self.calls = {"init": 0, "put": 0, "shutdown": 0}
        self.initialized = False
        self._payloads = {}

    def is_initialized(self):
        return self.initialized

    def init(self, **kwargs):
        self.calls["init"] += 1
        self.initialized = True

    def shutdown(self):
        self.calls["shutdown"] += 1
        self.initialized = False

    def put(self, value):
        assert self.initialized, "put before init"
        self.calls["put"] += 1
        return ("object", id(value))

    def cluster_resources(self):
        return {"CPU": 1.0}

    def remote(self, **_options):
        fake = self

        class Remote:
            def options(self, **_kw):
                return self

            def remote(self, spec: dict, dataset_ref, expected, checkpoint_dir, records=()):
                run = RunSpec.from_dict(spec)
                result = make_run(run.variant.name, run.seed)
                ref = ("task", len(fake._payloads))
                fake._payloads[ref] = {"result": result.to_dict(), "task_seconds": result.train_seconds + 0.25,
                                       "pid": 100 + run.seed}
                return ref

        return lambda fn: Remote()

    def wait(self, refs, num_returns=1):
        return refs[:num_returns], refs[num_returns:]

    def get(self, ref):
        return self._payloads[ref]

    def cancel(self, ref, force=False):
        pass


@pytest.fixture
def fake_ray(monkeypatch):
    fake = FakeRay()
    monkeypatch.setitem(sys.modules, "ray", fake)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    ray_executor._remote.cache_clear()  # its cache is keyed by the ray module
    yield fake
    ray_executor._remote.cache_clear()


def _session(tmp_path):
    """What run_on_ray reads from a session: options, store, dataset (its fingerprint), spec, checkpoint_dir."""
    return SimpleNamespace(options=Options(executor="ray"), store=Store(tmp_path / "store"),
                           dataset=SimpleNamespace(fingerprint="f" * 64), spec=lambda v, s: make_run(v, s).spec,
                           checkpoint_dir=None)


def test_stages_share_one_ray_connection_and_one_dataset_upload(fake_ray, tmp_path):
    """Two train() calls of one RayExecutor: Ray initialised once, the dataset put once, nothing shut down until
    close(), which shuts down the Ray it started exactly once."""
    executor, session = ray_executor.RayExecutor(), _session(tmp_path)
    first = executor.train(session, [("model0", 0), ("model0", 1)])
    second = executor.train(session, [("model0", 2)])
    assert fake_ray.calls == {"init": 1, "put": 1, "shutdown": 0}
    assert [r.spec.seed for r in first.results] == [0, 1] and [r.spec.seed for r in second.results] == [2]
    executor.close()
    executor.close()  # idempotent
    assert fake_ray.calls == {"init": 1, "put": 1, "shutdown": 1}


def test_run_on_ray_alone_connects_and_shuts_down_per_call(fake_ray, tmp_path):
    """Without a kept connection (scripts, tests) each call still starts and stops its own Ray."""
    session = _session(tmp_path)
    ray_executor.run_on_ray(session, [("model0", 0)])
    ray_executor.run_on_ray(session, [("model0", 1)])
    assert fake_ray.calls == {"init": 2, "put": 2, "shutdown": 2}


def test_a_ray_this_process_already_runs_is_not_shut_down(fake_ray, tmp_path):
    """close() shuts down only a Ray that train() started (here the caller had initialised it)."""
    fake_ray.initialized = True
    executor = ray_executor.RayExecutor()
    executor.train(_session(tmp_path), [("model0", 0)])
    executor.close()
    assert fake_ray.calls == {"init": 0, "put": 1, "shutdown": 0}


def test_the_executor_report_sums_every_stage(fake_ray, tmp_path):
    """Report.add over two stages: results, processes, overhead and wall of both."""
    executor, session = ray_executor.RayExecutor(), _session(tmp_path)
    first = executor.train(session, [("model0", 0), ("model0", 1)])
    second = executor.train(session, [("model0", 2)])
    walls = first.wall_seconds + second.wall_seconds
    total = first.add(second)
    executor.close()
    assert total is first and [r.spec.seed for r in total.results] == [0, 1, 2]
    assert {pid for _, pid in total.processes} == {100, 101, 102}
    assert total.overhead_seconds == pytest.approx([0.25] * 3) and total.wall_seconds == pytest.approx(walls)
    assert "3 runs" in total.summary() and "3 worker process(es)" in total.summary()


def test_report_add_sums_errors_retries_and_reused():
    """Every field of the other report joins: errors, fresh-process retries, reused runs, nodes, wall."""
    a = Report("ray", errors={("model0", 0): "boom"}, wall_seconds=2.0, nodes={"n1"}, processes={("n1", 1)},
               fresh_retries={("model0", 1): "threads"})
    b = Report("ray", reused=[make_run("model0", 3)], errors={("model0", 2): "bang"}, wall_seconds=3.5,
               overhead_seconds=[0.5], nodes={"n2"}, processes={("n2", 7)}, fresh_retries={("model0", 4): "t"})
    got = a.add(b)
    assert got.errors == {("model0", 0): "boom", ("model0", 2): "bang"}
    assert list(got.fresh_retries) == [("model0", 1), ("model0", 4)]
    assert got.wall_seconds == 5.5 and got.nodes == {"n1", "n2"} and got.processes == {("n1", 1), ("n2", 7)}
    assert [r.spec.seed for r in got.reused] == [3] and got.overhead_seconds == [0.5]
    assert {f.name for f in dataclasses.fields(Report)} == {
        "executor", "results", "reused", "errors", "wall_seconds", "overhead_seconds", "nodes", "processes",
        "fresh_retries"}  # a new field must be summed by add() too
