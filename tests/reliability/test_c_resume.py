"""Reliability C1, C3, C8, C10: a killed run without a checkpoint is atomic and retrained from scratch.

Runs checkpoint only after TP2_CHECKPOINT_EVERY_S (300 s) of training and only with a checkpoint_dir
(training/checkpoint.py; resume tested in test_g_checkpoint.py): these short runs have none.

C2 and C4–C7 (Keras BackupAndRestore files) do not apply: there are no backup files. What is guaranteed instead,
and tested here: a run killed mid-training leaves no record, shows up as a stale in-flight run, and the next
session trains it once, from epoch 1, to the same numbers as an uninterrupted run.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import replace

import numpy as np
import pytest

from tp2core.training.backend import configure_threads, training_threads
from tp2core.store.database import Store
from tp2core.training.train import make_spec, train

from rel_helpers import TINY, WHOLE, run_child, tiny_dataset

pytest.importorskip("tensorflow")
configure_threads(training_threads())

KILLED_AT_EPOCH_1 = """
import os, signal, sys
from tp2core.store.database import Store
from tp2core.training.train import make_spec, train
from rel_helpers import TINY, WHOLE, tiny_dataset

def die_after_epoch(epoch, logs):
    if epoch == 1:
        os.kill(os.getpid(), signal.SIGKILL)

ds = tiny_dataset()
store = Store(sys.argv[1])
store.get_or_train(make_spec(TINY, 0, ds, WHOLE), lambda: train(TINY, 0, ds, WHOLE, on_epoch=die_after_epoch))
"""


def test_c1_c3_killed_run_leaves_no_record_and_is_retrained_from_scratch(tmp_path):
    """SIGKILL after epoch 1 of 2: no record, a stale in-flight row; the rerun trains all epochs once and
    matches an uninterrupted run exactly (nothing is resumed, so nothing can differ)."""
    proc = run_child(KILLED_AT_EPOCH_1, str(tmp_path))
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    ds = tiny_dataset()
    spec = make_spec(TINY, 0, ds, WHOLE)
    with Store(tmp_path) as store:
        assert store.get(spec.identity()) is None and store.all() == []
        (row,) = store.in_flight()
        assert row["identity"] == spec.identity() and row["stale"] and "is gone" in row["why"]
        epochs_seen = []
        result, reused = store.get_or_train(
            spec, lambda: train(TINY, 0, ds, WHOLE, on_epoch=lambda e, logs: epochs_seen.append(e))
        )
        assert not reused and result.ok and result.attempts == 1
        assert epochs_seen == [1, 2] and len(result.history["loss"]) == TINY.epochs
        assert store.in_flight() == [] and len(store.all()) == 1
    uninterrupted = train(TINY, 0, ds, WHOLE)
    assert result.history == uninterrupted.history


def test_c8_nan_run_recorded_failed_and_retried_at_most_max_attempts(tmp_path):
    """A NaN run is stored as failed (no accuracy), retried once by the next request, then reported as is."""
    ds = tiny_dataset()
    x = ds.x_train.astype(np.float32)
    x[0, 0, 0, 0] = np.nan
    bad = replace(ds, x_train=x)
    variant = replace(TINY, epochs=1)
    spec = make_spec(variant, 0, bad, WHOLE)
    calls = []

    def train_bad():
        calls.append(1)
        return train(variant, 0, bad, WHOLE)

    with Store(tmp_path) as store:
        first, _ = store.get_or_train(spec, train_bad, max_attempts=2)
        assert first.status == "failed" and first.val_accuracy is None and "batch" in first.failure
        second, reused = store.get_or_train(spec, train_bad, max_attempts=2)
        assert not reused and second.attempts == 2
        third, reused = store.get_or_train(spec, train_bad, max_attempts=2)
        assert reused and third.status == "failed" and third.attempts == 2
    assert len(calls) == 2


def test_c10_in_flight_without_heartbeat_is_stale(tmp_path):
    """An in-flight run whose lock is held but whose heartbeat stopped is reported stale after the grace period."""
    identity = make_spec(TINY, 0, tiny_dataset(), WHOLE).identity()
    with Store(tmp_path) as store, store.lock(identity):
        with store._write() as db:
            db.execute("INSERT INTO in_flight (identity, variant, seed, pid, host, started, heartbeat) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (identity, TINY.name, 0, os.getpid(), store_host(), time.time() - 900, time.time() - 900))
        (row,) = store.in_flight(stale_after_s=600)
        assert row["stale"] and row["why"].startswith("no heartbeat for 9")
        (row,) = store.in_flight(stale_after_s=3600)
        assert not row["stale"] and row["why"] is None


def store_host() -> str:
    from tp2core.store import database as store

    return store._HOST
