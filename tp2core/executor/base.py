"""What every executor provides (``Executor``, with the options it declares: ``ExecutorOption``) and what training
a batch of planned runs reports (``Report``; a session's stages add up with ``Report.add``)."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

Cell = tuple[str, int]  # (variant name, seed)
OnResult = Callable[[object], None]  # called with each RunResult once it is in the store


@dataclass(frozen=True)
class ExecutorOption:
    """One option an executor declares: ``--tp2-<name>`` in pytest, ``--<name>`` in ``tp2 run``, and
    ``Options.executor_options[key]`` where the executor reads it (None when not given)."""

    name: str  # e.g. "ray-address"
    help: str  # the help text, naming its default
    metavar: str = "VALUE"

    @property
    def key(self) -> str:
        """The key in Options.executor_options (and argparse's dest): "ray-address" → "ray_address"."""
        return self.name.replace("-", "_")


@dataclass
class Report:
    """What training planned cells did: stored results, cells whose training raised, timing (seconds)."""

    executor: str
    results: list = field(default_factory=list)  # RunResult, in arrival order (trained now, not reused)
    reused: list = field(default_factory=list)  # RunResult already in the store
    errors: dict[Cell, str] = field(default_factory=dict)  # cell → the exception its training raised
    wall_seconds: float = 0.0  # first submission → last result stored
    overhead_seconds: list[float] = field(default_factory=list)  # per run: time outside training (task start …)
    nodes: set[str] = field(default_factory=set)  # where runs trained (hostnames or node ids)
    processes: set[tuple[str, int]] = field(default_factory=set)  # (node, pid) of the worker processes used
    fresh_retries: dict[Cell, str] = field(default_factory=dict)  # cell → why it was resubmitted to a fresh process

    def add(self, other: Report) -> Report:
        """Fold another stage's report into this one (a session's stages on one executor): its runs, errors,
        retries, nodes and processes join these; wall and overhead seconds add up. Returns self."""
        self.results += other.results
        self.reused += other.reused
        self.errors.update(other.errors)
        self.wall_seconds += other.wall_seconds
        self.overhead_seconds += other.overhead_seconds
        self.nodes |= other.nodes
        self.processes |= other.processes
        self.fresh_retries.update(other.fresh_retries)
        return self

    def summary(self) -> str:
        median = statistics.median(self.overhead_seconds) if self.overhead_seconds else 0.0
        trained = sum(r.train_seconds for r in self.results)
        workers = f" ({len(self.processes)} worker process(es))" if self.processes else ""
        return (f"tp2 {self.executor}: {len(self.results)} runs on {len(self.nodes) or 1} node(s){workers} in "
                f"{self.wall_seconds:.1f} s wall, {trained:.1f} s training; median per-run task overhead "
                f"{median:.2f} s" + (f"; {len(self.errors)} task(s) raised" if self.errors else ""))


class Executor(Protocol):
    """An executor. ``controller_trains``: True when the controlling process trains every planned run before the
    claim tests (they then judge from the store); False when the processes running the tests train their cells.
    ``options``: the executor's own command-line options (``ExecutorOption``), which the plugin offers as
    ``--tp2-<name>`` and ``tp2 run`` as ``--<name>``, and ``Options.executor_options`` carries by key.
    One instance serves all of a session's ``train`` calls (stages); ``close()`` once at the end releases what
    they shared (a Ray connection and the uploaded dataset)."""

    name: str
    controller_trains: bool
    options: tuple[ExecutorOption, ...] = ()

    def check(self, options, *, workers: int | None = None) -> None:
        """Raise a Tp2Error naming the option and the fix when this executor cannot run with ``options`` (and
        ``workers`` xdist processes); import nothing heavy, start nothing."""

    def train(self, session, cells: list[Cell], *, on_result: OnResult | None = None,
              on_epoch: Callable | None = None) -> Report:
        """Train ``cells`` (planned: missing from the store, longest first) for ``session``; store each result as
        it arrives and call ``on_result(result)``. ``on_epoch(epoch, logs)``: per-epoch progress where it can be
        delivered (in-process training)."""

    def close(self) -> None:
        """Release what this executor's ``train`` calls kept between stages; a no-op where nothing was kept."""
