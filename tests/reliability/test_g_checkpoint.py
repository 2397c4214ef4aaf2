"""Reliability G1/G2 (issue 17.2): a run SIGKILLed at a random epoch resumes from its last epoch checkpoint and
ends with the weights and history of an uninterrupted run, bit for bit (CPU, 1 thread)."""

from __future__ import annotations

import json
import random
import signal

import pytest

from rel_helpers import run_child

pytest.importorskip("tensorflow")

EPOCHS = 6
CHILD = """
import hashlib, json, os, signal, sys
from dataclasses import replace
from tp2core.training.train import train_model
from rel_helpers import TINY, WHOLE, tiny_dataset

ckpt, kill_at = (None if sys.argv[1] == "-" else sys.argv[1]), int(sys.argv[2])
seen = []

def on_epoch(epoch, logs):
    seen.append(epoch)
    if epoch == kill_at:  # before this epoch's checkpoint is written: the last one is epoch kill_at - 1
        os.kill(os.getpid(), signal.SIGKILL)

result, model = train_model(replace(TINY, epochs=%d), 0, tiny_dataset(), WHOLE, on_epoch=on_epoch,
                            checkpoint_dir=ckpt)
h = hashlib.sha256()
for w in model.get_weights():
    h.update(w.tobytes())
print(json.dumps({"hash": h.hexdigest(), "history": result.history, "seen": seen,
                  "grad_norms": result.grad_norms}))
""" % EPOCHS


def _run(*args: str) -> dict:
    proc = run_child(CHILD, *args, TP2_CHECKPOINT_EVERY_S="0")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_g1_sigkill_at_a_random_epoch_then_resume_is_exact(tmp_path):
    kill_at = random.Random(17).randint(2, EPOCHS)  # seeded: the same epoch every run of the suite
    killed = run_child(CHILD, str(tmp_path), str(kill_at), TP2_CHECKPOINT_EVERY_S="0")
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert [p.name for p in tmp_path.iterdir()] and len(list(tmp_path.glob("*.npz"))) == 1  # one per run
    resumed = _run(str(tmp_path), "0")
    whole = _run("-", "0")
    assert resumed["seen"] == list(range(kill_at, EPOCHS + 1))  # it resumed after epoch kill_at - 1
    assert whole["seen"] == list(range(1, EPOCHS + 1))
    assert resumed["hash"] == whole["hash"]
    assert resumed["history"] == whole["history"] and len(whole["history"]["loss"]) == EPOCHS
    assert resumed["grad_norms"] == whole["grad_norms"]


# `tp2 run` itself, killed right after its epoch-2 checkpoint is written (checkpoint.save wrapped in the child)
CLI_CHILD = """
import os, signal, sys
from tp2core.training import checkpoint
from tp2core.cli.main import main

kill_after = int(sys.argv[1])
if kill_after:
    save = checkpoint.save

    def save_then_die(path, identity, state):
        save(path, identity, state)
        if state.epoch == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    checkpoint.save = save_then_die
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.slow
def test_g1_tp2_run_killed_mid_run_resumes_exactly_and_says_so(tmp_path):
    """`tp2 run` trains through the session's trainer: killed after epoch 2 of 4 it leaves a checkpoint, the same
    command resumes from it ("resumed from epoch 2"), and the record — flagged resumed, train_seconds covering
    every epoch — has the accuracy and history of an uninterrupted run."""
    from tp2core.data.simulate import write_simulated_archive
    from tp2core.store.database import Store
    from tp2core.training import checkpoint

    archive = write_simulated_archive(tmp_path / "data", per_class_train=5, per_class_test=5, seed=3)
    env = {"TP2_CACHE": str(tmp_path / "cache"), "TP2_CHECKPOINT_EVERY_S": "0"}

    def tp2_run(kill_after: int, store: str):
        args = ["run", "model3-e1000", "--profile", "smoke", "--dataset", str(archive), "--store", store]
        return run_child(CLI_CHILD, str(kill_after), *args, **env)

    killed = tp2_run(2, str(tmp_path / "store"))
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    [saved] = (tmp_path / "store" / "checkpoints").glob("*.npz")
    before = checkpoint.load(saved, saved.stem)
    assert before.epoch == 2 and before.extra["train_seconds"] > 0
    resumed = tp2_run(0, str(tmp_path / "store"))
    assert resumed.returncode == 0 and resumed.stdout.strip().endswith("trained (resumed from epoch 2)"), \
        resumed.stdout + resumed.stderr[-3000:]
    assert not list((tmp_path / "store" / "checkpoints").glob("*.npz"))  # recorded: its checkpoint has served
    whole = tp2_run(0, str(tmp_path / "whole"))
    assert whole.returncode == 0 and whole.stdout.strip().endswith("trained"), whole.stderr[-3000:]
    [run] = Store(tmp_path / "store").all()
    [uninterrupted] = Store(tmp_path / "whole").all()
    assert run.resumed_from == [2] and uninterrupted.resumed_from == []
    assert run.train_seconds > before.extra["train_seconds"]  # epochs 1-2 (the killed process) plus 3-4
    assert len(run.epoch_seconds) == 4 and run.train_seconds >= sum(run.epoch_seconds)  # every epoch's fit time
    assert (run.val_accuracy, run.history) == (uninterrupted.val_accuracy, uninterrupted.history)
    assert len(run.history["loss"]) == 4
