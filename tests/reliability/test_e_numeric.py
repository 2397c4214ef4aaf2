"""Reliability E1–E6: NaN/Inf, degenerate models, out of memory, GPU sharing and process set-up order."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from tp2core.training import hardware as devices
from tp2core.training.backend import configure_threads, training_threads
from tp2core.errors import RunFailed
from tp2core.store.database import Store
from tp2core.training.train import make_spec, train

from rel_helpers import REPO, TINY, WHOLE, child_env, run_child, tiny_dataset

pytest_plugins = ["pytester"]
tf = pytest.importorskip("tensorflow")
configure_threads(training_threads())

gpu = pytest.mark.skipif(not tf.config.list_physical_devices("GPU"), reason="needs a GPU; run it in a GPU session")


def test_e1_nan_input_row_fails_the_run_with_batch_index_and_no_accuracy(tmp_path):
    """One NaN pixel: the stored run is 'failed', names epoch and batch, and carries no accuracy at all."""
    ds = tiny_dataset()
    x = ds.x_train.astype(np.float32)
    x[17, 3, 3, 0] = np.nan
    bad = replace(ds, x_train=x)
    with Store(tmp_path) as store:
        result, _ = store.get_or_train(make_spec(TINY, 0, bad, WHOLE), lambda: train(TINY, 0, bad, WHOLE))
        stored = store.get(result.identity)
    assert stored.status == "failed" and re.search(r"at epoch 1, batch \d+ \(1-based\)", stored.failure)
    assert stored.val_accuracy is None and stored.train_accuracy is None and stored.val_loss is None


def test_e2_nan_weights_at_eval_fail_the_run(monkeypatch):
    """Training that 'finishes' with a finite loss but NaN weights is failed before any comparison uses it."""
    import tp2core.training.train as train_mod

    real_fit = train_mod._fit

    def fit_then_poison(model, *args, **kwargs):
        history = real_fit(model, *args, **kwargs)
        weights = model.get_weights()
        weights[-1][:] = np.nan  # output bias: predictions become NaN, argmax would still pick a class
        model.set_weights(weights)
        return history

    monkeypatch.setattr(train_mod, "_fit", fit_then_poison)
    result = train(replace(TINY, epochs=1), 0, tiny_dataset(), WHOLE)
    assert not result.ok and result.val_accuracy is None
    assert result.failure == "non-finite weights in output/bias after training"


def test_e2_failed_runs_excluded_from_claims():
    """A failed run never enters a claim's statistics; the judgement names it."""
    from tp2core.claims.catalog import CLAIMS
    from tp2core.claims.claim import judge

    from runs_factory import make_run

    claim = next(c for c in CLAIMS if c.name == "relu-beats-course-baseline")
    better = "model2"
    runs = {v: [make_run(v, s, 0.2 + 0.1 * (v == better) + 0.001 * s) for s in range(3)] for v in claim.variants}
    runs[better][0] = make_run(better, 0, status="failed", failure="non-finite weights in dense_1/kernel")
    judgement = judge(claim, runs, dataset="simulated", profile="smoke")
    assert f"excluded 1 run(s): {better} seed 0 failed (non-finite weights in dense_1/kernel)" in judgement.sentence


def test_e3_out_of_memory_names_variant_and_batch_size(monkeypatch, tmp_path):
    """A ResourceExhaustedError becomes RunFailed naming the variant, seed and batch size; nothing is stored."""
    import tp2core.training.train as train_mod

    def oom(*args, **kwargs):
        raise tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor with shape[50,3072]")

    monkeypatch.setattr(train_mod, "_fit", oom)
    ds = tiny_dataset()
    with Store(tmp_path) as store:
        with pytest.raises(RunFailed, match=rf"^{TINY.name} \(seed 0\) ran out of memory at batch size 50: OOM"):
            store.get_or_train(make_spec(TINY, 0, ds, WHOLE), lambda: train_mod.train(TINY, 0, ds, WHOLE))
        assert store.all() == [] and store.in_flight() == []


@gpu
def test_e3_gpu_oversized_batch_fails_the_run_cleanly():
    """GPU: a batch far beyond the GPU's memory fails as RunFailed naming the variant and batch size."""
    huge = replace(TINY, hidden_units=(200_000, 200_000), hidden_activations=("relu", "relu"), batch_size=200)
    with pytest.raises(RunFailed, match="ran out of memory at batch size 200"):
        train(huge, 0, tiny_dataset(), WHOLE)


def test_e4_one_worker_per_gpu_with_memory_growth(monkeypatch):
    """-n auto on a GPU box starts one worker per GPU; each sees one GPU with on-demand memory, no JAX prealloc."""
    assert devices.auto_workers(cpu_count=16, gpu_count=1) == 1
    assert devices.auto_workers(cpu_count=16, gpu_count=0) == 16
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    for var in ("TF_FORCE_GPU_ALLOW_GROWTH", "XLA_PYTHON_CLIENT_PREALLOCATE"):
        monkeypatch.delenv(var, raising=False)
    devices.pin_worker_device("gw3")
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "1"
    assert os.environ["TF_FORCE_GPU_ALLOW_GROWTH"] == "true" and os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"] == "false"


@gpu
def test_e4_gpu_workers_start_without_oom(pytester):
    """GPU: `-n auto` sizes workers by GPUs, and each worker initialises TF on its GPU without OOM."""
    pytester.makeconftest('pytest_plugins = ["tp2core.plugin"]')
    pytester.makepyfile(test_gpu="""
        def test_gpu_visible():
            import tensorflow as tf
            assert len(tf.config.list_physical_devices("GPU")) == 1
            tf.zeros([1024, 1024]) + 1
    """)
    result = pytester.runpytest_subprocess("-n", "auto", "-p", "no:cacheprovider", timeout=300)
    assert result.ret == 0


def test_e5_thread_config_after_tf_init_refused_with_the_reason():
    """Setting the thread count after TF started fails at once naming the cause and the fix, not later."""
    code = """
        import tensorflow as tf
        tf.constant(1.0) + 1
        from tp2core.training.backend import configure_threads
        configure_threads(3)
    """
    proc = run_child(code)
    assert proc.returncode == 1
    assert "ConfigError: 'threads' cannot become 3: TensorFlow already started" in proc.stderr
    assert "TP2_THREADS=3" in proc.stderr


def test_e5_plugin_configures_before_any_framework_import():
    """Loading the pytest plugin and pinning a worker's device import neither TensorFlow nor JAX."""
    code = ("import sys; import tp2core.plugin, tp2core.training.hardware, tp2core.session; "
            "tp2core.training.hardware.pin_worker_device('gw0'); "
            "print(sorted(m for m in ('tensorflow', 'jax', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], env=child_env(), capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "[]", out.stderr[-2000:]


@gpu
def test_e5_gpu_memory_growth_after_init_raises_runtime_error():
    """GPU: set_memory_growth after the first op raises TF's RuntimeError (why tp2 sets it by env var first)."""
    tf.zeros([1]) + 1
    with pytest.raises(RuntimeError, match="Physical devices cannot be modified after being initialized"):
        tf.config.experimental.set_memory_growth(tf.config.list_physical_devices("GPU")[0], True)


def test_e6_tp2_never_forks():
    """No tp2 module forks (os.fork, multiprocessing, ProcessPoolExecutor): nothing can fork after CUDA init."""
    forbidden = {"fork", "forkpty", "multiprocessing", "ProcessPoolExecutor", "Pool"}
    for module in sorted((REPO / "tp2core").glob("*.py")):
        tree = ast.parse(module.read_text())
        names = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        names |= {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                  for a in n.names} | {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not names & forbidden, f"{module.name} uses {names & forbidden}"
