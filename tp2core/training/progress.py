"""Live progress of runs in training: what a training process writes, and the lines the controller prints.

A training process reports after each epoch through ``Reporter`` (at most every ``REPORT_EVERY_S``) into its
in-flight row of the store (``Store.report_progress``): the one place every process — ``-n 0``, xdist workers,
another executor — can write and the controlling pytest process can read. The controller polls
(``Store.progress``) and prints ``lines(...)``: a line per run when it changed, at most every ``PRINT_EVERY_S``
and at least every ``REFRESH_S`` per run. Plain functions of plain values: testable without pytest or Keras.
"""

from __future__ import annotations

import os
import time
from typing import Callable

REPORT_EVERY_S = 10.0  # a training process writes its progress at most this often (and after its last epoch)
PRINT_EVERY_S = 10.0  # the controller prints a run's line at most this often …
REFRESH_S = 60.0  # … and at least this often while it trains, changed or not
POLL_ENV = "TP2_PROGRESS_S"  # overrides REPORT_EVERY_S and PRINT_EVERY_S (tests: 0)


def every_s(default: float) -> float:
    raw = os.environ.get(POLL_ENV, "").strip()
    try:
        return max(0.0, float(raw)) if raw else default
    except ValueError:
        return default


class Reporter:
    """An ``on_epoch(epoch, logs)`` callback: ``write(progress_dict)`` at most every ``every_s`` seconds (and
    always after the last epoch). ``logs`` may carry ``images_per_second`` (train.py's monitor adds it)."""

    def __init__(self, epochs: int, write: Callable[[dict], None], *, every_s: float = REPORT_EVERY_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.epochs, self.write, self.every_s, self.clock = epochs, write, every_s, clock
        self.started = clock()
        self.last: float | None = None

    def __call__(self, epoch: int, logs: dict) -> None:
        now = self.clock()
        if self.last is not None and now - self.last < self.every_s and epoch < self.epochs:
            return
        self.last = now
        per_epoch = (now - self.started) / epoch
        self.write({"epoch": epoch, "epochs": self.epochs, "val_accuracy": logs.get("val_accuracy"),
                    "images_per_second": logs.get("images_per_second"),
                    "eta_s": round(per_epoch * (self.epochs - epoch), 1)})


def line(row: dict) -> str:
    """'tp2 … model4 seed 2  epoch 3/40  val acc 12.34%  1,234 img/s  ETA 5m12s' from a Store.progress row."""
    p = row["progress"]
    acc = p.get("val_accuracy")
    ips = p.get("images_per_second")
    return (f"tp2 … {row['variant']:<14} seed {row['seed']:<3} epoch {p['epoch']}/{p['epochs']}  val acc "
            f"{'—' if acc is None else f'{100 * acc:.2f}%'}  {'—' if not ips else f'{ips:,.0f}'} img/s  "
            f"ETA {_duration(p.get('eta_s'))}")


def lines(rows: list[dict], printed: dict[str, tuple[float, dict]], now: float, *,
          every_s: float = PRINT_EVERY_S, refresh_s: float = REFRESH_S) -> list[str]:
    """Lines to print now for the in-flight ``rows`` (each with identity, variant, seed, progress). ``printed``
    (identity → (when, progress) last printed) is updated; a run is printed when its progress changed and
    ``every_s`` has passed, or ``refresh_s`` has passed whatever it says."""
    out = []
    for row in rows:
        if not row.get("progress"):
            continue
        when, last = printed.get(row["identity"], (None, None))
        age = None if when is None else now - when
        if age is None or (row["progress"] != last and age >= every_s) or age >= refresh_s:
            printed[row["identity"]] = (now, row["progress"])
            out.append(line(row))
    return out


def _duration(seconds) -> str:
    if seconds is None:
        return "?"
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s" if m else f"{s}s"


class Poller:
    """The controller's side: a daemon thread reading ``Store.progress()`` and handing each line of ``lines`` to
    ``write`` (the terminal reporter's). ``open_store`` opens its own Store inside the thread (sqlite connections
    stay in a thread); taking it as an argument keeps training/ from importing store/ (which imports training/)."""

    def __init__(self, open_store: Callable[[], object], write: Callable[[str], None]) -> None:
        import threading

        self.open_store, self.write = open_store, write
        self.every_s = every_s(PRINT_EVERY_S)
        self.printed: dict[str, tuple[float, dict]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tp2-progress", daemon=True)

    def start(self) -> "Poller":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def poll_once(self, store) -> None:
        for text in lines(store.progress(), self.printed, time.monotonic(), every_s=self.every_s):
            self.write(text)

    def _loop(self) -> None:
        from ..errors import StoreError

        store = None
        while not self._stop.wait(max(0.2, min(self.every_s, REFRESH_S))):
            try:
                store = store or self.open_store()
                self.poll_once(store)
            except StoreError:
                pass  # progress is a courtesy: a busy or missing store never disturbs the session
        if store is not None:
            store.close()
