"""A reused Ray worker process trains each run to the same bits as a fresh process (training.isolation).

A local Ray with 1 CPU, so one worker serves every task of a thread count. Runs are the smoke profile on a tiny
simulated archive (5 + 5 images per class).
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest

ray = pytest.importorskip("ray")

from tp2core.executor import ray_executor  # noqa: E402
from tp2core.executor.identity import node_identity  # noqa: E402
from tp2core.session import Options, Tp2Session  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ray-cluster")]  # Ray is one per process: one worker


@pytest.fixture(scope="module")
def tiny_archive(tmp_path_factory):
    from tp2core.data.simulate import write_simulated_archive

    return write_simulated_archive(tmp_path_factory.mktemp("data"), per_class_train=5, per_class_test=5, seed=3)


@pytest.fixture(scope="module")
def local_ray():
    if ray.is_initialized():
        ray.shutdown()
    ray.init(address="local", num_cpus=1, num_gpus=0, include_dashboard=False, log_to_driver=False)  # a new one
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def session(tiny_archive, tmp_path_factory, local_ray) -> Tp2Session:
    return Tp2Session(Options(profile="smoke", dataset=str(tiny_archive), cache=str(tmp_path_factory.mktemp("c")),
                              store=str(tmp_path_factory.mktemp("store")), seeds=2, executor="ray"))


def _submit(session, spec, options):
    """The executor's own remote function and options, one task, waited for: its payload."""
    expected = node_identity() | {"dataset_fingerprint": session.dataset.fingerprint}
    return ray.get(ray_executor.submit(ray, options, spec.to_dict(), ray.put(session.dataset), expected))


def _trained(payload) -> tuple:
    """What must not depend on the process: the weights' digest, the history, status and accuracy."""
    result = payload["result"]
    return payload["weights_sha256"], result["history"], result["status"], result["val_accuracy"]


def test_reused_worker_trains_like_a_fresh_process(session):
    """Runs A, B, A in one reused worker: each A equals A trained in a fresh process (weights and history)."""
    a, b = session.spec("model2", 0), session.spec("model3", 1)  # model3: other layer sizes and names than A
    options = ray_executor.run_options(a.threads, 0)
    assert options["max_calls"] == 0
    served = [_submit(session, spec, options) for spec in (a, b, a)]
    fresh = _submit(session, a, ray_executor.in_fresh_process(options))
    assert all("result" in p for p in served + [fresh]), served + [fresh]
    assert served[0]["pid"] == served[1]["pid"] == served[2]["pid"]  # one process served A, B, A
    assert fresh["pid"] != served[0]["pid"]
    assert _trained(served[0]) == _trained(served[2]) == _trained(fresh)
    assert served[1]["weights_sha256"] != served[0]["weights_sha256"]  # the digest tells runs apart
    assert served[0]["result"]["environment"]["intra_op_threads"] == a.threads


def test_runs_of_other_precisions_leave_the_worker_as_fresh(session):
    """float32 A, mixed_bfloat16 B, float32 A, tf32 C, float32 A — one reused worker: each A equals A trained in
    a fresh process (the dtype policy and TF32 reset between runs: training.isolation, precision_scope), and B
    and C ran at their own precision (B's weights differ from the float32 run of the same seed)."""
    a = session.spec("model2", 0)
    b = dataclasses.replace(session.spec("model2", 1), precision="mixed_bfloat16")
    c = dataclasses.replace(session.spec("model2", 1), precision="tf32")
    options = ray_executor.run_options(a.threads, 0)
    served = [_submit(session, spec, options) for spec in (a, b, a, c, a)]
    fresh = _submit(session, a, ray_executor.in_fresh_process(options))
    assert all("result" in p for p in served + [fresh]), served + [fresh]
    assert len({p["pid"] for p in served}) == 1 and fresh["pid"] != served[0]["pid"]  # one worker served all five
    assert _trained(served[0]) == _trained(served[2]) == _trained(served[4]) == _trained(fresh)
    assert [p["result"]["spec"]["precision"] for p in served] == ["float32", "mixed_bfloat16", "float32", "tf32",
                                                                   "float32"]
    float32_b = _submit(session, session.spec("model2", 1), options)
    assert served[1]["weights_sha256"] != float32_b["weights_sha256"]  # bfloat16 compute changed the numbers


def _with_threads(session, store, two_threads_seed):
    """session, but the run of model0 seed ``two_threads_seed`` has 2 threads; results go to ``store``."""
    from tp2core.store.database import Store

    def spec(variant, seed):
        made = session.spec(variant, seed)
        return dataclasses.replace(made, threads=2) if seed == two_threads_seed else made

    return SimpleNamespace(options=session.options, store=Store(store), dataset=session.dataset, spec=spec,
                           checkpoint_dir=f"{store}/checkpoints")


def test_runs_of_another_thread_count_get_their_own_worker(session, tmp_path):
    """1-thread and 2-thread runs in one session: the runtime_env (TP2_THREADS) keeps them in separate workers,
    so none lands in a worker with the wrong thread pools (no fresh-process retry needed)."""
    one_cpu = {"num_cpus": 1}  # the local Ray has 1 CPU
    report = ray_executor.run_on_ray(_with_threads(session, tmp_path, 1), [("model0", 0), ("model0", 1)],
                                     task_options=one_cpu)
    assert report.errors == {} and report.fresh_retries == {} and len(report.processes) == 2
    assert {r.spec.seed: r.environment["intra_op_threads"] for r in report.results} == {0: 1, 1: 2}


def test_worker_with_other_threads_is_not_used(session, tmp_path):
    """A 2-thread run landing in a worker whose TensorFlow already runs 1 thread is not trained there: it is
    resubmitted once to a fresh process, and trains with 2 threads."""
    one = session.spec("model0", 0)
    two = dataclasses.replace(session.spec("model0", 1), threads=2)
    # num_cpus=1 (the local Ray has 1 CPU) and the 1-thread runtime_env: Ray hands it the 1-thread worker
    same_worker = {"num_cpus": 1, "runtime_env": {"env_vars": {"TP2_THREADS": "1"}}}
    first = _submit(session, one, ray_executor.run_options(1, 0))
    assert "result" in first
    refused = _submit(session, two, {**ray_executor.run_options(2, 0), **same_worker})
    assert list(refused) == ["fresh_process"] and "cannot become 2" in refused["fresh_process"]

    report = ray_executor.run_on_ray(_with_threads(session, tmp_path, 1), [("model0", 0), ("model0", 1)],
                                     task_options=same_worker)
    assert report.errors == {} and list(report.fresh_retries) == [("model0", 1)]
    by_seed = {r.spec.seed: r for r in report.results}
    assert by_seed[1].spec.threads == 2 and by_seed[1].environment["intra_op_threads"] == 2
    assert by_seed[0].environment["intra_op_threads"] == 1 and len(report.processes) == 2
