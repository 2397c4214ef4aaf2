"""Thread pinning before TF starts, the TP2_THREADS default, cheap import, and the environment fingerprint."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tp2core.training import backend as env
from tp2core.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"},
    )


class TestTrainingThreads:
    def test_default_is_one(self, monkeypatch):
        """Without TP2_THREADS training uses 1 intra-op thread."""
        monkeypatch.delenv("TP2_THREADS", raising=False)
        assert env.training_threads() == 1

    def test_from_environment(self, monkeypatch):
        """TP2_THREADS=2 gives 2."""
        monkeypatch.setenv("TP2_THREADS", "2")
        assert env.training_threads() == 2

    @pytest.mark.parametrize("raw", ["abc", "0", "-1", "1.5"])
    def test_bad_value(self, monkeypatch, raw):
        """A bad TP2_THREADS names the variable, the value and an example."""
        monkeypatch.setenv("TP2_THREADS", raw)
        with pytest.raises(ConfigError) as info:
            env.training_threads()
        assert str(info.value) == f"'TP2_THREADS' must be a positive int (got {raw!r}); e.g. TP2_THREADS=1."


class TestConfigureThreads:
    @pytest.mark.parametrize("bad", [0, -2, True, 1.0, "1"])
    def test_rejects_bad_counts(self, bad):
        """Only positive ints are thread counts."""
        with pytest.raises(ConfigError, match=r"^'threads' must be a positive int \(got "):
            env.configure_threads(bad)

    def test_lifecycle_in_a_fresh_process(self):
        """Before TF starts: env vars and TF pools set, repeat is fine; after: same n ok, other n → clear error."""
        pytest.importorskip("tensorflow")  # the JAX/torch tox envs have no TensorFlow
        proc = run_python(
            """
            import json, os, sys
            from tp2core.training import backend as env
            from tp2core.errors import ConfigError
            assert "tensorflow" not in sys.modules
            env.configure_threads(3)
            env.configure_threads(2)  # still before TF ran anything: may change
            env.configure_threads(2)
            import tensorflow as tf
            float(tf.reduce_sum(tf.ones(3)))  # TF's runtime is now initialised
            env.configure_threads(2)  # same count: a no-op
            try:
                env.configure_threads(4)
                message = None
            except ConfigError as exc:
                message = str(exc)
            print(json.dumps({
                "omp": os.environ.get("OMP_NUM_THREADS"), "mkl": os.environ.get("MKL_NUM_THREADS"),
                "intra": tf.config.threading.get_intra_op_parallelism_threads(),
                "inter": tf.config.threading.get_inter_op_parallelism_threads(), "message": message,
            }))
            """
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        got = json.loads(proc.stdout.strip().splitlines()[-1])
        assert got["omp"] == got["mkl"] == "2"  # the count in force; the refused 4 leaves them alone
        assert (got["intra"], got["inter"]) == (2, 1)
        assert got["message"] == (
            "'threads' cannot become 4: TensorFlow already started in this process with 2 intra-op threads; "
            "set TP2_THREADS=4 before starting the process (or call tp2core.training.backend.configure_threads(4) before "
            "any TensorFlow operation)."
        )

    def test_import_is_cheap(self):
        """Importing env, train, models and augment does not import TensorFlow or Keras."""
        proc = run_python(
            """
            import sys
            import tp2core.training.backend, tp2core.training.train, tp2core.recipe.models, tp2core.recipe.augment
            print(sorted(m for m in ("tensorflow", "keras") if m in sys.modules))
            """
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert proc.stdout.strip() == "[]"


class TestFingerprint:
    def test_fields_observed(self):
        """Versions, backend, device and the determinism/threading flags are all recorded."""
        pytest.importorskip("tensorflow")
        fp = env.environment_fingerprint(jit_compile=False)
        for key in ("python", "tensorflow", "keras", "numpy", "cpu", "gpus", "device", "xla_flags"):
            assert key in fp
        assert fp["keras_backend"] == "tensorflow"
        assert fp["jit_compile"] is False
        assert isinstance(fp["op_determinism"], bool) and isinstance(fp["tf32"], bool)
        assert isinstance(fp["intra_op_threads"], int) and isinstance(fp["inter_op_threads"], int)
        assert fp["device"] == (fp["gpus"][0] if fp["gpus"] else "CPU")
        json.dumps(fp)  # stored with every run: must be plain JSON

    def test_cpu_model_named(self):
        """The CPU model is a non-empty string (from /proc/cpuinfo on Linux)."""
        assert isinstance(env.cpu_model(), str) and env.cpu_model()

    def test_detect_gpus_returns_names(self):
        """detect_gpus lists names as strings ([] on a CPU-only machine)."""
        pytest.importorskip("tensorflow")
        gpus = env.detect_gpus()
        assert isinstance(gpus, list) and all(isinstance(g, str) and g for g in gpus)
