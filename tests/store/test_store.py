"""The results store in one process: records, opening errors, train-once logic, in-flight rows, atomic writes.

Concurrency and SIGKILL behaviour across processes is in test_store_concurrency.py.
"""

import os
import sqlite3
import subprocess
import sys
import time

import pytest
from filelock import FileLock

from tp2core.store import locks

from tp2core.store import database as store
from tp2core.errors import StoreError
from tp2core.training.runs import RunResult, RunSpec
from tp2core.fileio import atomic_write_text
from tp2core.store.database import Store, default_store_root
from tp2core.recipe.variants import Variant


def make_spec(seed: int = 0, name: str = "tiny") -> RunSpec:
    variant = Variant(name=name, hidden_units=(4,), hidden_activations=("relu",), epochs=1)
    return RunSpec(variant=variant, profile="smoke", train_per_class=2, test_per_class=1, seed=seed,
                   dataset_name="simulated", dataset_fingerprint="f" * 64)


def make_result(seed: int = 0, name: str = "tiny", accuracy: float = 0.5, **kw) -> RunResult:
    return RunResult(spec=make_spec(seed, name), val_accuracy=accuracy, created="2026-01-01T00:00:00+00:00", **kw)


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def add_in_flight(path, identity, pid, host, heartbeat):
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO in_flight (identity, variant, seed, pid, host, started, heartbeat) "
                   "VALUES (?, 'tiny', 0, ?, ?, ?, ?)", (identity, pid, host, heartbeat, heartbeat))
    db.close()


@pytest.fixture
def st(tmp_path):
    with Store(tmp_path / "store") as s:
        yield s


class TestRecords:
    def test_round_trip(self, st):
        """put then get returns an equal RunResult, in a fresh Store too."""
        result = make_result(accuracy=0.25, history={"val_accuracy": [0.1, 0.25]})
        st.put(result)
        assert st.get(result.identity) == result
        with Store(st.root) as again:
            assert again.get(result.identity) == result

    def test_get_unknown_is_none(self, st):
        """An identity never stored reads as None."""
        assert st.get(make_spec().identity()) is None

    def test_upsert_is_idempotent(self, st):
        """Two puts of one identity leave one row holding the second result."""
        st.put(make_result(accuracy=0.1))
        st.put(make_result(accuracy=0.2))
        with sqlite3.connect(st.path) as db:
            assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
        db.close()
        assert [r.val_accuracy for r in st.all()] == [0.2]

    def test_all_sorted_by_variant_then_seed(self, st):
        """all() orders by variant name, then seed, whatever the insertion order."""
        for name, seed in [("b", 1), ("a", 2), ("b", 0), ("a", 10)]:
            st.put(make_result(seed, name))
        assert [(r.spec.variant.name, r.spec.seed) for r in st.all()] == [("a", 2), ("a", 10), ("b", 0), ("b", 1)]

    def test_delete(self, st):
        """delete removes the record and says whether there was one."""
        st.put(make_result())
        identity = make_spec().identity()
        assert st.delete(identity) is True
        assert st.get(identity) is None
        assert st.delete(identity) is False

    def test_bad_status_rejected(self, st):
        """A status other than ok/failed is refused before anything is written."""
        with pytest.raises(ValueError, match=r"'status' must be 'ok' or 'failed' \(got 'done'\)\."):
            st.put(make_result(status="done"))
        assert st.all() == []

    def test_wal_mode(self, st):
        """The database is in WAL mode with format version FORMAT_VERSION."""
        with sqlite3.connect(st.path) as db:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert db.execute("PRAGMA user_version").fetchone()[0] == store.FORMAT_VERSION
        db.close()


class TestOpen:
    def test_default_root(self, monkeypatch):
        """TP2_STORE wins; else .tp2."""
        monkeypatch.delenv("TP2_STORE", raising=False)
        assert str(default_store_root()) == ".tp2"
        monkeypatch.setenv("TP2_STORE", "/x/y")
        assert str(default_store_root()) == "/x/y"

    def test_root_under_a_file(self, tmp_path):
        """A root that cannot be created names the path and the fix."""
        (tmp_path / "file").write_text("")
        root = tmp_path / "file" / "store"
        with pytest.raises(StoreError, match="--tp2-store DIR or TP2_STORE=DIR") as info:
            Store(root)
        assert str(root) in str(info.value)

    @pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
    def test_read_only_root(self, tmp_path):
        """An existing but read-only root names the path and the fix."""
        root = tmp_path / "ro"
        (root / "locks").mkdir(parents=True)
        root.chmod(0o500)
        try:
            with pytest.raises(StoreError, match="is not writable"):
                Store(root)
        finally:
            root.chmod(0o700)

    def test_newer_format_refused(self, st):
        """A store of a newer format says so and does not touch it."""
        st.put(make_result())
        st.close()
        with sqlite3.connect(st.path) as db:
            db.execute("PRAGMA user_version = 99")
        db.close()
        with pytest.raises(StoreError, match=r"has format 99, newer than this tp2 reads \(1\)\. Upgrade tp2"):
            Store(st.root)

    def test_older_format_refused(self, st):
        """An older (unversioned) store says to delete or move the directory; results will be retrained."""
        st.close()
        with sqlite3.connect(st.path) as db:
            db.execute("PRAGMA user_version = 0")
        db.close()
        with pytest.raises(StoreError, match="older than this tp2 reads") as info:
            Store(st.root)
        assert f"Delete or move {st.root}" in str(info.value) and "retrained" in str(info.value)

    def test_garbage_file(self, tmp_path):
        """A file that is not SQLite at all: StoreError naming the file."""
        root = tmp_path / "store"
        root.mkdir()
        (root / store.DB_NAME).write_bytes(b"this is not a database" * 100)
        with pytest.raises(StoreError, match="file is not a database") as info:
            Store(root)
        assert str(root / store.DB_NAME) in str(info.value) and "mv " in str(info.value)

    def test_damaged_page(self, st):
        """Bytes flipped in the middle of the file are found at open (quick_check), not silently read."""
        for seed in range(60):
            st.put(make_result(seed, history={"loss": [1.0] * 50}))
        st.close()  # last connection: checkpoints the WAL into the main file
        data = bytearray(st.path.read_bytes())
        assert len(data) > 6 * 4096
        data[3 * 4096:4 * 4096] = b"\xff" * 4096
        st.path.write_bytes(bytes(data))
        with pytest.raises(StoreError) as info:
            Store(st.root)
        assert str(st.path) in str(info.value)

    # A store on NFS being refused (and TP2_STORE_ALLOW_NETWORK=1) is tests/reliability/test_b_store_faults.py::test_b7.

    def test_filesystem_type_longest_mount(self):
        """The deepest mount holding the path wins; escaped spaces are decoded."""
        mounts = ("/dev/vda / ext4 rw 0 0\nserver:/x /mnt/nfs\\040share nfs4 rw 0 0\n"
                  "tmpfs /mnt/nfs\\040share/local tmpfs rw 0 0\n")
        assert locks.filesystem_type("/mnt/nfs share/a/b", mounts) == "nfs4"
        assert locks.filesystem_type("/mnt/nfs share/local/x", mounts) == "tmpfs"
        assert locks.filesystem_type("/mnt/nfs shared", mounts) == "ext4"


class TestGetOrTrain:
    def test_trains_once_then_reuses(self, st):
        """First call trains (reused=False), the second returns the stored result without training."""
        calls = []
        train = lambda: calls.append(1) or make_result(accuracy=0.3)  # noqa: E731
        first, reused1 = st.get_or_train(make_spec(), train)
        second, reused2 = st.get_or_train(make_spec(), train)
        assert (reused1, reused2, len(calls)) == (False, True, 1)
        assert first == second and second.val_accuracy == 0.3

    def test_failed_run_retried_until_max_attempts(self, st):
        """A failed run is retrained while attempts < max_attempts, then its failure is returned untrained."""
        calls = []

        def fail():
            calls.append(1)
            return make_result(accuracy=None, status="failed", failure="non-finite loss at epoch 1, batch 2")

        assert st.get_or_train(make_spec(), fail)[0].attempts == 1
        second, reused = st.get_or_train(make_spec(), fail)
        assert (second.attempts, reused) == (2, False)
        third, reused = st.get_or_train(make_spec(), fail)
        assert (third.attempts, third.status, reused, len(calls)) == (2, "failed", True, 2)
        assert st.get(make_spec().identity()).attempts == 2

    def test_raising_train_fn_leaves_nothing(self, st):
        """An exception in train_fn propagates and leaves no record and no in-flight row."""
        def boom():
            raise RuntimeError("out of memory")

        with pytest.raises(RuntimeError, match="out of memory"):
            st.get_or_train(make_spec(), boom)
        assert st.get(make_spec().identity()) is None and st.in_flight() == []

    def test_wrong_identity_rejected(self, st):
        """train_fn returning another run's result is a bug, reported instead of stored."""
        with pytest.raises(ValueError, match="train_fn must return the RunResult of run"):
            st.get_or_train(make_spec(0), lambda: make_result(seed=1))
        assert st.all() == []

    def test_try_returns_none_while_locked(self, st):
        """try_get_or_train gives None at once, without training, while someone holds the run's lock."""
        held = FileLock(str(locks.lock_path(st.lock_dir, make_spec().identity())))
        held.acquire()
        try:
            assert st.try_get_or_train(make_spec(), lambda: pytest.fail("trained a locked run")) is None
        finally:
            held.release()
        assert st.try_get_or_train(make_spec(), lambda: make_result())[1] is False

    def test_a_shared_run_locks_and_flies_under_its_trained_identity(self, st):
        """One training, several records (issue 29): a record whose training is another run's waits on that run's
        lock, and while it trains the in-flight row names the run that trains (live, not stale); then no row."""
        trained = make_spec(name="long")
        held = FileLock(str(locks.lock_path(st.lock_dir, trained.identity())))
        held.acquire()
        try:
            assert st.try_get_or_train(make_spec(), lambda: pytest.fail("trained"), trained=trained) is None
        finally:
            held.release()
        seen = []
        st.get_or_train(make_spec(), lambda: seen.extend(st.in_flight()) or make_result(), trained=trained)
        assert [(r["variant"], r["stale"]) for r in seen] == [("long", False)] and st.in_flight() == []

    def test_in_flight_while_training_with_heartbeat(self, st, monkeypatch):
        """During train_fn the run is in flight, not stale, and its heartbeat advances."""
        monkeypatch.setattr(store, "HEARTBEAT_S", 0.05)
        seen = []

        def train():
            first = st.in_flight()
            time.sleep(0.5)
            seen.extend([first, st.in_flight()])
            return make_result()

        st.get_or_train(make_spec(), train)
        (before,), (after,) = seen
        assert before["pid"] == os.getpid() and before["stale"] is False
        assert after["heartbeat"] > before["heartbeat"]
        assert st.in_flight() == []

    def test_lock_timeout_names_the_lock(self, st):
        """lock(timeout=…) on a held lock raises StoreError naming the lock file, never hangs."""
        identity = make_spec().identity()
        held = FileLock(str(locks.lock_path(st.lock_dir, identity)))
        held.acquire()
        try:
            with pytest.raises(StoreError, match=f"{identity}.lock for more than 0.1 s"):
                with st.lock(identity, timeout=0.1):
                    pass
        finally:
            held.release()

    def test_identity_must_be_a_token(self, st):
        """A path-like identity is refused before any lock file is made."""
        with pytest.raises(ValueError, match=r"'identity' must be a run identity"):
            with st.lock("../escape"):
                pass


class TestInFlight:
    def test_dead_pid_is_stale(self, st):
        """A running row whose pid is gone on this host is reported stale."""
        add_in_flight(st.path, "abc", dead_pid(), store._HOST, time.time())
        (row,) = st.in_flight()
        assert row["stale"] is True and "is gone" in row["why"]

    def test_live_holder_is_not_stale(self, st):
        """A live pid holding the run's lock with a fresh heartbeat is not stale."""
        add_in_flight(st.path, "abc", os.getpid(), store._HOST, time.time())
        with st.lock("abc"):
            (row,) = st.in_flight()
        assert row["stale"] is False and row["why"] is None

    def test_free_lock_is_stale(self, st):
        """A live pid (e.g. reused) that does not hold the lock: stale."""
        add_in_flight(st.path, "abc", os.getpid(), store._HOST, time.time())
        assert st.in_flight()[0]["why"] == "no process holds its lock"

    def test_old_heartbeat_is_stale(self, st):
        """Another host's row with the lock held but no heartbeat for longer than the grace period: stale."""
        add_in_flight(st.path, "abc", 1, "elsewhere", time.time() - 100)
        with st.lock("abc"):
            assert st.in_flight(stale_after_s=1000)[0]["stale"] is False
            assert "no heartbeat for 10" in st.in_flight(stale_after_s=50)[0]["why"]


class TestAtomicWrite:
    def test_writes_and_replaces(self, tmp_path):
        """The file holds the new text; its mode is kept."""
        path = tmp_path / "r.json"
        path.write_text("old")
        path.chmod(0o640)
        atomic_write_text(path, "new ✓")
        assert path.read_text(encoding="utf-8") == "new ✓"
        assert path.stat().st_mode & 0o777 == 0o640

    @pytest.mark.parametrize("fails", ["fsync", "replace"])
    def test_old_file_intact_on_failure(self, tmp_path, monkeypatch, fails):
        """A failure before the rename leaves the old file whole and no temp file behind."""
        path = tmp_path / "r.json"
        path.write_text("old content")

        def broken(*args, **kwargs):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, fails, broken)
        with pytest.raises(OSError, match="No space left"):
            atomic_write_text(path, "new content")
        monkeypatch.undo()
        assert path.read_text() == "old content"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]
