"""Per-run inter-process locks, liveness checks and the local-filesystem check for the results store.

A lock is a ``filelock.FileLock`` (``fcntl.flock`` on Unix): the kernel drops it when the holder's file
descriptor closes, so a process killed with SIGKILL never leaves a lock that hangs the next run. The lock
*file* stays behind on purpose (waiters must share one inode); its presence means nothing. Both flock and
SQLite's WAL (shared memory in ``-shm``) need a local filesystem, hence ``refuse_network_fs`` (docs/reliability.md B7).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from ..errors import StoreError

_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")
NETWORK_FS = frozenset(
    "nfs nfs4 cifs smb3 smbfs ncpfs afs coda 9p ceph glusterfs fuse.glusterfs fuse.sshfs lustre gpfs beegfs "
    "davfs fuse.s3fs fuse.rclone".split()
)


def lock_path(lock_dir: Path, identity: str) -> Path:
    """Where the lock of one run identity lives; the identity must be a plain file-name token."""
    if not isinstance(identity, str) or not _SAFE_NAME.match(identity) or identity.startswith("."):
        raise ValueError(f"'identity' must be a run identity such as RunSpec.identity() (got {identity!r}).")
    return lock_dir / f"{identity}.lock"


@contextmanager
def hold(path: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the lock at ``path``; wait forever when ``timeout`` is None, else raise StoreError after it (s)."""
    lock = FileLock(str(path), timeout=-1 if timeout is None else timeout)
    try:
        lock.acquire()
    except Timeout:
        raise StoreError(
            f"Another process held the run lock {path} for more than {timeout} s; "
            "wait for it to finish (see `Store.in_flight()`), or pass a longer timeout."
        ) from None
    try:
        yield
    finally:
        lock.release()


def try_hold(path: Path) -> FileLock | None:
    """Acquire the lock at ``path`` without waiting; None if another holder has it. Caller releases."""
    lock = FileLock(str(path))
    try:
        lock.acquire(blocking=False)
    except Timeout:
        return None
    return lock


def is_held(path: Path) -> bool:
    """True if some process (this one included, through another handle) holds the lock at ``path`` now."""
    if not path.exists():
        return False
    lock = try_hold(path)
    if lock is None:
        return True
    lock.release()
    return False


def pid_alive(pid: int) -> bool:
    """True if a process with this pid exists on this host (signal 0 checks existence, sends nothing)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


@contextmanager
def periodic(every_s: float, beat: Callable[[], None]) -> Iterator[None]:
    """Call ``beat()`` every ``every_s`` seconds from a daemon thread while the block runs."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every_s):
            beat()

    thread = threading.Thread(target=loop, daemon=True, name="tp2-heartbeat")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def filesystem_type(path: str | os.PathLike, mounts: str | None = None) -> str:
    """The fstype of the mount holding ``path`` per /proc/mounts (or ``mounts`` text); "" if unknown."""
    if mounts is None:
        try:
            mounts = Path("/proc/mounts").read_text()
        except OSError:
            return ""
    target, best, fstype = Path(os.path.realpath(path)), -1, ""
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = Path(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[1]))  # "\040" = space
        depth = len(point.parts)
        if (point == target or point in target.parents) and depth >= best:  # a later mount hides an earlier one
            best, fstype = depth, fields[2]
    return fstype


def refuse_network_fs(root: Path, mounts: str | None = None) -> None:
    """StoreError if ``root`` is on a network filesystem, unless TP2_STORE_ALLOW_NETWORK=1."""
    fstype = filesystem_type(root, mounts)
    if (fstype in NETWORK_FS or fstype.startswith("nfs")) and os.environ.get("TP2_STORE_ALLOW_NETWORK") != "1":
        raise StoreError(
            f"The results store {root} is on a network filesystem ({fstype}); SQLite's WAL mode does not work "
            "there and runs could be lost or trained twice. Use a local disk with --tp2-store DIR or "
            "TP2_STORE=DIR, or set TP2_STORE_ALLOW_NETWORK=1 if a single machine uses this store."
        )
