"""Reliability A1–A10: determinism and configuration (tiny in-process trainings, a few child processes)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from tp2core.output import gate
from tp2core.training.backend import configure_threads, training_threads
from tp2core.errors import ConfigError
from tp2core.training.train import make_spec

from rel_helpers import REPO, TINY, WHOLE, child_env, tiny_dataset
from runs_factory import make_run, meta

pytest_plugins = ["pytester"]
tf = pytest.importorskip("tensorflow")
configure_threads(training_threads())  # before any TF op in this process

gpu = pytest.mark.skipif(not tf.config.list_physical_devices("GPU"), reason="needs a GPU; run it in a GPU session")


def _weights_hash(model) -> str:
    return hashlib.sha256(b"".join(np.asarray(w).tobytes() for w in model.get_weights())).hexdigest()


@pytest.fixture(scope="module")
def three_runs():
    """Seed 0 twice and seed 1 once, in this process: (result, weight hash) each."""
    from tp2core.training.train import train_model

    ds = tiny_dataset()
    out = []
    for seed in (0, 0, 1):
        result, model = train_model(TINY, seed, ds, WHOLE)
        out.append((result, _weights_hash(model)))
    return out


def test_a1_same_variant_and_seed_twice_identical(three_runs):
    """Same (variant, seed) twice: identical weight hash, history and gradient probe (CPU, 1 thread)."""
    (first, h1), (again, h2), _ = three_runs
    assert h1 == h2
    assert first.history == again.history and first.grad_norms == again.grad_norms
    assert first.val_accuracy == again.val_accuracy


def test_a2_other_seed_differs(three_runs):
    """Negative control: seed 1 gives other weights and history, so the A1 comparison can fail."""
    (first, h1), _, (other, h3) = three_runs
    assert h1 != h3 and first.history != other.history


def test_a3_determinism_not_in_effect_fails_naming_the_flag(monkeypatch):
    """If enable_op_determinism silently does nothing, training refuses to run and names the flag."""
    from tensorflow.python.framework import config as tf_config

    from tp2core.training.train import train

    tf_config.disable_op_determinism()
    monkeypatch.setattr(tf.config.experimental, "enable_op_determinism", lambda: None)
    try:
        with pytest.raises(RuntimeError, match=r"op determinism is off") as info:
            train(replace(TINY, epochs=1), 0, tiny_dataset(), WHOLE)
        assert "enable_op_determinism" in str(info.value)
    finally:
        tf_config.enable_op_determinism()


def test_a3_observed_settings_recorded(three_runs):
    """Every run records the settings observed in effect: op determinism on, TF32 off, no XLA, backend."""
    env = three_runs[0][0].environment
    assert env["op_determinism"] is True and env["tf32"] is False and env["jit_compile"] is False
    assert env["keras_backend"] == "tensorflow" and "xla_flags" in env


def test_a4_op_without_deterministic_kernel_is_an_error_not_a_result(monkeypatch, tmp_path):
    """UnimplementedError from an op → RunFailed naming the variant; trained once, nothing stored."""
    import tp2core.training.train as train_mod
    from tp2core.errors import RunFailed
    from tp2core.store.database import Store

    calls = []

    def no_kernel(*args, **kwargs):
        calls.append(1)
        raise tf.errors.UnimplementedError(None, None, "A deterministic GPU implementation of X is not available")

    monkeypatch.setattr(train_mod, "_fit", no_kernel)
    ds = tiny_dataset()
    spec = make_spec(TINY, 0, ds, WHOLE)
    with Store(tmp_path) as store:
        with pytest.raises(RunFailed, match=rf"^{TINY.name} \(seed 0\) uses an op without a deterministic kernel"):
            store.get_or_train(spec, lambda: train_mod.train(TINY, 0, ds, WHOLE))
        assert calls == [1]  # not retried as "flaky"
        assert store.get(spec.identity()) is None and store.in_flight() == []


@gpu
def test_a4_gpu_depthwise_conv_backprop_under_determinism(monkeypatch):
    """GPU: a model with an op lacking a deterministic GPU kernel fails as RunFailed naming the variant."""
    import keras

    import tp2core.training.train as train_mod
    from tp2core.errors import RunFailed

    def depthwise(variant):
        inputs = keras.Input((32, 32, 3))
        h = keras.layers.DepthwiseConv2D(3, name="depthwise")(inputs)
        h = keras.layers.Flatten()(h)
        h = keras.layers.Dense(16, name="dense_1")(h)
        h = keras.layers.Dense(16, name="dense_2")(h)
        return keras.Model(inputs, keras.layers.Dense(100, activation="softmax", name="output")(h))

    monkeypatch.setattr(train_mod, "build_model", depthwise)
    with pytest.raises(RunFailed, match="deterministic kernel"):
        train_mod.train(TINY, 0, tiny_dataset(), WHOLE)


def test_a5_unseeded_random_op_reported_and_training_seeds_everything():
    """Under determinism an unseeded op raises TF's 'Random ops require a seed'; train() seeds first, so it runs."""
    from tensorflow.python.framework import config as tf_config

    from tp2core.training.train import train

    tf_config.enable_op_determinism()
    tf.random.set_seed(None)  # no global seed, as in a fresh process
    with pytest.raises(RuntimeError, match="Random ops require a seed"):
        tf.random.normal([2])
    result = train(replace(TINY, epochs=1), 0, tiny_dataset(), WHOLE)
    assert result.ok
    tf.random.normal([2])  # the global seed train() set makes later unseeded ops legal and reproducible


@pytest.mark.parametrize("seed", ["3", -1, 2**32, 3.0, True, None])
def test_a6_bad_seed_values_validated_up_front(seed):
    """Bad seeds are refused by the cheap spec step (no TF work), naming the parameter and the value."""
    with pytest.raises(ConfigError, match=r"^'seed' must be an int in \[0, 2\*\*32\) \(got "):
        make_spec(TINY, seed, tiny_dataset(), WHOLE)


def test_a6_numpy_int_seed_normalised():
    """np.int64(3) is the seed 3: same run identity as the plain int."""
    ds = tiny_dataset()
    assert make_spec(TINY, np.int64(3), ds, WHOLE) == make_spec(TINY, 3, ds, WHOLE)


def test_a7_baseline_from_another_environment_uses_tolerance_not_bitwise():
    """A reference made with other TF/Keras/device: within-band results pass, out-of-band fail (never bitwise)."""
    runs = [make_run("model0", s, a) for s, a in enumerate((0.20, 0.21))]
    ref = gate.build_reference(meta(), runs, [])
    ref["environment"] = {"tensorflow": "2.15.0", "keras": "3.0.0", "device": "GPU (NVIDIA A100)", "tf32": True}
    moved = [make_run("model0", s, a + 0.005) for s, a in enumerate((0.20, 0.21))]  # drift of 0.5 points
    assert gate.compare(ref, meta(), moved, []) == []
    broken = [make_run("model0", s, a - 0.10) for s, a in enumerate((0.20, 0.21))]
    assert any("left its reference band" in p for p in gate.compare(ref, meta(), broken, []))


def test_a7_other_dataset_fingerprint_is_incomparable():
    """A reference from other data is reported incomparable, not compared."""
    runs = [make_run("model0", 0, 0.2)]
    ref = gate.build_reference(meta(fp="a" * 64), runs, [])
    problems = gate.compare(ref, meta(fp="b" * 64), runs, [])
    assert len(problems) == 1 and problems[0].startswith("incomparable")


def test_a8_thread_count_is_part_of_run_identity(three_runs):
    """Runs under another intra-op thread cap never reuse each other's results; the count is recorded."""
    ds = tiny_dataset()
    assert make_spec(TINY, 0, ds, WHOLE, threads=1).identity() != make_spec(TINY, 0, ds, WHOLE, threads=2).identity()
    result = three_runs[0][0]
    assert result.spec.threads == 1 and result.environment["intra_op_threads"] == 1


def test_a8_plugin_pins_threads_whatever_the_worker_count(pytester, monkeypatch):
    """With the plugin loaded, every xdist worker's session builds its runs with 1 thread by default (the
    option travels in the session's options and each spec, not through the environment)."""
    monkeypatch.delenv("TP2_THREADS", raising=False)
    pytester.makeconftest('pytest_plugins = ["tp2core.plugin"]')
    pytester.makepyfile(test_threads="""
        import os, pytest
        from tp2core.plugin import SESSION_KEY
        @pytest.mark.parametrize("i", range(4))
        def test_pinned(i, request):
            assert request.config.stash[SESSION_KEY].options.threads == 1 and os.environ.get("PYTEST_XDIST_WORKER")
            assert "TP2_THREADS" not in os.environ
    """)
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(passed=4)


COLLECT = ["-m", "pytest", "benchmarks", "--collect-only", "-q", "-p", "no:cacheprovider", "--tp2-profile", "smoke"]


def test_a9_collection_is_deterministic_across_hash_seeds(tmp_path):
    """The claim suite collects the same node ids in the same order under different PYTHONHASHSEEDs."""
    from tp2core.data.simulate import write_simulated_archive

    archive = write_simulated_archive(tmp_path / "data", per_class_train=5, per_class_test=5, seed=3)
    lists = []
    for hash_seed in ("1", "2"):
        env = child_env(PYTHONHASHSEED=hash_seed, TP2_CACHE=str(tmp_path / "cache"), TP2_STORE=str(tmp_path / "s"))
        out = subprocess.run([sys.executable, *COLLECT, "--tp2-dataset", str(archive)], cwd=REPO, env=env,
                             capture_output=True, text=True, timeout=300).stdout
        lists.append([line for line in out.splitlines() if "::" in line])
    assert len(lists[0]) > 10 and lists[0] == lists[1]


def test_a9_nondeterministic_collection_under_xdist_is_an_error(pytester):
    """A module parametrized from random.sample is not masked under -n 2: the session fails, never green."""
    pytester.makepyfile(test_random="""
        import random, pytest
        @pytest.mark.parametrize("x", random.sample(range(10**6), 5))
        def test_x(x):
            pass
    """)
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider", timeout=120)
    assert result.ret != 0
    assert "Different tests were collected between" in result.stdout.str() + result.stderr.str()


def test_a10_device_and_jit_recorded_per_run(three_runs):
    """Each run records the device it ran on and whether XLA compiled it, so tables can tell CPU from GPU."""
    env = three_runs[0][0].environment
    assert env["device"] == "CPU" and env["gpus"] == [] and env["jit_compile"] is False
    assert json.loads(three_runs[0][0].to_json())["environment"]["device"] == "CPU"


def test_a10_table_never_averages_cpu_and_gpu_runs():
    """A store holding CPU and GPU runs of one variant: one row per device, with an explicit device column."""
    from dataclasses import replace as replace_

    from tp2core.output import tables as table

    cpu = [make_run("model0", s, 0.20) for s in (0, 1)]
    gpu_run = make_run("model0", 2, 0.30)
    gpu_run = replace_(gpu_run, environment={**gpu_run.environment, "device": "NVIDIA H100", "jit_compile": False})
    rows = table.variant_rows([*cpu, gpu_run])
    assert [(r["variant"], r["device"], r["n"]) for r in rows] == [("model0", "NVIDIA H100", "1/1"),
                                                                 ("model0", "cpu (test)", "2/2")]
    assert rows[1]["val acc % (mean ± sd)"] == "20.00 ± 0.00"
    assert "device" not in table.variant_rows(cpu)[0]  # one device: the usual table


@gpu
def test_a10_gpu_run_records_gpu_and_tf32_off():
    """GPU: a run records the GPU's name, TF32 off and op determinism on."""
    from tp2core.training.train import train

    env = train(TINY, 0, tiny_dataset(), WHOLE).environment
    assert env["device"] != "CPU" and env["gpus"] and env["tf32"] is False and env["op_determinism"] is True


@gpu
def test_a1_gpu_same_seed_twice_identical():
    """GPU: with op determinism on, the same (variant, seed) twice gives identical weights."""
    from tp2core.training.train import train_model

    hashes = {_weights_hash(train_model(TINY, 0, tiny_dataset(), WHOLE)[1]) for _ in range(2)}
    assert len(hashes) == 1
