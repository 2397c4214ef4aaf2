"""Atomic file writes: readers and crashes see the old file or the new one, never a torn one.

The one definition used by the store's exports, the session files, the report, its figures, the prepared-dataset
cache and the simulated archives: a temp file in the target's directory (same filesystem), fsync, chmod, rename.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Iterator


@contextmanager
def atomic_file(path: str | os.PathLike, *, mode: int | None = None, text: bool = False,
                encoding: str = "utf-8") -> Iterator[IO]:
    """Open a temp file beside ``path``; on a clean exit it replaces ``path`` (permissions ``mode``, default: the
    old file's, else 0o644 — mkstemp's 0600 would hide a report from its readers); on any error it is removed."""
    path = Path(path)
    if mode is None:
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w" if text else "wb", **({"encoding": encoding} if text else {})) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> None:
    with atomic_file(path, text=True, encoding=encoding) as handle:
        handle.write(text)


def atomic_write_bytes(path: str | os.PathLike, data: bytes, *, mode: int | None = None) -> None:
    with atomic_file(path, mode=mode) as handle:
        handle.write(data)


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable; not every filesystem allows fsync on a directory."""
    with suppress(OSError):
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
