"""--tp2-executor ray on a real multi-node Ray cluster on one machine (ray.cluster_utils.Cluster).

A head (1 CPU, no GPU) and two worker nodes with 1 CPU and 1 *logical* GPU each: the cluster has GPUs, so every
task requests ``num_gpus=1`` and only the worker nodes may run it (the trainer still runs on CPU: no CUDA here).
Runs are the smoke profile on a tiny simulated archive (5 + 5 images per class), one claim's variants x 2 seeds.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")
from ray.cluster_utils import Cluster  # noqa: E402

from tp2core.executor.plan import plan  # noqa: E402
from tp2core.executor.ray_executor import run_on_ray  # noqa: E402
from tp2core.session import Options, Tp2Session  # noqa: E402
from tp2core.training.runs import RECIPE_VERSION  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CELLS = [("model2", 0), ("model2", 1), ("model0", 0), ("model0", 1)]  # the `relu` claim's runs
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ray-cluster")]  # one cluster, one worker


@pytest.fixture(scope="module")
def tiny_archive(tmp_path_factory) -> Path:
    from tp2core.data.simulate import write_simulated_archive

    return write_simulated_archive(tmp_path_factory.mktemp("data"), per_class_train=5, per_class_test=5, seed=3)


@pytest.fixture(scope="module")
def cluster():
    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "num_gpus": 0, "include_dashboard": False})
    workers = [c.add_node(num_cpus=1, num_gpus=1) for _ in range(2)]
    ray.init(address=c.address, log_to_driver=False)
    yield c, workers
    ray.shutdown()
    c.shutdown()


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


def _session(archive, cache, store, address=None) -> Tp2Session:
    return Tp2Session(Options(profile="smoke", dataset=str(archive), cache=str(cache), store=str(store), seeds=2,
                              executor="ray", executor_options={"ray_address": address}))


def _numbers(result) -> tuple:
    return result.status, result.val_accuracy, result.history


@pytest.fixture(scope="module")
def local_reference(tiny_archive, cache, tmp_path_factory) -> dict:
    """The same runs trained locally (the `-n 0` path: Tp2Session.run in this process)."""
    session = _session(tiny_archive, cache, tmp_path_factory.mktemp("local-store"))
    return {cell: _numbers(session.run(*cell)[0]) for cell in CELLS}


def test_ray_results_equal_local_and_use_gpu_nodes(cluster, tiny_archive, cache, tmp_path, local_reference):
    """Every planned run trains on a (logical-)GPU worker node, is stored, and equals the local run exactly."""
    c, workers = cluster
    session = _session(tiny_archive, cache, tmp_path / "store")
    seen = []
    report = run_on_ray(session, plan(session, CELLS), on_result=seen.append)
    assert report.errors == {} and len(seen) == 4
    worker_ids = {w.node_id for w in workers}
    for result in seen:
        assert result.environment["ray_node_id"] in worker_ids and result.environment["hostname"]
    assert len(session.store.all()) == 4 and plan(session, CELLS) == []  # stored by the controller: a rerun trains nothing
    runs = {cell: session.run(*cell) for cell in CELLS}
    assert all(reused for _, reused in runs.values())
    assert {cell: _numbers(result) for cell, (result, _) in runs.items()} == local_reference


def test_node_removed_mid_run_loses_nothing(cluster, tiny_archive, cache, tmp_path, local_reference):
    """A worker node removed after the first result: its task is retried elsewhere; results still equal."""
    c, workers = cluster
    extra = c.add_node(num_cpus=1, num_gpus=1)
    session = _session(tiny_archive, cache, tmp_path / "store")
    removed = []

    def remove_a_busy_node(result):
        if not removed:  # every node is busy then: 3 tasks left for 3 GPU nodes
            c.remove_node(extra)
            removed.append(extra.node_id)

    report = run_on_ray(session, plan(session, CELLS), on_result=remove_a_busy_node)
    assert removed and report.errors == {}
    assert {cell: _numbers(session.run(*cell)[0]) for cell in CELLS} == local_reference
    assert all(r.attempts == 1 for r in session.store.all()) and len(session.store.all()) == 4


REFUSAL_DRIVER = """
import sys
from tp2core.errors import ExecutorError
from tp2core.executor.ray_executor import run_on_ray
from tp2core.session import Options, Tp2Session

archive, cache, store, address = sys.argv[1:]
session = Tp2Session(Options(profile="smoke", dataset=archive, cache=cache, store=store, seeds=2, executor="ray",
                             executor_options={"ray_address": address}))
try:
    run_on_ray(session, [("model0", 0)], address=address, task_options={"resources": {"odd_node": 1}, "num_gpus": 0})
except ExecutorError as exc:
    print("REFUSED", exc)
print("STORED", len(session.store.all()))
"""


def test_node_with_another_recipe_version_is_refused(cluster, tiny_archive, cache, tmp_path):
    """A node whose tp2 has another RECIPE_VERSION is refused, naming the node and the difference; nothing stored.

    The odd node's workers import a copy of tp2core with RECIPE_VERSION = 99 (its PYTHONPATH). The driver runs in
    a directory without tp2core: Ray puts the driver's working directory first on every worker's sys.path."""
    c, _ = cluster
    other = tmp_path / "other-tp2"
    shutil.copytree(ROOT / "tp2core", other / "tp2core", ignore=shutil.ignore_patterns("__pycache__"))
    runs_py = other / "tp2core" / "training" / "runs.py"
    runs_py.write_text(re.sub(r"^RECIPE_VERSION = \d+", "RECIPE_VERSION = 99", runs_py.read_text(), flags=re.M))
    odd = c.add_node(num_cpus=1, resources={"odd_node": 1}, env_vars={"PYTHONPATH": str(other)})
    driver_dir = tmp_path / "driver"
    driver_dir.mkdir()
    try:
        out = subprocess.run([sys.executable, "-c", REFUSAL_DRIVER, str(tiny_archive), str(cache),
                              str(tmp_path / "store"), c.address], cwd=driver_dir, capture_output=True, text=True,
                             timeout=300).stdout
    finally:
        c.remove_node(odd)
    assert f"REFUSED Ray node " in out and f"({odd.node_id[:12]}) refused" in out, out
    assert f"recipe_version: controller {RECIPE_VERSION}, node 99" in out
    assert "STORED 0" in out


def test_pytest_suite_under_ray_matches_serial(cluster, tiny_archive, cache, tmp_path):
    """`pytest benchmarks --tp2-executor ray --tp2-ray-address ADDR` prints the same accuracies as `-n 0`."""
    c, _ = cluster
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["tp2core.plugin"]\n')
    shutil.copytree(ROOT / "benchmarks", tmp_path / "benchmarks")

    def run(*args, store):
        return subprocess.run(
            [sys.executable, "-m", "pytest", "benchmarks", "-p", "no:cacheprovider", "--tp2-profile", "smoke",
             "--tp2-dataset", str(tiny_archive), "--tp2-cache", str(cache), "--tp2-store", str(tmp_path / store),
             "-k", "relu-beats", *args], cwd=tmp_path, capture_output=True, text=True, timeout=600)

    under_ray = run("--tp2-executor", "ray", "--tp2-ray-address", c.address, store="s-ray")
    serial = run("-n", "0", store="s-serial")
    assert under_ray.returncode == serial.returncode == 0, under_ray.stdout[-3000:] + under_ray.stderr[-2000:]
    assert "tp2 ray: 4 runs" in under_ray.stdout
    assert len(_accuracies(under_ray.stdout)) == 4 and _accuracies(under_ray.stdout) == _accuracies(serial.stdout)


def _accuracies(stdout: str) -> dict[str, str]:
    """'tp2 run model0 seed 1 val acc 2.40% …' progress lines → {'model0/1': '2.40%'}."""
    return {f"{v}/{s}": acc for v, s, acc in re.findall(r"tp2 run (\S+)\s+seed (\d+)\s+val acc\s+(\S+)", stdout)}


def test_cli_run_on_ray_then_reused(cluster, tiny_archive, cache, tmp_path):
    """`tp2 run model0 --executor ray --ray-address ADDR` trains on the cluster; the same command again reuses it."""
    c, _ = cluster
    cmd = [sys.executable, "-m", "tp2core.cli", "run", "model0", "--seed", "1", "--profile", "smoke", "--dataset",
           str(tiny_archive), "--store", str(tmp_path / "store"), "--executor", "ray", "--ray-address", c.address]
    env = {**os.environ, "TP2_CACHE": str(cache)}
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    second = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert first.returncode == 0 and first.stdout.strip().endswith("trained"), first.stdout + first.stderr[-2000:]
    assert second.returncode == 0 and second.stdout.strip().endswith("reused"), second.stdout + second.stderr[-2000:]
    accuracy = lambda out: re.search(r"val_accuracy=(\S+)", out)[1]  # noqa: E731
    assert accuracy(first.stdout) == accuracy(second.stdout)


def test_exception_inside_training_is_reported_not_retried(cluster, tiny_archive, cache, tmp_path):
    """A task raising inside training (here: a spec whose precision the trainer refuses) is one error, nothing
    stored; the session then fails that cell's test with it instead of training it locally."""
    import dataclasses
    from types import SimpleNamespace

    from tp2core.errors import RunFailed

    real = _session(tiny_archive, cache, tmp_path / "store")

    def refused_spec(variant, seed):
        return dataclasses.replace(real.spec(variant, seed), precision="float8")

    session = SimpleNamespace(options=real.options, store=real.store, dataset=real.dataset, spec=refused_spec,
                              checkpoint_dir=real.checkpoint_dir)
    report = run_on_ray(session, [("model0", 0)])
    assert list(report.errors) == [("model0", 0)] and "'precision' must be one of" in report.errors["model0", 0]
    assert report.results == [] and real.store.all() == []
    real.remote_errors.update(report.errors)
    with pytest.raises(RunFailed, match="model0 seed 0 raised on the ray executor: ConfigError"):
        real.run("model0", 0)


def test_dataset_that_arrives_changed_is_refused(cluster, tiny_archive, cache, tmp_path):
    """The task fingerprints the arrays it received: one flipped bit refuses the node before any training."""
    import dataclasses

    from tp2core.executor import ray_executor
    from tp2core.executor.identity import node_identity

    session = _session(tiny_archive, cache, tmp_path / "store")
    ds = session.dataset
    changed = dataclasses.replace(ds, x_train=ds.x_train.copy())
    changed.x_train[0, 0, 0, 0] ^= 1
    expected = node_identity() | {"dataset_fingerprint": ds.fingerprint}
    out = ray_executor.train_task(session.spec("model0", 0).to_dict(), changed, expected)
    assert "refused" in out and f"dataset_fingerprint: controller {ds.fingerprint!r}" in out["refused"]


KILLED_DRIVER = """
import sys
from tp2core.executor.plan import plan
from tp2core.executor.ray_executor import run_on_ray
from tp2core.session import Options, Tp2Session

archive, cache, store, address = sys.argv[1:5]
cells = [(v, int(s)) for v, s in (c.split("/") for c in sys.argv[5:])]
session = Tp2Session(Options(profile="smoke", dataset=archive, cache=cache, store=store, seeds=2, executor="ray",
                             executor_options={"ray_address": address}))
run_on_ray(session, plan(session, cells), address=address, on_result=lambda r: print("STORED", flush=True))
"""


def test_controller_killed_then_rerun_reuses_finished_runs(cluster, tiny_archive, cache, tmp_path, local_reference):
    """SIGKILL the controller after its first stored run: the rerun plans only the rest; all runs equal local."""
    import signal

    c, _ = cluster
    store = tmp_path / "store"
    driver = subprocess.Popen([sys.executable, "-c", KILLED_DRIVER, str(tiny_archive), str(cache), str(store),
                               c.address, *(f"{v}/{s}" for v, s in CELLS)], stdout=subprocess.PIPE, text=True,
                              cwd=tmp_path)
    try:
        assert driver.stdout.readline().strip() == "STORED"
    finally:
        driver.send_signal(signal.SIGKILL)
        driver.wait(timeout=60)
    session = _session(tiny_archive, cache, store)
    finished = {(r.spec.variant.name, r.spec.seed) for r in session.store.all()}
    assert finished and plan(session, CELLS) == [cell for cell in CELLS if cell not in finished]
    report = run_on_ray(session, plan(session, CELLS))
    assert {(r.spec.variant.name, r.spec.seed) for r in report.results} == set(CELLS) - finished
    assert {cell: _numbers(session.run(*cell)[0]) for cell in CELLS} == local_reference
