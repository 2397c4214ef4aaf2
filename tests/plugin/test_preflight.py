"""Options checked before anything trains (issue 17.3): each bad option is one usage error (exit 4) naming the
option, the value and the fix, raised at configure time — no test collected, nothing trained, no traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tp2core.training.backend import keras_backend_name

from tp2core.errors import ConfigError
from tp2core.preflight import check
from tp2core.session import Options

ROOT = Path(__file__).resolve().parents[2]


def _reference(path: Path, **fields) -> str:
    ref = {"format": 1, "dataset": "simulated", "profile": "smoke", "precision": "float32",
           "environment": {"keras_backend": keras_backend_name()}, "variants": {}, "cells": [], "claims": {}} | fields
    path.write_text(json.dumps(ref))
    return str(path)


class TestCheck:
    """preflight.check: the first problem as a ConfigError naming the option, the value and the fix."""

    def test_good_options_pass_and_create_nothing(self, tmp_path):
        store = tmp_path / "a" / "store"
        check(Options(dataset="simulated", store=str(store), gate=_reference(tmp_path / "r.json"),
                      profile="smoke"))
        assert not store.exists()

    @pytest.mark.parametrize("make, option", [
        (lambda t: Options(dataset=str(t / "nope.tar.gz")), "--tp2-dataset"),
        (lambda t: Options(dataset="cifar10"), "--tp2-dataset"),
        (lambda t: Options(data_path=str(t / "nope")), "--tp2-data"),
        (lambda t: Options(gate=str(t / "missing.json")), "--tp2-gate"),
        (lambda t: Options(gate=str(t / "bad.json")), "--tp2-gate"),
        (lambda t: Options(gate=_reference(t / "r.json", profile="paper"), profile="smoke"), "--tp2-gate"),
        (lambda t: Options(gate=_reference(t / "r.json", dataset="cifar100"), dataset="simulated",
                           profile="smoke"), "--tp2-gate"),
        (lambda t: Options(gate=_reference(t / "r.json", precision="tf32"), profile="smoke"), "--tp2-gate"),
        (lambda t: Options(gate=_reference(t / "r.json", environment={"keras_backend": "jax"}), profile="smoke"),
         "--tp2-gate"),
        (lambda t: Options(store=str(t / "afile" / "store")), "--tp2-store"),
        (lambda t: Options(report_dir=str(t / "afile")), "--tp2-report"),
    ])
    def test_each_problem_names_its_option(self, tmp_path, monkeypatch, make, option):
        monkeypatch.delenv("KERAS_BACKEND", raising=False)
        (tmp_path / "bad.json").write_text("{not json")
        (tmp_path / "afile").write_text("x")
        with pytest.raises(ConfigError) as info:
            check(make(tmp_path))
        assert str(info.value).startswith(option), str(info.value)

    def test_threads_out_of_range(self, monkeypatch):
        monkeypatch.setenv("TP2_THREADS", "0")
        with pytest.raises(ConfigError, match="'TP2_THREADS' must be a positive int"):
            check(Options())

    def test_dataset_and_gate_only_for_the_suite(self, tmp_path):
        check(Options(dataset=str(tmp_path / "nope"), gate=str(tmp_path / "missing.json")), suite=False)

    def test_updating_references_may_create_the_gate_file(self, tmp_path):
        check(Options(gate=str(tmp_path / "new" / "ref.json"), update_references=True))


@pytest.mark.slow
class TestUsageError:
    """End to end: `pytest benchmarks <bad option>` exits 4 at configure time, one error line, nothing ran."""

    @pytest.fixture
    def run(self, pytester: pytest.Pytester, tmp_path):
        shutil.copytree(ROOT / "benchmarks", pytester.path / "benchmarks")
        (pytester.path / "conftest.py").write_text('pytest_plugins = ["tp2core.plugin"]\n')
        (tmp_path / "bad.json").write_text("{not json")

        def run(*args: str, n: str = "0"):
            return pytester.runpytest_subprocess("benchmarks", "-p", "no:cacheprovider", "-n", n, "--tp2-profile",
                                                 "smoke", "--tp2-store", str(tmp_path / "store"), *args, timeout=120)
        return run

    @pytest.mark.parametrize("args, option", [
        (("--tp2-dataset", "/nonexistent/x.tar.gz"), "--tp2-dataset '/nonexistent/x.tar.gz'"),
        (("--tp2-dataset", "simulated", "--tp2-data", "/nonexistent/cifar"), "--tp2-data"),
        (("--tp2-dataset", "simulated", "--tp2-gate", "/nonexistent/ref.json"), "--tp2-gate"),
        (("--tp2-dataset", "simulated", "--tp2-gate", "{tmp}/bad.json"), "--tp2-gate"),
    ])
    def test_bad_option_exits_4_before_collection(self, run, tmp_path, args, option):
        result = run(*(a.replace("{tmp}", str(tmp_path)) for a in args), n="2")
        out, err = result.stdout.str(), result.stderr.str()
        assert result.ret == pytest.ExitCode.USAGE_ERROR, out[-2000:] + err[-2000:]
        errors = [line for line in err.splitlines() if line.startswith("ERROR:")]
        assert len(errors) == 1 and errors[0].startswith(f"ERROR: {option}"), err
        assert "Traceback" not in out + err
        assert "collected" not in out and "tp2 run" not in out and "tp2 dataset" not in out
        assert not (tmp_path / "store").exists()
