"""scripts/gpu_check.sh's CPU-side parts: the dry-run plan, refusing to run without a GPU, the wheel list."""

from __future__ import annotations

import re
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gpu_check.sh"


def _listed() -> set[str]:
    names = set()
    for line in (ROOT / "scripts" / "gpu_wheels.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(re.split(r"[<>=!~ ;\[]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return names


def _run(*args: str, env_path: str | None = None) -> subprocess.CompletedProcess:
    env = None if env_path is None else {"PATH": env_path, "HOME": "/tmp"}
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=60, env=env)


def test_dry_run_prints_the_plan_and_runs_nothing():
    """--dry-run: exit 0, every step's command (offline install, smoke, one quick claim, perf on jax), no figures."""
    out = _run("--dry-run", "--wheels", "/carried").stdout
    assert "KERAS_BACKEND=jax" in out and "dry run: nothing was run" in out
    assert "pip install -q --no-index --find-links /carried -r scripts/gpu_wheels.txt" in out
    assert re.search(r"pytest benchmarks .* -n \d+ --tp2-profile smoke", out)
    assert re.search(r"--tp2-profile quick .* -k relu-beats-course-baseline", out)
    assert "tp2core.cli perf --backend jax" in out
    assert "gpu_check figure" not in out


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None, reason="a GPU machine: the check would run")
def test_without_a_gpu_it_refuses_with_exit_3():
    """No nvidia-smi / no GPU and no --dry-run: one line saying so, exit 3, nothing installed."""
    result = _run(env_path="/usr/bin:/bin")
    assert result.returncode == 3 and "no GPU visible" in result.stderr
    assert "pip install" not in result.stdout


def test_unknown_argument_is_exit_2():
    result = _run("--bogus")
    assert result.returncode == 2 and "unknown argument --bogus" in result.stderr


def test_wheel_list_covers_keras_and_tp2_requirements():
    """Every requirement of keras and of tp2 (pyproject) is in scripts/gpu_wheels.txt (except jax, carried by the machine)."""
    if int(metadata.version("keras").split(".")[1]) < 4:  # Keras 3.0-3.3 needed dm-tree; the list carries today's
        pytest.skip(f"keras {metadata.version('keras')} installed: the list is for the current Keras 3 release")
    keras_needs = {re.split(r"[<>=!~ ;\[(]", r, maxsplit=1)[0].lower().replace("_", "-")
                   for r in metadata.requires("keras") or [] if "extra ==" not in r}
    tomllib = pytest.importorskip("tomllib")
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    tp2_needs = {re.split(r"[<>=!~ ;\[]", d, maxsplit=1)[0].lower() for d in deps}
    assert keras_needs <= _listed(), keras_needs - _listed()
    assert tp2_needs <= _listed(), tp2_needs - _listed()
