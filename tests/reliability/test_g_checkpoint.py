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
