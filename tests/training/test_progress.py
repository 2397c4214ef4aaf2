"""Live progress (issue 17.1): the training side's rate limit, the controller's lines and rate limits, the store's
progress column (and its migration), and `pytest benchmarks` showing a run's epochs before its finished line."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from tp2core.store.database import Store
from tp2core.training import progress

ROOT = Path(__file__).resolve().parents[2]


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class TestReporter:
    def test_writes_at_most_every_s_and_always_the_last_epoch(self):
        clock, written = Clock(), []
        report = progress.Reporter(5, written.append, every_s=10, clock=clock)
        for epoch, t in zip(range(1, 6), (2, 4, 13, 15, 16)):
            clock.now = t
            report(epoch, {"val_accuracy": 0.1 * epoch, "images_per_second": 1000.0})
        assert [p["epoch"] for p in written] == [1, 3, 5]
        assert written[0] == {"epoch": 1, "epochs": 5, "val_accuracy": 0.1, "images_per_second": 1000.0,
                              "eta_s": 8.0}


class TestLines:
    ROW = {"identity": "abc", "variant": "model4", "seed": 2,
           "progress": {"epoch": 3, "epochs": 40, "val_accuracy": 0.1234, "images_per_second": 1234.5, "eta_s": 312}}

    def test_line_names_variant_seed_epoch_accuracy_speed_eta(self):
        assert progress.line(self.ROW) == ("tp2 … model4         seed 2   epoch 3/40  val acc 12.34%  1,234 img/s  "
                                           "ETA 5m12s")

    def test_rate_limits(self):
        printed: dict = {}
        changed = {**self.ROW, "progress": {**self.ROW["progress"], "epoch": 4}}
        assert len(progress.lines([self.ROW], printed, 0.0, every_s=10, refresh_s=60)) == 1
        assert progress.lines([changed], printed, 5.0, every_s=10, refresh_s=60) == []  # changed, too soon
        assert len(progress.lines([changed], printed, 10.0, every_s=10, refresh_s=60)) == 1
        assert progress.lines([changed], printed, 69.0, every_s=10, refresh_s=60) == []  # unchanged
        assert len(progress.lines([changed], printed, 70.0, every_s=10, refresh_s=60)) == 1  # refreshed

    def test_rows_without_progress_print_nothing(self):
        assert progress.lines([{**self.ROW, "progress": None}], {}, 0.0) == []


class TestStoreProgress:
    def test_round_trip_through_the_in_flight_row(self, tmp_path):
        store = Store(tmp_path)
        seen = []

        def train_fn():
            store.report_progress("i" * 20, {"epoch": 1, "epochs": 2})
            seen.extend(store.progress())
            raise KeyboardInterrupt  # leave without a result: the row is removed

        with pytest.raises(KeyboardInterrupt):
            store.report_progress("x", {})  # no such row: a no-op
            _train_locked(store, "i" * 20, train_fn)
        assert [(r["variant"], r["seed"], r["progress"]) for r in seen] == [("v", 0, {"epoch": 1, "epochs": 2})]
        assert store.progress() == []

    def test_a_store_from_before_the_column_opens_and_gains_it(self, tmp_path):
        from tp2core.store import database

        db = sqlite3.connect(tmp_path / database.DB_NAME)
        db.executescript(database._SCHEMA + f"PRAGMA user_version = {database.FORMAT_VERSION};")
        db.close()
        store = Store(tmp_path)
        assert store.progress() == []
        columns = {r[1] for r in sqlite3.connect(tmp_path / database.DB_NAME).execute("PRAGMA table_info(in_flight)")}
        assert "progress" in columns


def _train_locked(store, identity, train_fn):
    """The store's in-flight bookkeeping around train_fn, for a fake spec."""
    import os
    import time

    with store._write() as db:
        db.execute("INSERT INTO in_flight (identity, variant, seed, pid, host, started, heartbeat) "
                   "VALUES (?, 'v', 0, ?, 'h', ?, ?)", (identity, os.getpid(), time.time(), time.time()))
    try:
        train_fn()
    finally:
        with store._write() as db:
            db.execute("DELETE FROM in_flight WHERE identity = ?", (identity,))


@pytest.mark.slow
def test_pytest_benchmarks_shows_epochs_before_the_finished_line(pytester: pytest.Pytester, tmp_path_factory,
                                                                monkeypatch):
    """-n 0 and -n 2, smoke: a progress line with 'epoch k/N' for a run appears before its 'tp2 run' line; none with -q.
    The subprocess's conftest holds each progress report for 1 s, so the 0.2 s poll cannot miss it."""
    from tp2core.data.simulate import write_simulated_archive

    archive = write_simulated_archive(tmp_path_factory.mktemp("data"), per_class_train=5, per_class_test=5, seed=3)
    shutil.copytree(ROOT / "benchmarks", pytester.path / "benchmarks")
    (pytester.path / "conftest.py").write_text(
        'import time\nfrom tp2core.store.database import Store\n'
        'pytest_plugins = ["tp2core.plugin"]\n_report = Store.report_progress\n'
        'def _slow(self, identity, p):\n    _report(self, identity, p)\n    time.sleep(1.0)\n'
        'Store.report_progress = _slow\n')
    monkeypatch.setenv("TP2_PROGRESS_S", "0")

    def run(*args, n="0"):
        return pytester.runpytest_subprocess(
            "benchmarks", "-p", "no:cacheprovider", "-n", n, "--tp2-profile", "smoke", "--tp2-dataset", str(archive),
            "--tp2-cache", str(tmp_path_factory.mktemp("cache")), "-k", "test_train and model0-seed0", *args,
            timeout=600)

    for n in ("0", "2"):  # the same store path under -n 0 and xdist (the controller collects nothing there)
        out = run("--tp2-store", str(pytester.path / f"s{n}"), n=n).stdout.str()
        first_progress = re.search(r"tp2 … model0\s+seed 0\s+epoch \d+/\d+", out)
        finished = re.search(r"tp2 run model0\s+seed 0", out)
        assert first_progress and finished and first_progress.start() < finished.start(), (n, out[-3000:])
    quiet = run("-q", "--tp2-store", str(pytester.path / "sq")).stdout.str()
    assert "epoch " not in quiet, quiet[-3000:]
