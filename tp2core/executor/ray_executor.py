"""Train planned runs as Ray tasks; the controller keeps the store (nodes need no shared filesystem).

One task per run, ``num_gpus=1`` when the cluster has GPUs, ``num_cpus`` = the run's thread count. CPU tasks reuse
their worker process across runs (``max_calls=0``: the TensorFlow import is paid once per worker, not once per run);
each run starts with ``training.isolation.prepare_run`` (Keras session, dtype policy, TF32; train reseeds), and
the task's runtime_env names its thread count, so Ray only reuses a worker for runs of the same count. A task that
still lands in a process running another count is not trained there: it is resubmitted once to a fresh process
(``max_calls=1`` and a runtime_env no worker has). GPU tasks keep a fresh process per run (``max_calls=1``: TF
binds the GPU Ray gave the first task and keeps its memory). One Ray connection serves all of a session's stages
(``ray_connection.Connection``: workers kept, the prepared dataset put into Ray's object store once); each task
checks the dataset's fingerprint and the node's identity (``identity.refusal``) before training with
``training.train.train_spec`` (the trainer of the session and ``tp2 run``), checkpointing on the node, so a task
Ray retries on the same node resumes exactly. A node lost mid-run makes Ray retry the task elsewhere
(``max_retries``); an exception raised inside training is not retried (``retry_exceptions=False``). Results
stream back with ``ray.wait`` and are stored as each arrives, so a killed controller's rerun reuses every
finished run.
"""

from __future__ import annotations

import functools
import os
import socket
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from ..errors import ExecutorError
from . import identity as node_identity
from .base import Cell, Executor, ExecutorOption, Report
from .ray_connection import (Connection, address_of, check_ready, connect, import_ray,  # noqa: F401 (API)
                             resolve_address)

MAX_RETRIES = 3  # retries after a lost node or killed worker; exceptions inside training are not retried


class RayExecutor(Executor):
    """``--tp2-executor ray``: the controller trains every planned run as a Ray task before the tests. One Ray
    connection (``Connection``) serves all of this instance's ``train`` calls — a session's stages — so workers
    and the uploaded dataset are kept between stages; ``close()`` ends it."""

    name = "ray"
    controller_trains = True
    options = (ExecutorOption("ray-address", "Ray cluster HOST:PORT for the ray executor (default: RAY_ADDRESS, "
                                             "else a local Ray)", metavar="ADDR"),)

    def __init__(self) -> None:
        self._connection: Connection | None = None

    def check(self, options, *, workers: int | None = None) -> None:
        """Ray importable and the address reachable, before any collection; no xdist workers beside it."""
        if workers:
            raise ExecutorError(f"--tp2-executor ray trains on the Ray cluster from this process; drop -n {workers} "
                                f"(or use -n 0), or use --tp2-executor local with -n.")
        check_ready(address_of(options))

    def train(self, session, cells, *, on_result=None, on_epoch=None) -> Report:
        """Ray tasks report when they end: no per-epoch progress (``on_epoch`` unused). Connects on the first call
        with cells; later calls reuse the connection and the dataset already in Ray's object store."""
        if self._connection is None:
            self._connection = Connection(address_of(session.options))
        return run_on_ray(session, cells, connection=self._connection, on_result=on_result)

    def close(self) -> None:
        """Shut down the Ray instance ``train`` started (a cluster joined is only disconnected from)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def train_task(spec: dict, dataset, expected: dict, checkpoint_dir: str | None = None, records: tuple = ()) -> dict:
    """The body of one Ray task: refuse a mismatched node, else reset the (possibly reused) worker process
    (training.isolation.prepare_run) and train the run ``spec`` names with ``training.train.train_spec`` — the
    trainer the session and ``tp2 run`` use — checkpointing under ``checkpoint_dir`` on the node (where it can be
    created), so a retried task on the same node resumes.

    ``records``: RunSpec dicts this training also records (training.shared: one training, several records).
    Returns {"refused": message}, {"fresh_process": why} (this process runs another thread count: train it in a
    fresh one) or {"result": RunResult.to_dict(), "records": [RunResult.to_dict(), …], "task_seconds": s,
    "weights_sha256": digest, "pid": pid}; a
    failure inside training (NaN) is a failed RunResult, an exception propagates (Ray does not retry it).
    """
    started = time.perf_counter()
    import ray

    from ..data.dataset import array_fingerprint
    from ..data.load import ARRAYS
    from ..training.runs import RunSpec

    host, node_id = socket.gethostname(), ray.get_runtime_context().get_node_id()
    mine = node_identity.node_identity()
    fingerprint = array_fingerprint(*(getattr(dataset, name) for name in ARRAYS))  # what arrived, not its label
    refused = node_identity.refusal(host, node_id, expected, mine | {"dataset_fingerprint": fingerprint})
    if refused:
        return {"refused": refused}
    run = RunSpec.from_dict(spec)
    os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    from ..training.checkpoint import discard
    from ..training.isolation import prepare_run, weights_digest
    from ..training.train import train_spec

    why = prepare_run(run.threads)  # a clean process for this run, or why this one cannot train it
    if why:
        return {"fresh_process": f"Ray node {host} worker {os.getpid()}: {why}"}
    checkpoints = _usable(checkpoint_dir)
    recorded = []
    result, model = train_spec(run, dataset, checkpoint_dir=checkpoints, on_record=recorded.append,
                               records=tuple(RunSpec.from_dict(r) for r in records))
    if checkpoints is not None:
        discard(checkpoints, run.identity())  # the controller stores the result as soon as it arrives
    result.environment.update(hostname=host, ray_node_id=node_id)
    return {"result": result.to_dict(), "records": [r.to_dict() for r in recorded],
            "task_seconds": time.perf_counter() - started,
            "weights_sha256": weights_digest(model), "pid": os.getpid()}


def _usable(directory: str | None) -> str | None:
    """``directory`` if this node can write there (a node without the controller's filesystem may not)."""
    if directory is None:
        return None
    try:
        Path(directory).mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return directory if os.access(directory, os.W_OK) else None


@functools.lru_cache(maxsize=None)
def _remote(ray, max_calls: int):
    """train_task as a Ray remote function (one per ``ray`` module and ``max_calls``, which Ray only takes here)."""
    return ray.remote(max_calls=max_calls, max_retries=MAX_RETRIES, retry_exceptions=False)(train_task)


def submit(ray, options: dict, *args):
    """train_task(*args) as a Ray task with ``options`` (run_options, in_fresh_process): its ObjectRef."""
    options = dict(options)
    return _remote(ray, options.pop("max_calls", 0)).options(**options).remote(*args)


def run_options(threads: int, gpus: int) -> dict:
    """Ray ``.options()`` for one run: its CPUs and GPUs, and the worker process it may run in.

    CPU runs reuse a worker (``max_calls=0``) among runs of the same thread count: Ray reuses a worker only for
    tasks with an equal runtime_env, and this one names ``TP2_THREADS``. GPU runs get a new process per run
    (``max_calls=1``)."""
    return {"num_cpus": threads, "num_gpus": gpus, "max_calls": 1 if gpus else 0,
            "runtime_env": {"env_vars": {"TP2_THREADS": str(threads)}}}


def in_fresh_process(options: dict) -> dict:
    """``options`` for a task that must start a new worker process: a runtime_env value no existing worker has
    (Ray never hands the task to one of them) and ``max_calls=1`` (the process exits after it)."""
    runtime_env = dict(options.get("runtime_env") or {})
    runtime_env["env_vars"] = {**runtime_env.get("env_vars", {}), "TP2_FRESH_PROCESS": uuid.uuid4().hex}
    return {**options, "max_calls": 1, "runtime_env": runtime_env}


def run_on_ray(session, cells: list[Cell], *, address: str | None = None, connection: Connection | None = None,
               on_result: Callable | None = None, task_options: dict | None = None) -> Report:
    """Train ``cells`` (already planned, longest first) as Ray tasks; store each result as it arrives.

    ``connection``: a Connection kept by the caller across calls (RayExecutor), else one opened to ``address``
    (default: the options') for this call and closed at its end. ``on_result(result)`` is called after each store
    write (the progress line). A refused node raises ExecutorError and cancels the rest. ``task_options`` are
    extra ``.options()`` (e.g. resources) for tests.
    """
    from ..training.runs import RunResult

    from ..recipe.derived import shared_run

    report = Report("ray")
    if not cells:
        return report
    runs = {cell: shared_run(cell[0]) for cell in cells}  # one training, several records (recipe.derived)
    specs = {cell: session.spec(runs[cell].trained, cell[1]) for cell in cells}  # loads the dataset, once
    records = {cell: [session.spec(v, cell[1]).to_dict() for v in runs[cell].records if v != runs[cell].trained]
               for cell in cells}
    own = connection is None
    if own:
        connection = Connection(address or address_of(session.options))
    try:
        ray = connection.open()
        expected = node_identity.node_identity() | {"dataset_fingerprint": session.dataset.fingerprint}
        dataset_ref = connection.dataset_ref(session.dataset)
        gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0

        def submit_run(cell, fresh=False):
            options = {**run_options(specs[cell].threads, gpus), **(task_options or {})}
            ref = submit(ray, in_fresh_process(options) if fresh else options, specs[cell].to_dict(), dataset_ref,
                         expected, session.checkpoint_dir, records[cell])
            pending[ref] = cell

        t0 = time.perf_counter()
        pending = {}
        for cell in cells:  # Ray starts queued tasks in submission order: longest first
            submit_run(cell)
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            cell = pending.pop(done[0])
            try:
                payload = ray.get(done[0])
            except ray.exceptions.RayError as exc:  # raised inside training, or retries exhausted
                report.errors[cell] = _error_text(exc)
                continue
            if "refused" in payload:
                for ref in pending:
                    ray.cancel(ref, force=True)
                raise ExecutorError(payload["refused"])
            if "fresh_process" in payload:  # its worker runs another thread count: once more, in a new process
                if cell in report.fresh_retries:
                    report.errors[cell] = payload["fresh_process"]
                else:
                    report.fresh_retries[cell] = payload["fresh_process"]
                    submit_run(cell, fresh=True)
                continue
            for record in payload.get("records", []):  # the shared training's other records, stored first
                report.results.append(_store(session.store, RunResult.from_dict(record)))
            result = _store(session.store, RunResult.from_dict(payload["result"]))
            report.results.append(result)
            report.nodes.add(result.environment.get("ray_node_id", "?"))
            report.processes.add((result.environment.get("ray_node_id", "?"), payload["pid"]))
            report.overhead_seconds.append(payload["task_seconds"] - result.train_seconds)
            if on_result is not None:
                on_result(result)
        report.wall_seconds = time.perf_counter() - t0
    finally:
        if own:
            connection.close()
    return report


def _store(store, result):
    """Put ``result``, counting attempts as Store.get_or_train does (store.database.counted)."""
    from ..store.database import counted

    result = counted(result, store.get(result.identity))
    store.put(result)
    return result


def _error_text(exc) -> str:
    cause = getattr(exc, "cause", None)
    if cause is not None:
        return f"{type(cause).__name__}: {cause}"
    return str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
