"""tp2 perf: GEMM shapes and FLOP arithmetic of the floor, the P1 row pick, and the CLI's JSON contract."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tp2core.perf.measure import (
    FloorEpoch,
    bound_img_s,
    forward_macs,
    gflop_per_s,
    layer_shapes,
    make_cases,
    p1_fraction,
    step_gemms,
    trainers_for,
)
from tp2core.recipe.variants import MODEL2

REPO = Path(__file__).resolve().parents[2]


class TestArithmetic:
    def test_model2_shapes_and_macs(self):
        """model2: 3072→1000→1000→1000→100, 5,172,000 forward MACs per image."""
        assert layer_shapes(MODEL2) == [(3072, 1000), (1000, 1000), (1000, 1000), (1000, 100)]
        assert forward_macs(MODEL2) == 5_172_000
        assert gflop_per_s(MODEL2, 1000.0) == pytest.approx(31.032)  # 6 FLOPs per MAC per image

    def test_step_gemms(self):
        """Per step: forward and weight gradient of every layer, input gradient of all but the first."""
        gemms = step_gemms(MODEL2, 128)
        assert len(gemms) == 4 + 4 + 3
        macs = sum(a[0] * a[1] * b[1] for a, b in gemms)
        assert macs == 128 * (3 * forward_macs(MODEL2) - 3072 * 1000)
        assert ((128, 3072), (3072, 1000)) in gemms and ((128, 1000), (1000, 3072)) not in gemms

    def test_floor_epoch_runs_its_steps(self):
        """A floor epoch of a tiny model runs its GEMMs into preallocated outputs, steps = images / batch."""
        case = make_cases(["model0"], [8], steps=3, width_cap=4)[0]
        floor = FloorEpoch(case)
        floor()
        assert floor.steps == 3 and case.images == 24
        assert [out.shape for _, _, out in floor.ops][:2] == [(8, 4), (3072, 4)]

    def test_floor_plus_update_bound(self):
        """GEMMs at 10,000 img/s and an update alone at 40,000 img/s back to back: 8,000 img/s (times add)."""
        assert bound_img_s(10_000.0, 40_000.0) == pytest.approx(8_000.0)
        assert bound_img_s(10_000.0, 1e12) == pytest.approx(10_000.0)  # a free update leaves the floor

    def test_width_cap(self):
        """--width-cap caps every hidden width, like a profile's max_width; batch sizes multiply the cases."""
        cases = make_cases(["model4", "model2"], [16, 32], steps=2, width_cap=50)
        assert [(c.variant.name, c.batch_size, c.images) for c in cases] == [
            ("model4", 16, 32), ("model4", 32, 64), ("model2", 16, 32), ("model2", 32, 64)
        ]
        assert cases[0].variant.hidden_units == (50,) * 5


class TestP1:
    @staticmethod
    def row(**kw):
        base = {"model": "model2", "hidden_units": [1000] * 3, "batch": 128, "trainer": "tp2"}
        return {**base, "backend": "tensorflow", "fraction": 0.93, **kw}

    def test_picks_tp2_tensorflow_model2_b128(self):
        """P1 is the tp2/TensorFlow/model2/batch-128 row's fraction, whatever else was measured."""
        rows = [self.row(trainer="fit", fraction=0.66), self.row(batch=1024, fraction=0.99), self.row()]
        assert p1_fraction(rows) == 0.93

    def test_other_rows_and_keys(self):
        """The same pick serves the floor+adam row and the tp2 row's of_bound."""
        rows = [self.row(trainer="floor+adam", fraction=0.79), self.row(of_bound=0.89)]
        assert p1_fraction(rows, trainer="floor+adam") == 0.79 and p1_fraction(rows, key="of_bound") == 0.89

    def test_none_when_not_measured(self):
        """Capped widths, other backends or batches are not P1: None, not a misleading number."""
        assert p1_fraction([self.row(hidden_units=[16] * 3), self.row(backend="jax"), self.row(batch=64)]) is None


def run_cli(*argv, env=None):
    return subprocess.run(
        [sys.executable, "-m", "tp2core.cli", "perf", *argv],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})},
    )


def perf_json(*argv, backend="tensorflow", batch="16", steps="2", width_cap=("--width-cap", "8")) -> dict:
    """`tp2 perf --json` with 1 thread and 1 steady epoch on model2 (tiny unless width_cap=()); the parsed JSON."""
    proc = run_cli(
        "--json", "--batch-sizes", batch, "--steps", steps, "--epochs", "1", "--threads", "1", *width_cap, *argv,
        env={"KERAS_BACKEND": backend},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


class TestCli:
    def test_json_contract_on_a_tiny_model(self):
        """`tp2 perf --json` on a tiny model, 1 steady epoch: one JSON object with the contract keys."""
        pytest.importorskip("tensorflow")
        out = perf_json("--models", "model2")
        assert out["p1_fraction_b128"] is None  # widths capped: not the P1 model
        assert [r["trainer"] for r in out["rows"]] == ["floor", "floor-tf", "adam", "floor+adam", "tp2", "fit"]
        for row in out["rows"]:
            assert {"model", "batch", "trainer", "backend", "img_s", "floor_img_s", "fraction"} <= set(row)
            assert row["model"] == "model2" and row["batch"] == 16 and row["img_s"] > 0 and row["epochs"] == 1
            assert row["fraction"] == pytest.approx(row["img_s"] / row["floor_img_s"], rel=1e-3, abs=1e-4)  # 4 decimals
        assert out["rows"][0]["backend"] == "numpy-blas" and out["rows"][2]["backend"] == "tensorflow"
        rows = {r["trainer"]: r for r in out["rows"]}
        bound = bound_img_s(rows["floor"]["floor_img_s"], rows["adam"]["img_s"])
        assert rows["floor+adam"]["img_s"] == pytest.approx(bound, rel=1e-3)
        for trainer in ("tp2", "fit"):
            expected = rows[trainer]["img_s"] / bound  # JSON keeps 4 decimals; inputs are rounded to 0.1 img/s
            assert rows[trainer]["of_bound"] == pytest.approx(expected, rel=1e-3, abs=1e-4)
        assert out["p1_bound_b128"] is None and out["p1_fraction_of_bound_b128"] is None

    def test_precision_labels_rows_and_keeps_p1_float32(self):
        """--precision mixed_bfloat16: every row says so, and P1 (a float32 target) is not claimed from them."""
        pytest.importorskip("tensorflow")
        out = perf_json("--models", "model2", "--precision", "mixed_bfloat16", batch="128", steps="1", width_cap=())
        assert out["precision"] == "mixed_bfloat16" and {r["precision"] for r in out["rows"]} == {"mixed_bfloat16"}
        assert out["p1_fraction_b128"] is None and out["p1_bound_b128"] is None  # the uncapped P1 model, but bf16

    def test_json_contract_on_the_active_other_backend(self):
        """On JAX or torch (their tox envs): numpy floor, the backend's own GEMM floor and plain fit."""
        backend = os.environ.get("KERAS_BACKEND", "tensorflow")
        if backend == "tensorflow":
            pytest.skip("runs where KERAS_BACKEND is jax or torch (tox -e py311-jax, py311-torch)")
        pytest.importorskip(backend)
        rows = perf_json("--backend", backend, backend=backend)["rows"]
        assert [(r["trainer"], r["backend"]) for r in rows] == [
            ("floor", "numpy-blas"), (trainers_for(backend)[1], backend), ("fit", backend)
        ]
        assert max(r["fraction"] for r in rows[:2]) == 1.0 and all(r["img_s"] > 0 for r in rows)

    def test_trainers_per_backend(self):
        """tp2's loop and its update row are TensorFlow code; every backend gets both floors and plain fit."""
        assert trainers_for("tensorflow") == ("floor", "floor-tf", "adam", "tp2", "fit")
        assert trainers_for("jax") == ("floor", "floor-jax", "fit")
        assert trainers_for("torch") == ("floor", "floor-torch", "fit")

    @pytest.mark.parametrize(
        "argv, message",
        [
            (["--threads", "0"], "'--threads' must be a positive int (got 0)."),
            (["--batch-sizes", "0"], "'--batch-sizes' must be positive ints (got [0])."),
            (["--models", "model9"], "unknown variant 'model9'"),
            (["--backend", "jax"], "'--backend' must match the active Keras backend (got 'jax', KERAS_BACKEND="),
        ],
    )
    def test_bad_arguments(self, argv, message):
        """Bad options exit 2 with one tp2 error line naming the option, before anything is measured."""
        proc = run_cli(*argv, env={"KERAS_BACKEND": "tensorflow"})
        assert proc.returncode == 2 and message in proc.stderr, proc.stderr[-2000:]
