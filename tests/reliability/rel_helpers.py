"""Shared pieces of the reliability tests: a tiny dataset and variant, child-process runners, store readers.

Everything here is cheap: no TensorFlow import at module level, datasets of 100 classes x 2 images.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np

from tp2core.data.dataset import Dataset, array_fingerprint
from tp2core.recipe.variants import MODEL2, Profile

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
WHOLE = Profile(name="unit", train_per_class=None, test_per_class=None)  # tiny data is used whole
TINY = replace(MODEL2, hidden_units=(16, 16), hidden_activations=("relu", "relu"), epochs=2, batch_size=50)


def tiny_dataset(per_class: int = 2, seed: int = 0) -> Dataset:
    """100 classes x ``per_class`` random images for train and for test: a run trains in about a second."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(100), per_class).astype(np.int64)
    x = rng.integers(0, 256, (len(y), 32, 32, 3), dtype=np.uint8)
    xt = rng.integers(0, 256, (len(y), 32, 32, 3), dtype=np.uint8)
    names = [f"class{i}" for i in range(100)]
    return Dataset(x, y, xt, y.copy(), y // 5, y // 5, names, "tiny", array_fingerprint(x, y, xt, y))


def child_env(**extra: str) -> dict[str, str]:
    """Environment for a child Python: the repo and this folder importable, TF quiet, one training thread."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TP2_"))}
    path = os.pathsep.join([str(REPO), str(HERE), str(REPO / "tests")])
    env.update(PYTHONPATH=path, TF_CPP_MIN_LOG_LEVEL="3", TP2_THREADS="1")
    env.update(extra)
    return env


def run_child(code: str, *args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    """Run ``code`` (dedented) in a fresh Python; returns the finished process (stdout/stderr as text)."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], cwd=REPO, env=child_env(**env),
                          capture_output=True, text=True, timeout=timeout)


def start_child(code: str, *args: str, **env: str) -> subprocess.Popen:
    """Start ``code`` in a fresh Python in its own session (so a test can SIGKILL it and its children)."""
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], cwd=REPO, env=child_env(**env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def db_rows(store_root: Path, sql: str = "SELECT variant, seed, status, attempts FROM runs") -> list[tuple]:
    """Rows of the store's SQLite file read with a separate plain connection (what any reader would see)."""
    path = Path(store_root) / "runs.sqlite"
    if not path.exists():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return db.execute(sql).fetchall()
    except sqlite3.OperationalError:  # table not created yet
        return []
    finally:
        db.close()


def integrity(store_root: Path) -> str:
    db = sqlite3.connect(Path(store_root) / "runs.sqlite")
    try:
        return db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()
