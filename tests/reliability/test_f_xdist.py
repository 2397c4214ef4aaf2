"""Reliability F2, F3, F6: xdist crashes end a session red and bounded; an empty session never passes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from tp2core.output import gate

from tp2core.controller import Controller
from tp2core.session import Options

from rel_helpers import REPO
from runs_factory import make_run, meta

pytest_plugins = ["pytester"]


def test_f2_repeated_crashes_bounded_by_max_worker_restart(pytester):
    """Every test kills its worker: xdist gives up after --max-worker-restart, the session is red, no hang."""
    pytester.makepyfile(test_crash="""
        import os, pytest
        @pytest.mark.parametrize("i", range(8))
        def test_crash(i):
            os._exit(1)
    """)
    result = pytester.runpytest_subprocess("-n", "2", "--max-worker-restart", "1", "-p", "no:cacheprovider",
                                           timeout=180)
    out = result.stdout.str()
    assert result.ret not in (0, 5)
    assert "maximum crashed workers reached: 1" in out
    assert re.search(r"\[gw\d\] node down: Not properly terminated", out)


def test_f3_crash_during_collection_fails_the_session(pytester):
    """A test module that kills the process at import: xdist gives up ("maximum crashed workers reached") and
    exits 5, never 0 (.ci/run turns 5 into a failure, see test_f6_ci_treats_pytest_exit_5_as_failure)."""
    pytester.makepyfile(test_ok="def test_ok():\n    pass\n")
    pytester.makepyfile(test_import_crash="import os\nos._exit(3)\n")
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider", timeout=180)
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    assert "maximum crashed workers reached" in result.stdout.str()


def test_f3_claim_suite_crash_at_import_fails_with_the_gate(pytester, tmp_path):
    """The same crash inside `pytest benchmarks … --tp2-gate`: exit 1 and the gate names the missing cells."""
    from tp2core.data.simulate import write_simulated_archive

    archive = write_simulated_archive(tmp_path / "data", per_class_train=5, per_class_test=5, seed=3)
    shutil.copytree(REPO / "benchmarks", pytester.path / "benchmarks")
    (pytester.path / "benchmarks" / "test_import_crash.py").write_text("import os\nos._exit(3)\n")
    pytester.makeconftest('pytest_plugins = ["tp2core.plugin"]')
    reference = tmp_path / "ref.json"
    reference.write_text(json.dumps({"format": 1, "dataset": "simulated", "profile": "smoke", "variants": {},
                                     "cells": ["model0 seed 0"], "claims": {}}))
    result = pytester.runpytest_subprocess(
        "benchmarks", "-n", "2", "-p", "no:cacheprovider", "--tp2-profile", "smoke", "--tp2-dataset", str(archive),
        "--tp2-cache", str(tmp_path / "cache"), "--tp2-store", str(tmp_path / "store"), "--tp2-gate", str(reference),
        timeout=180,
    )
    out = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "maximum crashed workers reached" in out and "tp2 gate FAILED" in out


def test_f6_empty_session_never_passes_the_gate(tmp_path):
    """Zero runs against a reference: the gate fails and says why (never a passing, empty table)."""
    runs = [make_run("model0", s) for s in range(2)]
    reference = tmp_path / "ref.json"
    reference.write_text(json.dumps(gate.build_reference(meta(), runs, [])))
    empty = Controller(Options(store=str(tmp_path / "s"), gate=str(reference)), meta=meta())  # nothing ran
    outcome = empty.finish()
    assert outcome.failed
    assert any("gate never passes empty" in line for line in outcome.lines)


def test_f6_ci_treats_pytest_exit_5_as_failure():
    """.ci/run's pytest wrapper turns 'no tests collected' (exit 5) into a failure and keeps other codes."""
    script = (REPO / ".ci" / "run").read_text()
    wrapper = re.search(r"^run_pytest\(\) \{.*?^\}", script, re.S | re.M).group(0)
    codes = {}
    for rc in (0, 1, 5):
        proc = subprocess.run(["bash", "-c", f"{wrapper}\nrun_pytest sh -c 'exit {rc}'"], capture_output=True,
                              text=True)
        codes[rc] = proc.returncode
    assert codes == {0: 0, 1: 1, 5: 1}
    assert "run_pytest pytest -n auto" in script and "run_pytest pytest benchmarks" in script
