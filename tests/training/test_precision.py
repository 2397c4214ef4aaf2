"""Opt-in precision: validation, run identity, the trainer's dtype policy and TF32 (and that neither leaks into
the next run), table headers, the gate and report selection keep precisions apart, P1 counts float32 only."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from tp2core.output import gate

from tp2core.training import precision

from tp2core.output import tables as table
from tp2core.cli.report import select_runs
from tp2core.errors import ConfigError, Tp2Error
from tp2core.perf.measure import p1_fraction
from tp2core.session import Options

from runs_factory import make_run, meta


class TestValidation:
    @pytest.mark.parametrize("bad", ["bf16", "", None, "FLOAT32", 32])
    def test_unknown_precision_names_input_and_choices(self, bad):
        with pytest.raises(ConfigError, match=r"'precision' must be one of float32, tf32, mixed_bfloat16 \(got "):
            precision.check_precision(bad)

    def test_env_default_and_bad_env(self, monkeypatch):
        monkeypatch.delenv(precision.PRECISION_ENV, raising=False)
        assert precision.training_precision() == "float32"
        monkeypatch.setenv(precision.PRECISION_ENV, "mixed_bfloat16")
        assert precision.training_precision() == "mixed_bfloat16"
        monkeypatch.setenv(precision.PRECISION_ENV, "half")
        with pytest.raises(ConfigError, match="'TP2_PRECISION' must be one of .* \\(got 'half'\\)"):
            precision.training_precision()

    def test_options_validate(self):
        assert Options(precision="tf32").precision == "tf32"
        with pytest.raises(ConfigError, match="'precision' must be one of"):
            Options(precision="fp16")

    def test_cli_rejects_unknown_precision(self):
        proc = subprocess.run([sys.executable, "-m", "tp2core.cli", "run", "model0", "--precision", "fp8"],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2 and "invalid choice: 'fp8'" in proc.stderr and "Traceback" not in proc.stderr


class TestIdentityAndReporting:
    def test_precision_changes_identity(self):
        runs = [make_run(precision=p) for p in precision.PRECISIONS]
        assert len({r.identity for r in runs}) == 3

    def test_header_names_the_precision(self):
        text = "\n".join(table.header_lines(meta(precision="mixed_bfloat16")))
        assert "precision: mixed_bfloat16 — bfloat16 compute" in text
        assert "precision: float32 — float32 everywhere (the recipe)" in table.header_lines(meta())

    def test_gate_refuses_another_precision(self):
        runs = [make_run("model0", s, 0.2) for s in (0, 1)]
        reference = gate.build_reference(meta(), runs, [])
        assert reference["precision"] == "float32"
        assert gate.compare(reference, meta(), runs, []) == []
        problems = gate.compare(reference, meta(precision="mixed_bfloat16"), runs, [])
        assert len(problems) == 1 and "precision 'float32', this session ran 'mixed_bfloat16'" in problems[0]

    def test_reference_files_per_precision(self):
        assert gate.default_reference_path("simulated", "smoke").name == "simulated-smoke.json"
        path = gate.default_reference_path("simulated", "smoke", precision="mixed_bfloat16")
        assert path.name == "simulated-smoke-mixed_bfloat16.json"

    def test_report_never_mixes_precisions(self):
        f32 = make_run("model0", 0, 0.2)
        bf16 = replace(make_run("model0", 0, 0.3, precision="mixed_bfloat16"), created="2026-01-02")
        f32 = replace(f32, created="2026-01-01")
        chosen, notes = select_runs([f32, bf16])
        assert chosen == [bf16] and "precisions" in notes[0] and "mixed_bfloat16" in notes[0]
        assert select_runs([f32, bf16], precision="float32")[0] == [f32]
        with pytest.raises(Tp2Error, match="precision 'tf32'"):
            select_runs([f32, bf16], precision="tf32")

    def test_p1_counts_float32_rows_only(self):
        row = {"model": "model2", "hidden_units": [1000] * 3, "batch": 128, "trainer": "tp2", "backend": "tensorflow"}
        assert p1_fraction([{**row, "precision": "mixed_bfloat16", "fraction": 1.2}]) is None
        assert p1_fraction([{**row, "precision": "float32", "fraction": 0.7}]) == 0.7


def _weights_hash(model) -> str:
    return hashlib.sha256(b"".join(np.asarray(w).tobytes() for w in model.get_weights())).hexdigest()


@pytest.fixture(scope="module")
def trained():
    """Four tiny runs in this process, in order: float32, mixed_bfloat16, tf32, float32 again."""
    pytest.importorskip("tensorflow")
    import keras

    from test_train import TINY, WHOLE, tiny_dataset
    from tp2core.training.train import train_model

    ds, out = tiny_dataset(), {}
    for name in ("float32", "mixed_bfloat16", "tf32", "float32 again"):
        result, model = train_model(TINY, 0, ds, WHOLE, precision=name.split()[0])
        out[name] = (result, model, keras.mixed_precision.global_policy().name)
    return out


class TestTrainer:
    def test_bfloat16_compute_float32_state(self, trained):
        """mixed_bfloat16: hidden layers compute in bfloat16; weights, the output softmax and the loss stay float32."""
        result, model, _ = trained["mixed_bfloat16"]
        assert result.ok and result.spec.precision == "mixed_bfloat16"
        assert result.environment["dtype_policy"] == "mixed_bfloat16"
        assert {layer.compute_dtype for layer in model.layers if layer.weights and layer.name != "output"} == {"bfloat16"}
        assert model.get_layer("output").compute_dtype == "float32"
        assert {str(w.dtype) for w in model.weights} == {"float32"}
        assert _weights_hash(model) != _weights_hash(trained["float32"][1])  # other numerics, other weights

    def test_tf32_is_recorded(self, trained):
        result, _, _ = trained["tf32"]
        assert result.spec.precision == "tf32" and result.environment["tf32"] is True
        assert trained["float32"][0].environment["tf32"] is False

    def test_nothing_leaks_into_the_next_run(self, trained):
        """After a bf16 and a TF32 run in the same process, float32 is restored: the next float32 run is
        bitwise the first one."""
        for name in trained:
            assert trained[name][2] == "float32"  # global policy after each run
        assert precision.tf32_enabled() is False
        assert _weights_hash(trained["float32 again"][1]) == _weights_hash(trained["float32"][1])
        assert trained["float32 again"][0].history == trained["float32"][0].history

    def test_problems_are_observed(self, trained):
        """A model built under another policy, or TF32 left on, is named before training."""
        _, model, _ = trained["float32"]
        assert precision.problems(model, "float32") == []
        assert "layer dense_1 computes in float32" in precision.problems(model, "mixed_bfloat16")[0]
        precision.set_tf32(True)
        try:
            assert precision.problems(model, "float32") == ["TensorFloat-32 is on under precision float32"]
        finally:
            precision.set_tf32(False)
