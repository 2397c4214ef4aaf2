"""Durable per-run records (one SQLite row per run identity) and the lock that trains each run once.

Why SQLite in WAL mode and not a JSON file: a shared file rewritten by several processes was destroyed under
concurrent xdist workers, while WAL + ``BEGIN IMMEDIATE`` + a busy timeout took 8 writers x 200 inserts and
SIGKILLed writers with nothing lost (docs/reliability.md B1, B2, B5, B6). A record is written once, after
training, in one transaction, so a run killed mid-training leaves no partial record and is retrained.

``synchronous=FULL``: every commit is fsynced, so a stored run survives a power loss or a preempted VM, not just
a killed process (NORMAL in WAL mode may roll back the last commits then). A commit happens once per trained
run (seconds to hours of work) and costs milliseconds, so FULL is the cheaper side of that trade.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from pathlib import Path

from . import locks
from ..errors import StoreError
from ..training.runs import STATUS_FAILED, STATUS_OK, RunResult, RunSpec

FORMAT_VERSION = 1  # PRAGMA user_version; bump when the schema or the record JSON changes meaning
DB_NAME = "runs.sqlite"
BUSY_TIMEOUT_S = 60.0  # how long a writer waits for another writer's transaction before "database is locked"
HEARTBEAT_S = 30.0  # how often a training process refreshes its in-flight row
STALE_AFTER_S = 600.0  # an in-flight row without a heartbeat for this long is reported stale (C10)
MAX_ATTEMPTS = 2  # a failed run is tried twice, then its failure stands (settled)
_HOST = socket.gethostname()

_SCHEMA = """
CREATE TABLE runs (identity TEXT PRIMARY KEY, variant TEXT NOT NULL, seed INTEGER NOT NULL,
                   profile TEXT NOT NULL, dataset TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
                   created TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE in_flight (identity TEXT PRIMARY KEY, variant TEXT NOT NULL, seed INTEGER NOT NULL,
                        pid INTEGER NOT NULL, host TEXT NOT NULL, started REAL NOT NULL, heartbeat REAL NOT NULL);
"""


# Additive, no format bump: each session's design (tp2core.claims.design.record), one row per distinct record;
# created on open, ignored by a tp2 from before it.
_DESIGNS = ("CREATE TABLE IF NOT EXISTS designs (fingerprint TEXT NOT NULL, profile TEXT NOT NULL, "
            "precision TEXT NOT NULL, json TEXT NOT NULL, created TEXT NOT NULL, "
            "PRIMARY KEY (fingerprint, profile, precision, json))")


def default_store_root(explicit: str | os.PathLike | None = None) -> Path:
    """The store directory: ``explicit`` (``--tp2-store`` / ``--store``) if given, else ``$TP2_STORE``, else ``.tp2``
    in the current directory. The one definition used by the plugin, the session and every CLI command."""
    return Path(explicit or os.environ.get("TP2_STORE") or ".tp2")


class Store:
    """The results store under ``root``: ``root/runs.sqlite`` plus per-run lock files in ``root/locks/``."""

    def __init__(self, root: str | os.PathLike | None = None) -> None:
        self.root = Path(root) if root is not None else default_store_root()
        self.path = self.root / DB_NAME
        self.lock_dir = self.root / "locks"
        try:
            self.lock_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"Cannot create the results store directory {self.root} ({exc.strerror or exc}). "
                "Choose a writable directory with --tp2-store DIR or TP2_STORE=DIR."
            ) from None
        try:
            tempfile.TemporaryFile(dir=self.root).close()  # a real write: os.access misjudges ACLs and root
        except OSError as exc:
            raise StoreError(
                f"The results store directory {self.root} is not writable ({exc.strerror or exc}). "
                "Choose a writable directory with --tp2-store DIR or TP2_STORE=DIR."
            ) from None
        locks.refuse_network_fs(self.root)
        self._pid = os.getpid()
        self._conn = self._open()

    # --- records -------------------------------------------------------------------------------------------

    def put(self, result: RunResult) -> None:
        """Insert or replace the record of ``result.identity`` (idempotent) and clear its in-flight row."""
        if result.status not in (STATUS_OK, STATUS_FAILED):
            raise ValueError(f"'status' must be {STATUS_OK!r} or {STATUS_FAILED!r} (got {result.status!r}).")
        spec = result.spec
        row = (result.identity, spec.variant.name, spec.seed, spec.profile, spec.dataset_name, result.status,
               result.to_json(), result.created or _utc_now(), result.attempts)
        with self._write() as db:  # columns named: stores made by tp2's first store.py order them differently
            db.execute("INSERT OR REPLACE INTO runs (identity, variant, seed, profile, dataset, status, json, created, "
                       "attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
            db.execute("DELETE FROM in_flight WHERE identity = ?", (result.identity,))

    def get(self, identity: str) -> RunResult | None:
        """The stored result of one run identity, or None."""
        with self._guard():
            row = self._db.execute("SELECT identity, json FROM runs WHERE identity = ?", (identity,)).fetchone()
        return None if row is None else self._decode(*row)

    def all(self) -> list[RunResult]:
        """Every stored result, sorted by variant name, then seed."""
        with self._guard():
            rows = self._db.execute("SELECT identity, json FROM runs ORDER BY variant, seed, identity").fetchall()
        return [self._decode(*row) for row in rows]

    def delete(self, identity: str) -> bool:
        """Remove one record; True if there was one."""
        with self._write() as db:
            return db.execute("DELETE FROM runs WHERE identity = ?", (identity,)).rowcount > 0

    def record_design(self, record: dict) -> None:
        """Keep what a session judged (claims.design.record); the same record again only refreshes its time."""
        row = (record["fingerprint"], record["profile"], record["precision"], json.dumps(record, sort_keys=True),
               _utc_now())
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO designs (fingerprint, profile, precision, json, created) "
                       "VALUES (?, ?, ?, ?, ?)", row)

    def latest_design(self, fingerprint: str, profile: str, precision: str) -> dict | None:
        """The most recently recorded design of runs of (fingerprint, profile, precision), or None."""
        with self._guard():
            row = self._db.execute("SELECT json FROM designs WHERE fingerprint = ? AND profile = ? AND precision = ? "
                                   "ORDER BY created DESC, rowid DESC LIMIT 1", (fingerprint, profile, precision)
                                   ).fetchone()
        return None if row is None else json.loads(row[0])

    # --- train each identity once across processes ---------------------------------------------------------

    @contextmanager
    def lock(self, identity: str, timeout: float | None = None) -> Iterator[None]:
        """Hold the inter-process lock of one run identity (released by the kernel if the holder dies)."""
        with locks.hold(locks.lock_path(self.lock_dir, identity), timeout):
            yield

    def get_or_train(
        self, spec: RunSpec, train_fn: Callable[[], RunResult], *, max_attempts: int = MAX_ATTEMPTS,
        trained: RunSpec | None = None,
    ) -> tuple[RunResult, bool]:
        """The stored result of ``spec`` (reused=True) or ``train_fn()``'s, stored first (reused=False).

        Waits while another process trains the same identity, then reuses its result. A failed run is retried
        until it has failed ``max_attempts`` times; after that the stored failure is returned untrained.
        ``trained``: the run whose training gives ``spec``'s record (one training, several records:
        recipe.derived); its lock and in-flight row serve every record of that training, so it trains once.
        """
        _check_attempts(max_attempts)
        identity = spec.identity()
        stored = self.get(identity)
        if settled(stored, max_attempts):
            return stored, True
        with self.lock((trained or spec).identity()):
            return self._train_locked(spec, identity, train_fn, max_attempts, trained or spec)

    def try_get_or_train(
        self, spec: RunSpec, train_fn: Callable[[], RunResult], *, max_attempts: int = MAX_ATTEMPTS,
        trained: RunSpec | None = None,
    ) -> tuple[RunResult, bool] | None:
        """As ``get_or_train``, but None at once if another process is training this identity (or ``trained``)."""
        _check_attempts(max_attempts)
        identity = spec.identity()
        stored = self.get(identity)
        if settled(stored, max_attempts):
            return stored, True
        held = locks.try_hold(locks.lock_path(self.lock_dir, (trained or spec).identity()))
        if held is None:
            return None
        try:
            return self._train_locked(spec, identity, train_fn, max_attempts, trained or spec)
        finally:
            held.release()

    def in_flight(self, stale_after_s: float = STALE_AFTER_S) -> list[dict]:
        """Runs some process started and has not stored; each dict has the row plus ``stale`` and ``why``.

        Stale (C10): the pid is gone (same host), nobody holds the run's lock, or no heartbeat for
        ``stale_after_s`` seconds. A stale run is retrained by the next ``get_or_train`` of its identity.
        """
        with self._guard():
            cursor = self._db.execute("SELECT identity, variant, seed, pid, host, started, heartbeat FROM in_flight "
                                       "ORDER BY variant, seed, identity")
            names = [d[0] for d in cursor.description]
            rows = [dict(zip(names, values)) for values in cursor.fetchall()]
        now = time.time()
        for row in rows:
            why = None
            if row["host"] == _HOST and not locks.pid_alive(row["pid"]):
                why = f"process {row['pid']} on {row['host']} is gone"
            elif not locks.is_held(locks.lock_path(self.lock_dir, row["identity"])):
                why = "no process holds its lock"
            elif now - row["heartbeat"] > stale_after_s:
                why = f"no heartbeat for {now - row['heartbeat']:.0f} s"
            row["stale"], row["why"] = why is not None, why
        return rows

    def report_progress(self, identity: str, progress: dict) -> None:
        """A training process's live progress (training/progress.py) into its in-flight row; best effort."""
        with suppress(StoreError), self._write() as db:
            db.execute("UPDATE in_flight SET progress = ?, heartbeat = ? WHERE identity = ? AND pid = ?",
                       (json.dumps(progress), time.time(), identity, os.getpid()))

    def progress(self) -> list[dict]:
        """In-flight rows that reported progress: identity, variant, seed, heartbeat and the ``progress`` dict."""
        with self._guard():
            rows = self._db.execute("SELECT identity, variant, seed, heartbeat, progress FROM in_flight "
                                    "WHERE progress IS NOT NULL ORDER BY variant, seed, identity").fetchall()
        return [{"identity": i, "variant": v, "seed": s, "heartbeat": h, "progress": json.loads(p)}
                for i, v, s, h, p in rows]

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- internals -----------------------------------------------------------------------------------------

    def _train_locked(self, spec: RunSpec, identity: str, train_fn, max_attempts: int,
                      trained: RunSpec) -> tuple[RunResult, bool]:
        stored = self.get(identity)  # re-check: another process may have finished while we waited
        if settled(stored, max_attempts):
            return stored, True
        now, flying = time.time(), trained.identity()  # the in-flight row names the run that trains
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO in_flight (identity, variant, seed, pid, host, started, heartbeat) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (flying, trained.variant.name, trained.seed, os.getpid(), _HOST, now, now))
        try:
            with locks.periodic(HEARTBEAT_S, lambda: self._heartbeat(flying)):
                result = train_fn()
            if not isinstance(result, RunResult) or result.identity != identity:
                raise ValueError(f"train_fn must return the RunResult of run {identity} (got {result!r:.120}).")
            result = counted(result, stored)
            self.put(result)
        except BaseException:
            with suppress(StoreError):  # the original error matters more than a failed cleanup
                with self._write() as db:
                    db.execute("DELETE FROM in_flight WHERE identity = ?", (flying,))
            raise
        if flying != identity:
            with self._write() as db:
                db.execute("DELETE FROM in_flight WHERE identity = ?", (flying,))
        return result, False

    @property
    def _db(self) -> sqlite3.Connection:
        if os.getpid() != self._pid:  # forked child: never share the parent's connection
            self._pid, self._conn = os.getpid(), self._open()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        # Serialise first-time creation (WAL switch, schema, version) between processes opening at once.
        with locks.hold(self.lock_dir / "store-open.lock"), self._guard():
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            try:
                mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                if mode.lower() != "wal":
                    raise StoreError(f"The results store {self.path} cannot use WAL mode (got {mode!r}); "
                                     "put it on a local disk with --tp2-store DIR or TP2_STORE=DIR.")
                db.execute("PRAGMA synchronous=FULL")
                self._check_version(db)
                # Cheap for a store of a few MB; turns a damaged page into a loud error at open (B3).
                problems = [r[0] for r in db.execute("PRAGMA quick_check").fetchall()]
                if problems != ["ok"]:
                    raise sqlite3.DatabaseError("; ".join(problems[:3]))
            except BaseException:
                db.close()
                raise
        return db

    def _check_version(self, db: sqlite3.Connection) -> None:
        db.execute("BEGIN IMMEDIATE")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            empty = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
            if version == 0 and empty:
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {FORMAT_VERSION}")
                version = FORMAT_VERSION
            if version == FORMAT_VERSION:
                _add_progress_column(db)
                db.execute(_DESIGNS)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        if version > FORMAT_VERSION:
            raise StoreError(
                f"The results store {self.path} has format {version}, newer than this tp2 reads "
                f"({FORMAT_VERSION}). Upgrade tp2, or use another store with --tp2-store DIR or TP2_STORE=DIR."
            )
        if version < FORMAT_VERSION:
            raise StoreError(
                f"The results store {self.path} has format {version}, older than this tp2 reads "
                f"({FORMAT_VERSION}). Delete or move {self.root} (e.g. mv {self.root} {self.root}.old); "
                "its results will be retrained."
            )

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"The results store {self.path} cannot be used: {exc}. If it is damaged, move it aside "
                f"(mv {self.path} {self.path}.bad) and rerun; its runs will be retrained."
            ) from None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        # BEGIN IMMEDIATE takes the write lock up front, so a read-then-write never hits SQLITE_BUSY_SNAPSHOT.
        db = self._db
        with self._guard():
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _heartbeat(self, identity: str) -> None:
        # Runs in the heartbeat thread: its own short connection (sqlite3 connections stay in their thread).
        try:
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            try:
                db.execute("UPDATE in_flight SET heartbeat = ? WHERE identity = ? AND pid = ?",
                           (time.time(), identity, os.getpid()))
            finally:
                db.close()
        except sqlite3.Error:
            pass  # best effort: a missed heartbeat only makes a live run look stale in a report

    def _decode(self, identity: str, text: str) -> RunResult:
        try:
            return RunResult.from_json(text)
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(
                f"The record of run {identity} in {self.path} cannot be read ({exc}). "
                f"Delete it (Store.delete({identity!r})) and rerun; the run will be retrained."
            ) from None


def _add_progress_column(db: sqlite3.Connection) -> None:
    """Additive migration, no format bump: ``in_flight.progress`` (JSON text, NULL until a run reports). A store
    made before it gets the column when first opened; a tp2 from before it ignores the column."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(in_flight)")}
    if "progress" not in columns:
        db.execute("ALTER TABLE in_flight ADD COLUMN progress TEXT")


def settled(result: RunResult | None, max_attempts: int = MAX_ATTEMPTS) -> bool:
    """The retry rule, in one place: a stored run is final when it succeeded or has failed ``max_attempts`` times
    (get_or_train, executor planning and the Ray executor all ask this)."""
    return result is not None and (result.ok or result.attempts >= max_attempts)


def counted(result: RunResult, previous: RunResult | None) -> RunResult:
    """``result`` with its attempt number: one more than a stored failed attempt of the same run, if any."""
    if previous is not None and not previous.ok:
        return dataclasses.replace(result, attempts=previous.attempts + 1)
    return result


def _check_attempts(max_attempts: int) -> None:
    if not isinstance(max_attempts, int) or isinstance(max_attempts, bool) or max_attempts < 1:
        raise ValueError(f"'max_attempts' must be a positive int (got {max_attempts!r}).")


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
