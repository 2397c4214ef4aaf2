"""The results store across processes: concurrent writers, train-once under contention, SIGKILLed holders.

Each worker is a fresh ``python -c`` subprocess (no fork). Every wait has a deadline, so a hang fails the test.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tp2core.errors import StoreError
from tp2core.store.database import Store

REPO = Path(__file__).resolve().parents[2]
DEADLINE_S = 60  # generous: 2 shared cores; only reached when something hangs

PRELUDE = """
import os, sys, time
from pathlib import Path
from tp2core.training.runs import RunResult, RunSpec
from tp2core.errors import StoreError
from tp2core.store.database import Store
from tp2core.recipe.variants import Variant

def spec(seed, name="tiny"):
    variant = Variant(name=name, hidden_units=(4,), hidden_activations=("relu",), epochs=1)
    return RunSpec(variant=variant, profile="smoke", train_per_class=2, test_per_class=1, seed=seed,
                   dataset_name="simulated", dataset_fingerprint="f" * 64)

def wait_for(path):
    while not Path(path).exists():
        time.sleep(0.01)

root = sys.argv[1]
"""

WRITER = """
worker, count = int(sys.argv[2]), int(sys.argv[3])
store = Store(root)
wait_for(sys.argv[4])
for i in range(count):
    store.put(RunResult(spec=spec(i, f"w{worker}"), val_accuracy=i / count))
"""

TRAINER = """
counter, go, marker = sys.argv[2], sys.argv[3], sys.argv[4]
sleep_s = float(sys.argv[5])
store = Store(root)
wait_for(go)

def train():
    with open(counter, "a") as f:
        f.write(f"{os.getpid()}\\n")
    Path(marker).write_text("training")
    time.sleep(sleep_s)
    return RunResult(spec=spec(0), val_accuracy=0.42)

result, reused = store.get_or_train(spec(0), train)
print(reused, result.val_accuracy, result.to_json() == store.get(spec(0).identity()).to_json())
"""

HOLDER = """
store = Store(root)
with store.lock(spec(0).identity()):
    Path(sys.argv[2]).write_text("holding")
    time.sleep(120)
"""


def spawn(script: str, *args) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", PRELUDE + script, *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen) -> str:
    """Wait for a worker (killing it at the deadline), assert it exited 0, return its stdout."""
    try:
        out, err = proc.communicate(timeout=DEADLINE_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"worker hung past {DEADLINE_S} s; stderr:\n{err}")
    assert proc.returncode == 0, err
    return out


def wait_for_file(path: Path, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f"worker exited {proc.returncode} early: {proc.stderr.read()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"worker never wrote {path}")
        time.sleep(0.02)


def kill9(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=DEADLINE_S)
    assert proc.returncode == -signal.SIGKILL


def integrity(path: Path) -> str:
    db = sqlite3.connect(path)
    try:
        return db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()


def spec0_identity() -> str:
    """The identity of the workers' spec(0)."""
    namespace: dict = {}
    exec(PRELUDE.replace("root = sys.argv[1]", ""), namespace)
    return namespace["spec"](0).identity()


def test_eight_writers_lose_nothing(tmp_path):
    """8 processes x 200 puts at once: all 1600 records present, integrity_check ok, no 'database is locked'."""
    root, go = tmp_path / "store", tmp_path / "go"
    Store(root).close()
    writers = [spawn(WRITER, root, w, 200, go) for w in range(8)]
    time.sleep(0.5)  # let them import and open; the go file then releases all writers together
    go.write_text("")
    for proc in writers:
        finish(proc)
    assert integrity(root / "runs.sqlite") == "ok"
    with Store(root) as store:
        runs = store.all()
    assert len(runs) == 1600
    assert {(r.spec.variant.name, r.spec.seed) for r in runs} == {(f"w{w}", i) for w in range(8) for i in range(200)}


def test_writer_killed_mid_loop(tmp_path):
    """A writer SIGKILLed while putting: the store opens, passes integrity_check, and every committed row reads."""
    root, go = tmp_path / "store", tmp_path / "go"
    Store(root).close()
    go.write_text("")
    proc = spawn(WRITER, root, 0, 100_000, go)
    with Store(root) as store:
        deadline = time.monotonic() + DEADLINE_S
        while len(store.all()) < 50 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        kill9(proc)
    assert integrity(root / "runs.sqlite") == "ok"
    with Store(root) as store:
        runs = store.all()
    assert len(runs) >= 50
    assert sorted(r.spec.seed for r in runs) == list(range(len(runs)))  # committed in order, none torn


def test_two_processes_train_once(tmp_path):
    """Two processes get_or_train one identity at once: trained exactly once, both see the same result."""
    root, go, counter = tmp_path / "store", tmp_path / "go", tmp_path / "count"
    Store(root).close()
    procs = [spawn(TRAINER, root, counter, go, tmp_path / f"marker{i}", 1.0) for i in range(2)]
    time.sleep(0.5)
    go.write_text("")
    outs = sorted(finish(p).split() for p in procs)
    assert len(counter.read_text().splitlines()) == 1
    assert outs == [["False", "0.42", "True"], ["True", "0.42", "True"]]


def test_killed_lock_holder_does_not_block(tmp_path):
    """A process SIGKILLed while holding a run's lock: the next lock() gets it at once (kernel released it)."""
    root, marker = tmp_path / "store", tmp_path / "holding"
    proc = spawn(HOLDER, root, marker)
    wait_for_file(marker, proc)
    with Store(root) as store:
        with pytest.raises(StoreError, match="held the run lock"):  # negative control: it really was held
            with store.lock(spec0_identity(), timeout=0.2):
                pass
        kill9(proc)
        with store.lock(spec0_identity(), timeout=10):  # a hang would raise StoreError after 10 s
            pass


def test_killed_inside_train_fn_is_retrained(tmp_path):
    """SIGKILL inside train_fn: no record, a stale in-flight row; the next get_or_train trains it once, no hang."""
    root, go, counter, marker = tmp_path / "store", tmp_path / "go", tmp_path / "count", tmp_path / "m"
    go.write_text("")
    victim = spawn(TRAINER, root, counter, go, marker, 120)
    wait_for_file(marker, victim)
    with Store(root) as store:
        assert [row["stale"] for row in store.in_flight()] == [False]
        kill9(victim)
        assert store.get(spec0_identity()) is None
        (row,) = store.in_flight()
        assert row["stale"] is True and row["pid"] == victim.pid
    out = finish(spawn(TRAINER, root, counter, go, tmp_path / "m2", 0))
    assert out.split() == ["False", "0.42", "True"]
    assert len(counter.read_text().splitlines()) == 2  # the killed attempt and the retrain
    with Store(root) as store:
        assert store.get(spec0_identity()).val_accuracy == 0.42
        assert store.in_flight() == []
