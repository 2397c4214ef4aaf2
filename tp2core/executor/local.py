"""``local``: runs train in the process that needs them (a claim test's process, or ``tp2 run``'s)."""

from __future__ import annotations

import time

from .base import Executor, Report


class LocalExecutor(Executor):
    name = "local"
    controller_trains = False  # each pytest process (controller or xdist worker) trains the cells it runs

    def check(self, options, *, workers: int | None = None) -> None:
        return None  # nothing to reach: this process trains

    def train(self, session, cells, *, on_result=None, on_epoch=None) -> Report:
        """Each cell through ``session.run`` (the store's lock, checkpoints, exact resume), one after another."""
        report = Report(self.name)
        started = time.perf_counter()
        for variant, seed in cells:
            result, reused = session.run(variant, seed, on_epoch=on_epoch)
            (report.reused if reused else report.results).append(result)
            if on_result is not None and not reused:
                on_result(result)
        report.wall_seconds = time.perf_counter() - started
        return report
