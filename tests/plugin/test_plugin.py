"""The pytest plugin end to end (pytester, real subprocesses): options, xdist transport, tables, the gate.

Runs the real claim suite on a tiny simulated archive (5 + 5 images per class, the smoke profile's size),
limited with -k to one claim, so each session trains 4 small runs at most and reruns reuse the store.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_archive(tmp_path_factory) -> Path:
    from tp2core.data.simulate import write_simulated_archive

    return write_simulated_archive(tmp_path_factory.mktemp("data"), per_class_train=5, per_class_test=5, seed=3)


@pytest.fixture
def suite(pytester: pytest.Pytester, tiny_archive: Path, tmp_path_factory):
    """A copy of the claim suite in pytester's directory; returns a runner with the tiny dataset."""
    shutil.copytree(ROOT / "benchmarks", pytester.path / "benchmarks")
    (pytester.path / "conftest.py").write_text('pytest_plugins = ["tp2core.plugin"]\n')
    cache = tmp_path_factory.mktemp("cache")

    def run(*args: str, store: str = "store"):
        return pytester.runpytest_subprocess(
            "benchmarks", "-p", "no:cacheprovider", "--tp2-profile", "smoke", "--tp2-dataset", str(tiny_archive),
            "--tp2-cache", str(cache), "--tp2-store", str(pytester.path / store), *args, timeout=600,
        )

    return run


def _accuracies(stdout: str) -> dict[str, str]:
    """'tp2 run model0 seed 1 val acc 2.40% …' progress lines → {'model0/1': '2.40%'}."""
    found = re.findall(r"tp2 run (\S+)\s+seed (\d+)\s+val acc\s+(\S+)", stdout)
    return {f"{v}/{s}": acc for v, s, acc in found}


def test_help_documents_every_option(pytester: pytest.Pytester):
    """`pytest --help` lists the tp2 options (contract names)."""
    (pytester.path / "conftest.py").write_text('pytest_plugins = ["tp2core.plugin"]\n')
    result = pytester.runpytest_subprocess("--help")
    for option in ("--tp2-profile", "--tp2-dataset", "--tp2-data", "--tp2-seeds", "--tp2-store", "--tp2-report",
                   "--tp2-gate", "--tp2-update-references", "--tp2-precision", "--tp2-wide"):
        assert option in result.stdout.str()


def test_bad_option_is_a_usage_error_not_a_traceback(suite):
    result = suite("--tp2-seeds", "0", "-k", "relu-beats")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "'seeds' must be an int in [1, 1000]" in result.stderr.str()
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_bad_precision_is_a_usage_error(suite):
    result = suite("--tp2-precision", "fp16", "-k", "relu-beats")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "'--tp2-precision' must be one of float32, tf32, mixed_bfloat16 (got 'fp16')" in result.stderr.str()
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_xdist_and_serial_give_identical_tables(suite, monkeypatch):
    """-n 2 and -n 0 train the same cells to the same accuracies; results ride on the reports."""
    monkeypatch.setenv("COLUMNS", "250")  # a wide terminal: the claim's full name is not abbreviated to fit
    parallel = suite("-n", "2", "-k", "relu-beats", store="s_parallel")
    serial = suite("-n", "0", "-k", "relu-beats", store="s_serial")
    assert parallel.ret == serial.ret == 0, parallel.stdout.str()[-3000:]
    acc_parallel, acc_serial = _accuracies(parallel.stdout.str()), _accuracies(serial.stdout.str())
    assert set(acc_parallel) == {"model0/0", "model0/1", "model2/0", "model2/1"}
    assert acc_parallel == acc_serial
    for out in (parallel.stdout.str(), serial.stdout.str()):
        assert "SIMULATED" in out and "Claims:" in out and "relu-beats-course-baseline" in out


def test_rerun_trains_nothing(suite):
    first = suite("-k", "relu-beats")
    second = suite("-k", "relu-beats")
    assert first.ret == second.ret == 0
    assert "trained" in first.stdout.str()
    assert re.search(r"tp2 run .*trained", second.stdout.str()) is None
    assert second.stdout.str().count(" reused") == 4


class TestGate:
    @pytest.fixture
    def reference(self, suite, pytester) -> Path:
        ref = pytester.path / "ref.json"
        made = suite("-k", "relu-beats", "--tp2-update-references", "--tp2-gate", str(ref))
        assert made.ret == 0, made.stdout.str()[-3000:]
        return ref

    def _edit(self, ref: Path, change) -> None:
        data = json.loads(ref.read_text())
        change(data)
        ref.write_text(json.dumps(data))

    def test_passes_against_own_reference(self, suite, reference):
        result = suite("-k", "relu-beats", "--tp2-gate", str(reference))
        assert result.ret == 0
        assert "tp2 gate passed" in result.stdout.str()

    def test_fails_on_flipped_verdict(self, suite, reference):
        def flip(d):
            d["claims"]["relu-beats-course-baseline"] = "supported" if d["claims"]["relu-beats-course-baseline"] != "supported" else "refuted"

        self._edit(reference, flip)
        result = suite("-k", "relu-beats", "--tp2-gate", str(reference))
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        assert "verdict flipped" in result.stdout.str()

    def test_fails_on_band_breach(self, suite, reference):
        def shift(d):
            d["variants"]["model2"]["band"] = [90.0, 95.0]

        self._edit(reference, shift)
        result = suite("-k", "relu-beats", "--tp2-gate", str(reference))
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        assert "variant model2: mean val accuracy" in result.stdout.str()

    def test_fails_on_missing_cell(self, suite, reference):
        self._edit(reference, lambda d: d["cells"].append("model0 seed 7"))
        result = suite("-k", "relu-beats", "--tp2-gate", str(reference))
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        assert "missing cells" in result.stdout.str() and "model0 seed 7" in result.stdout.str()

    def test_fails_when_nothing_runs(self, suite, reference):
        result = suite("-k", "no-such-claim", "--tp2-gate", str(reference))
        assert result.ret != 0
        assert "gate FAILED" in result.stdout.str()


def test_gate_catches_a_trainer_that_does_not_learn(suite, pytester):
    """End to end: the learn probe's reference band (from a real session) is far above chance; the same session
    with weight updates disabled (EpochLoop.apply_update a no-op, fresh store) fails the gate on learn-probe."""
    from tp2core.training.backend import keras_backend_name

    if keras_backend_name() != "tensorflow":
        pytest.skip("disables tp2's fast loop (fastfit.EpochLoop), which is TensorFlow code; JAX/torch train via fit")
    ref = pytester.path / "learn.json"
    made = suite("-k", "learn-probe", "--tp2-update-references", "--tp2-gate", str(ref))
    assert made.ret == 0, made.stdout.str()[-3000:]
    low, _ = json.loads(ref.read_text())["variants"]["learn-probe"]["band"]
    assert low > 10.0  # chance on 10 classes (2 seeds on the tiny archive: a wide band, still above chance)
    assert suite("-k", "learn-probe", "--tp2-gate", str(ref)).ret == 0
    (pytester.path / "conftest.py").write_text(
        'pytest_plugins = ["tp2core.plugin"]\n'
        "import tensorflow as tf\n"
        "from tp2core.training import fastfit\n"
        "fastfit.EpochLoop.apply_update = lambda self, grads: [tf.constant(0)]  # weight updates disabled\n"
    )
    broken = suite("-k", "learn-probe", "--tp2-gate", str(ref), store="fresh-store")
    assert broken.ret == pytest.ExitCode.TESTS_FAILED
    assert "variant learn-probe: mean val accuracy" in broken.stdout.str()
