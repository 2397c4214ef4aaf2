"""Reliability B1–B9, B13: the results store under concurrent writers, kills, corruption and contention."""

from __future__ import annotations

import ast
import json
import os
import re
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from tp2core.output import gate

from tp2core.store import locks

from tp2core.errors import StoreError, Tp2Error
from tp2core import fileio
from tp2core.fileio import atomic_write_text
from tp2core.store.database import Store

from rel_helpers import REPO, db_rows, integrity, start_child
from runs_factory import make_run, meta

WRITER = """
import sys
from tp2core.store.database import Store
from runs_factory import make_run
root, worker, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with Store(root) as store:
    for i in range(count):
        store.put(make_run("model0", worker * 100_000 + i))
        print(i, flush=True)
"""


def test_b1_eight_writers_200_records_each(tmp_path):
    """8 processes x 200 puts at once: all 1,600 rows present, integrity ok, no 'database is locked'."""
    Store(tmp_path).close()  # created once; the writers race on inserts, not on creation (tested in test_store)
    procs = [start_child(WRITER, str(tmp_path), str(w), "200") for w in range(8)]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-2000:]
        assert "locked" not in err
    rows = db_rows(tmp_path, "SELECT seed FROM runs")
    assert sorted(r[0] for r in rows) == sorted(w * 100_000 + i for w in range(8) for i in range(200))
    assert integrity(tmp_path) == "ok"


def test_b2_writer_sigkilled_mid_write_keeps_committed_rows(tmp_path):
    """A writer killed mid-loop: the store opens, every row it reported committed is there and readable."""
    Store(tmp_path).close()
    proc = start_child(WRITER, str(tmp_path), "0", "100000")
    seen = []
    for line in proc.stdout:
        seen.append(int(line))
        if len(seen) >= 50:
            break
    os.kill(proc.pid, signal.SIGKILL)
    rest, _ = proc.communicate(timeout=60)
    seen += [int(x) for x in rest.split()]
    assert proc.returncode == -signal.SIGKILL
    assert integrity(tmp_path) == "ok"
    with Store(tmp_path) as store:
        stored = sorted(r.spec.seed for r in store.all())
    # every reported commit is stored; at most the one in flight at the kill is lost; no gaps, no torn rows
    assert stored == list(range(len(stored))) and len(seen) <= len(stored) <= len(seen) + 1


def _filled_store(root: Path, n: int = 40) -> list[str]:
    with Store(root) as store:
        runs = [make_run("model0", seed) for seed in range(n)]
        for run in runs:
            store.put(run)
    return [r.identity for r in runs]


def test_b3_corrupt_page_in_the_middle_is_a_loud_error_naming_the_file(tmp_path):
    """Garbage over a middle page of runs.sqlite: opening the store fails, naming the file and the fix."""
    _filled_store(tmp_path)
    path = tmp_path / "runs.sqlite"
    assert not (tmp_path / "runs.sqlite-wal").exists() or (tmp_path / "runs.sqlite-wal").stat().st_size == 0
    pages = path.stat().st_size // 4096
    assert pages >= 6
    with open(path, "r+b") as f:
        f.seek((pages // 2) * 4096)
        f.write(b"\xff" * 4096)
    with pytest.raises(StoreError) as info:
        Store(tmp_path).all()
    assert str(path) in str(info.value) and "move it aside" in str(info.value)


def test_b3_corrupt_record_names_the_run_never_skipped(tmp_path):
    """A record whose JSON is torn makes get() and all() fail naming the run, not silently drop it."""
    identities = _filled_store(tmp_path, 3)
    db = sqlite3.connect(tmp_path / "runs.sqlite")
    db.execute("UPDATE runs SET json = '{\"spec\": ' WHERE identity = ?", (identities[1],))
    db.commit()
    db.close()
    with Store(tmp_path) as store:
        for read in (lambda: store.get(identities[1]), store.all):
            with pytest.raises(StoreError, match=rf"record of run {identities[1]} in .*runs\.sqlite cannot be read"):
                read()
        assert store.get(identities[0]) is not None


def test_b4_error_before_replace_keeps_old_file(tmp_path, monkeypatch):
    """A failure after writing the temp file leaves the old file intact and no temp file behind."""
    target = tmp_path / "results.json"
    target.write_text("old")

    def boom(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fileio.os, "replace", boom)
    with pytest.raises(OSError, match="No space"):
        atomic_write_text(target, "new " * 1000)
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]


KILL_BEFORE_REPLACE = """
import os, signal, sys
from tp2core import fileio
fileio.os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)
fileio.atomic_write_text(sys.argv[1], "new " * 100_000)
"""


def test_b4_sigkill_between_write_and_replace(tmp_path):
    """Killed between writing the temp file and the rename: the old file is whole; the temp is in the same dir."""
    target = tmp_path / "tables.md"
    target.write_text("old")
    proc = start_child(KILL_BEFORE_REPLACE, str(target))
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert target.read_text() == "old"
    leftovers = [p for p in tmp_path.iterdir() if p != target]
    assert len(leftovers) == 1 and leftovers[0].name.startswith(".tables.md.")  # same dir: rename is atomic


def test_b5_store_is_one_sqlite_file_not_a_shared_json(tmp_path):
    """Records live in one SQLite database; no tp2 module rewrites a shared file in place."""
    with Store(tmp_path) as a, Store(tmp_path) as b:
        a.put(make_run("model0", 0))
        b.put(make_run("model0", 1))
    assert (tmp_path / "runs.sqlite").read_bytes()[:16] == b"SQLite format 3\x00"
    assert not list(tmp_path.rglob("*.json"))
    for module in sorted((REPO / "tp2core").rglob("*.py")):
        text = module.read_text()
        assert not re.search(r"""open\([^)]*["'](r\+|w\+|a\+|rb\+|r\+b)["']""", text), module.name
        for call in ast.walk(ast.parse(text)):  # json.dump into a file handle: a torn file on a crash (B4)
            if isinstance(call, ast.Call) and ast.unparse(call.func) == "json.dump" and len(call.args) > 1:
                assert ast.unparse(call.args[1]) in ("sys.stdout", "sys.stderr"), \
                    f"{module.name}: write JSON files with atomic_write_text(path, json.dumps(...))"


def test_b6_writes_use_begin_immediate(tmp_path):
    """Every statement that writes runs inside BEGIN IMMEDIATE, so no read snapshot is ever upgraded."""
    with Store(tmp_path) as store:
        statements: list[str] = []
        store._db.set_trace_callback(statements.append)
        run = make_run("model0", 0)
        store.get_or_train(run.spec, lambda: run)
        store.delete(run.identity)
    writes = [i for i, s in enumerate(statements) if re.match(r"\s*(INSERT|UPDATE|DELETE)", s)]
    assert len(writes) >= 3
    for i in writes:
        begins = [s for s in statements[:i] if s.startswith("BEGIN")]
        assert begins[-1] == "BEGIN IMMEDIATE"


def test_b6_deferred_read_then_write_would_fail_but_store_writes_succeed(tmp_path):
    """Negative control: a deferred read-then-write after another commit gets SQLITE_BUSY; Store.put does not."""
    with Store(tmp_path) as a, Store(tmp_path) as b:
        a.put(make_run("model0", 0))
        raw = sqlite3.connect(tmp_path / "runs.sqlite", timeout=2, isolation_level=None)
        raw.execute("BEGIN")  # deferred: the read below pins a snapshot
        raw.execute("SELECT count(*) FROM runs").fetchone()
        b.put(make_run("model0", 1))  # another writer commits; raw's snapshot is now stale
        with pytest.raises(sqlite3.OperationalError, match="locked|busy"):
            raw.execute("DELETE FROM runs WHERE seed = 0")
        raw.execute("ROLLBACK")
        raw.close()
        for seed in range(2, 6):  # interleaved writers with reads between: never busy
            (a if seed % 2 else b).get(make_run("model0", 0).identity)
            (b if seed % 2 else a).put(make_run("model0", seed))
        assert len(a.all()) == 6


def test_b7_store_on_network_filesystem_refused(tmp_path, monkeypatch):
    """A store on NFS is refused at startup with the fix; TP2_STORE_ALLOW_NETWORK=1 overrides."""
    monkeypatch.setattr(locks, "filesystem_type", lambda path, mounts=None: "nfs4")
    monkeypatch.delenv("TP2_STORE_ALLOW_NETWORK", raising=False)
    with pytest.raises(StoreError, match=r"network filesystem \(nfs4\).*TP2_STORE=DIR.*TP2_STORE_ALLOW_NETWORK=1"):
        Store(tmp_path / "s")
    monkeypatch.setenv("TP2_STORE_ALLOW_NETWORK", "1")
    Store(tmp_path / "s").close()


def test_b7_mount_table_lookup_finds_the_nfs_mount():
    """The deepest mount containing the path decides its filesystem type."""
    mounts = "/dev/sda1 / ext4 rw 0 0\nserver:/export /mnt/shared nfs4 rw 0 0\n"
    assert locks.filesystem_type("/mnt/shared/tp2/store", mounts) == "nfs4"
    assert locks.filesystem_type("/home/me/store", mounts) == "ext4"


HOLDER = """
import sys, time
from tp2core.store.database import Store
store = Store(sys.argv[1])
with store.lock(sys.argv[2]):
    print("held", flush=True)
    time.sleep(600)
"""


def test_b8_stale_lock_after_sigkill(tmp_path):
    """A lock whose holder was SIGKILLed: the lock file stays, yet the next acquisition succeeds at once."""
    identity = make_run("model0", 0).identity
    proc = start_child(HOLDER, str(tmp_path), identity)
    assert proc.stdout.readline().strip() == "held"
    with Store(tmp_path) as store:
        with pytest.raises(StoreError, match=rf"run lock .*{identity}\.lock for more than 0\.3 s"):
            with store.lock(identity, timeout=0.3):  # a live holder: a bounded wait with a message, no hang
                pass
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
        assert (tmp_path / "locks" / f"{identity}.lock").exists()
        started = time.monotonic()
        with store.lock(identity, timeout=30):
            waited = time.monotonic() - started
    assert waited < 30  # acquired, not timed out (StoreError would have been raised)


def test_b9_rerun_of_finished_run_is_reused_not_duplicated(tmp_path):
    """get_or_train of a stored identity reuses it; a second put replaces, never adds a row."""
    run = make_run("model0", 0)
    calls = []

    def train():
        calls.append(1)
        return run

    with Store(tmp_path) as store:
        assert store.get_or_train(run.spec, train) == (run, False)
        again, reused = store.get_or_train(run.spec, train)
        store.put(run)
        assert reused and again.identity == run.identity and calls == [1]
        assert [r.identity for r in store.all()] == [run.identity]
    assert db_rows(tmp_path, "SELECT count(*) FROM runs") == [(1,)]


def test_b13_truncated_reference_is_a_loud_error(tmp_path):
    """A truncated newest reference fails loudly naming the file, even with an older good one beside it."""
    runs = [make_run("model0", 0)]
    good = gate.build_reference(meta(), runs, [])
    (tmp_path / "simulated-smoke.old.json").write_text(json.dumps(good))
    newest = tmp_path / "simulated-smoke.json"
    newest.write_text(json.dumps(good)[:40])
    with pytest.raises(Tp2Error, match=rf"gate reference {re.escape(str(newest))} is not valid JSON"):
        gate.load_reference(newest)
