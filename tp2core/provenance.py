"""Where a result came from: the installed distributions with their versions (importlib.metadata) and the
project's git commit with whether the tree had uncommitted changes — absent outside a checkout (or without git),
never an error. Computed once per process (cached); ``output.meta.SessionMeta`` carries it to every output.
"""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]  # the checkout holding tp2core/, when it is one


@functools.lru_cache(maxsize=None)
def git_state(root: Path = PROJECT_ROOT) -> dict:
    """{"commit": full sha, "dirty": bool} of the checkout at ``root``; {} when it is none (an installed wheel,
    no git on PATH, a timeout)."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout if done.returncode == 0 else None

    top = git("rev-parse", "--show-toplevel")
    if top is None or Path(top.strip()).resolve() != root.resolve():  # tp2core inside someone else's repository
        return {}
    commit, status = git("rev-parse", "HEAD"), git("status", "--porcelain")
    if commit is None or status is None:
        return {}
    return {"commit": commit.strip(), "dirty": bool(status.strip())}


@functools.lru_cache(maxsize=None)
def distributions() -> tuple[tuple[str, str], ...]:
    """Every installed distribution as (name, version), sorted by lower-cased name, each name once."""
    from importlib.metadata import distributions as installed

    found = {}
    for dist in installed():
        name = dist.metadata["Name"] if dist.metadata else None
        if name:
            found.setdefault(name, dist.version)
    return tuple(sorted(found.items(), key=lambda nv: nv[0].lower()))


def provenance() -> dict:
    """{"commit", "dirty" (from a checkout only), "distributions": {name: version}} — plain JSON types."""
    return {**git_state(), "distributions": dict(distributions())}


def describe_code(prov: dict) -> str:
    """One line: 'commit 1a2b3c4d5e6f (uncommitted changes); 187 installed distributions'."""
    if prov.get("commit"):
        code = f"commit {prov['commit'][:12]}{' (uncommitted changes)' if prov.get('dirty') else ''}"
    else:
        code = "not a git checkout (no commit recorded)"
    return f"{code}; {len(prov.get('distributions') or {})} installed distributions"
