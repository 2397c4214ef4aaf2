"""The durable results store: one SQLite record per run identity, and a per-identity lock so that every
(variant, seed) is trained once across all processes.

Why SQLite in WAL mode (RELIABILITY B1–B6): a record is written in one ``BEGIN IMMEDIATE`` transaction after
training, so a killed run leaves nothing partial; readers never block the writer; the busy timeout absorbs
eight concurrent writers. ``synchronous=FULL`` because a run costs minutes and a commit microseconds.
Why ``filelock`` per identity (B8): it is an fcntl lock, released by the kernel when its holder dies, so a
lock left by a SIGKILLed worker never hangs the next run (the lock file may remain; that is harmless).
WAL needs shared memory, which network filesystems don't give (B7): such paths are refused.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from .errors import StoreError
from .results import STATUS_OK, RunResult, RunSpec

FORMAT_VERSION = 1  # PRAGMA user_version; bump when the schema changes
BUSY_TIMEOUT_MS = 60_000
MAX_ATTEMPTS = 2  # a failed run is retried once, then its failure is reported
STALE_AFTER_S = 600.0  # a "running" row without a heartbeat for this long is stale (C10)
NETWORK_FS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "9p", "afs", "ceph", "glusterfs", "lustre"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    identity TEXT PRIMARY KEY, variant TEXT NOT NULL, seed INTEGER NOT NULL, profile TEXT NOT NULL,
    dataset TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL, created TEXT NOT NULL,
    json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS in_flight (
    identity TEXT PRIMARY KEY, variant TEXT NOT NULL, seed INTEGER NOT NULL, pid INTEGER NOT NULL,
    host TEXT NOT NULL, started REAL NOT NULL, heartbeat REAL NOT NULL);
"""


def default_store_root() -> Path:
    return Path(os.environ.get("TP2_STORE") or ".tp2")


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write a whole file so readers see the old or the new content, never a torn one (B4)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _filesystem_type(path: Path) -> str:
    """fstype of the mount holding `path`, from /proc/mounts ('' when unknown)."""
    try:
        mounts = [line.split() for line in Path("/proc/mounts").read_text().splitlines()]
    except OSError:
        return ""
    best, fstype = "", ""
    resolved = str(path.resolve())
    for fields in mounts:
        if len(fields) >= 3 and (resolved == fields[1] or resolved.startswith(fields[1].rstrip("/") + "/")):
            if len(fields[1]) > len(best):
                best, fstype = fields[1], fields[2]
    return fstype


class Store:
    """Results under `root`: ``runs.sqlite`` (records) and ``locks/`` (one lock file per identity)."""

    def __init__(self, root: str | os.PathLike | None = None) -> None:
        self.root = Path(root) if root is not None else default_store_root()
        try:
            (self.root / "locks").mkdir(parents=True, exist_ok=True)
            probe = self.root / f".write-probe-{os.getpid()}"
            probe.write_text("")
            probe.unlink()
        except OSError as exc:
            raise StoreError(
                f"results store {self.root} is not writable ({exc.strerror or exc}); pass --tp2-store DIR "
                f"(or set TP2_STORE) to a writable directory."
            ) from None
        fstype = _filesystem_type(self.root)
        if fstype in NETWORK_FS and os.environ.get("TP2_STORE_ALLOW_NETWORK") != "1":
            raise StoreError(
                f"results store {self.root} is on a network filesystem ({fstype}); SQLite's WAL mode is unsafe "
                f"there. Use a local directory (--tp2-store) or set TP2_STORE_ALLOW_NETWORK=1 at your own risk."
            )
        self.path = self.root / "runs.sqlite"
        self._init_db()

    # --- database
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA synchronous=FULL")
        return conn

    def _init_db(self) -> None:
        try:
            with self._session() as conn:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]
                if tables and version != FORMAT_VERSION:
                    raise StoreError(
                        f"results store {self.path} has format version {version}, this tp2 reads version "
                        f"{FORMAT_VERSION}; move or delete {self.root} (its runs will be retrained) or use another "
                        f"--tp2-store."
                    )
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("BEGIN IMMEDIATE")
                for statement in filter(str.strip, SCHEMA.split(";")):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version={FORMAT_VERSION}")
                conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"results store {self.path} is unreadable ({exc}); it is not a tp2 store or it is corrupt. Move it "
                f"aside (its runs will be retrained) or pass another --tp2-store."
            ) from None

    @contextmanager
    def _session(self):
        conn = self._connect()
        try:
            yield conn
        finally:
            conn.close()

    def _write(self, sql: str, params: tuple) -> None:
        with self._session() as conn:
            conn.execute("BEGIN IMMEDIATE")  # take the write lock up front: no SQLITE_BUSY_SNAPSHOT (B6)
            try:
                conn.execute(sql, params)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    # --- records
    def put(self, result: RunResult) -> None:
        """Insert or replace the record of `result.identity` (idempotent: never a duplicate row)."""
        spec = result.spec
        self._write(
            "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (result.identity, spec.variant.name, spec.seed, spec.profile, spec.dataset_name, result.status,
             result.attempts, result.created or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), result.to_json()),
        )

    def get(self, identity: str) -> RunResult | None:
        with self._session() as conn:
            row = conn.execute("SELECT json FROM runs WHERE identity = ?", (identity,)).fetchone()
        return None if row is None else self._decode(row[0], identity)

    def all(self) -> list[RunResult]:
        with self._session() as conn:
            rows = conn.execute("SELECT identity, json FROM runs ORDER BY variant, seed, created").fetchall()
        return [self._decode(text, identity) for identity, text in rows]

    def delete(self, identity: str) -> None:
        self._write("DELETE FROM runs WHERE identity = ?", (identity,))

    def _decode(self, text: str, identity: str) -> RunResult:
        try:
            return RunResult.from_json(text)
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"results store {self.path}: record {identity} is unreadable ({exc}); delete it with "
                             f"`tp2 runs --delete {identity}` or move the store aside.") from None

    # --- locking and training once
    @contextmanager
    def lock(self, identity: str, timeout: float | None = None):
        """Exclusive per-identity lock across processes; released by the kernel if the holder dies."""
        lock = FileLock(str(self.root / "locks" / f"{identity}.lock"))
        try:
            lock.acquire(timeout=-1 if timeout is None else timeout)
        except Timeout:
            raise StoreError(f"timed out after {timeout} s waiting for the lock {lock.lock_file} (another process "
                             f"is training this run); wait for it or stop it.") from None
        try:
            yield
        finally:
            lock.release()

    def get_or_train(self, spec: RunSpec, train_fn) -> tuple[RunResult, bool]:
        """(result, reused): the stored record, or `train_fn()` run once under the lock and stored."""
        found = self._usable(spec.identity())
        if found is not None:
            return found, True
        with self.lock(spec.identity()):
            return self._train_locked(spec, train_fn)

    def try_get_or_train(self, spec: RunSpec, train_fn) -> tuple[RunResult, bool] | None:
        """Like get_or_train, but None at once if another process holds this run's lock."""
        found = self._usable(spec.identity())
        if found is not None:
            return found, True
        try:
            with self.lock(spec.identity(), timeout=0):
                return self._train_locked(spec, train_fn)
        except StoreError:
            return None

    def _usable(self, identity: str) -> RunResult | None:
        found = self.get(identity)
        if found is None:
            return None
        if found.status == STATUS_OK or found.attempts >= MAX_ATTEMPTS:
            return found
        return None  # a failed run with attempts left: retry it

    def _train_locked(self, spec: RunSpec, train_fn) -> tuple[RunResult, bool]:
        identity = spec.identity()
        previous = self.get(identity)
        if previous is not None and (previous.status == STATUS_OK or previous.attempts >= MAX_ATTEMPTS):
            return previous, True  # finished by another process while we waited
        now = time.time()
        self._write("INSERT OR REPLACE INTO in_flight VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (identity, spec.variant.name, spec.seed, os.getpid(), socket.gethostname(), now, now))
        try:
            result = train_fn()
            if result.identity != identity:
                raise StoreError(f"train_fn produced run {result.identity} for spec {identity}; "
                                 f"this is a bug in tp2's training code.")
            result.attempts = (previous.attempts if previous is not None else 0) + 1
            self.put(result)
        finally:
            self._write("DELETE FROM in_flight WHERE identity = ?", (identity,))
        return result, False

    def heartbeat(self, identity: str) -> None:
        self._write("UPDATE in_flight SET heartbeat = ? WHERE identity = ?", (time.time(), identity))

    def in_flight(self) -> list[dict]:
        """Runs marked running, each with `stale` True when its process is gone or silent (C10)."""
        with self._session() as conn:
            rows = conn.execute("SELECT identity, variant, seed, pid, host, started, heartbeat FROM in_flight").fetchall()
        out = []
        for identity, variant, seed, pid, host, started, beat in rows:
            dead = host == socket.gethostname() and not _pid_alive(pid)
            out.append({"identity": identity, "variant": variant, "seed": seed, "pid": pid, "host": host,
                        "started": started, "stale": dead or time.time() - beat > STALE_AFTER_S})
        return out


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
