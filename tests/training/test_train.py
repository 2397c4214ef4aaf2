"""Trainer: seed validation, complete RunResults, NaN → failed run, and bitwise determinism across processes."""

import json
import math
import re
import subprocess
import sys
import textwrap
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from tp2core.data.dataset import Dataset, array_fingerprint
from tp2core.training.backend import configure_threads, training_threads
from tp2core.errors import ConfigError
from tp2core.recipe.models import parameter_counts
from tp2core.training.runs import RunResult
from tp2core.training.train import _make_monitor, _non_finite_model, make_spec, train, train_model, validate_seed
from tp2core.recipe.variants import MODEL1, MODEL2, MODEL5, Profile

pytest.importorskip("tensorflow")
configure_threads(training_threads())  # at collection, before any test runs a TF op in this process

REPO = Path(__file__).resolve().parents[2]
WHOLE = Profile(name="unit", train_per_class=None, test_per_class=None)  # tiny data is used whole
TINY = replace(MODEL2, hidden_units=(32, 32, 32), epochs=2, batch_size=50)


def tiny_dataset(train_per_class: int = 2, seed: int = 0) -> Dataset:
    """100 classes × 2 random images (train) and × 2 (test): seconds to train."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(100), train_per_class).astype(np.int64)
    yt = np.repeat(np.arange(100), 2).astype(np.int64)
    x = rng.integers(0, 256, (len(y), 32, 32, 3), dtype=np.uint8)
    xt = rng.integers(0, 256, (len(yt), 32, 32, 3), dtype=np.uint8)
    names = [f"class{i}" for i in range(100)]
    return Dataset(x, y, xt, yt, y // 5, yt // 5, names, "tiny", array_fingerprint(x, y, xt, yt))


class TestSeedValidation:
    @pytest.mark.parametrize("seed", ["3", 3.0, True, -1, 2**32, None])
    def test_rejected_with_exact_message(self, seed):
        """Anything but an int in [0, 2**32) is refused up front, naming the parameter and the value."""
        with pytest.raises(ConfigError) as info:
            validate_seed(seed)
        assert str(info.value) == f"'seed' must be an int in [0, 2**32) (got {seed!r})."

    def test_numpy_int_accepted(self):
        """np.int64(3) becomes the Python int 3; the largest seed is 2**32 - 1."""
        assert validate_seed(np.int64(3)) == 3 and type(validate_seed(np.int64(3))) is int
        assert validate_seed(2**32 - 1) == 2**32 - 1

    def test_train_validates_before_work(self):
        """train() with seed '3' raises the ConfigError, not Keras' generic error mid-run."""
        with pytest.raises(ConfigError, match=r"^'seed' must be an int in \[0, 2\*\*32\) \(got '3'\)\.$"):
            train(TINY, "3", tiny_dataset(), WHOLE)


class TestMakeSpec:
    def test_profile_applied(self):
        """The spec holds the variant as trained (quick epochs/batch/widths), the subset sizes and the threads."""
        spec = make_spec("model4", 2, tiny_dataset(), "quick", threads=1)
        assert (spec.variant.epochs, spec.variant.batch_size, spec.variant.hidden_units) == (100, 1024,
                                                                                              (1000,) + (100,) * 4)
        assert (spec.profile, spec.train_per_class, spec.test_per_class) == ("quick", 200, 50)
        assert spec.variant.input_pool == 2
        assert (spec.seed, spec.threads, spec.dataset_name) == (2, 1, "tiny")

    def test_identity_changes_with_seed_and_threads(self):
        """Seed and thread count are part of a run's identity."""
        ds = tiny_dataset()
        base = make_spec(MODEL2, 0, ds, "smoke", threads=1).identity()
        assert base == make_spec("model2", 0, ds, "smoke", threads=1).identity()
        assert base != make_spec(MODEL2, 1, ds, "smoke", threads=1).identity()
        assert base != make_spec(MODEL2, 0, ds, "smoke", threads=2).identity()

    def test_unknown_names(self):
        """Unknown variant/profile names list the valid ones."""
        with pytest.raises(ConfigError, match="valid variants: model0"):
            make_spec("model9", 0, tiny_dataset(), "quick")
        with pytest.raises(ConfigError, match="valid profiles: smoke, quick, paper"):
            make_spec("model0", 0, tiny_dataset(), "fast")


class TestTrain:
    def test_result_is_complete(self):
        """An ok run fills every field: metrics, history per epoch, timings, params, grad norms, environment."""
        seen = []
        variant = replace(MODEL5, hidden_units=(32, 16), hidden_activations=("relu", "relu"), epochs=2, batch_size=50)
        profile = Profile(name="unit", train_per_class=2, test_per_class=1, epochs={2: 2})
        result = train(variant, 0, tiny_dataset(train_per_class=3), profile, on_epoch=lambda e, logs: seen.append(e))
        assert result.ok and result.failure is None and seen == [1, 2]
        assert result.train_images == 2 * 200  # subset 2/class, then full augmentation doubles it
        assert 0 <= result.val_accuracy <= 1 and math.isfinite(result.val_loss)
        assert result.train_accuracy is not None and result.train_loss is not None
        assert {k: len(v) for k, v in result.history.items()} == dict.fromkeys(
            ["accuracy", "loss", "val_accuracy", "val_loss"], 2
        )
        assert result.val_accuracy == result.history["val_accuracy"][-1]
        assert len(result.epoch_seconds) == 2 and result.train_seconds >= sum(result.epoch_seconds)
        assert result.images_per_second == pytest.approx(400 / result.epoch_seconds[1])  # first epoch excluded
        assert result.params_per_layer == parameter_counts(variant)
        assert set(result.grad_norms) == {"init", "epoch1"}
        assert all(set(g) == {"dense_1", "dense_2", "output"} for g in result.grad_norms.values())
        assert result.grad_norms["init"] != result.grad_norms["epoch1"]
        env = result.environment
        assert env["op_determinism"] is True and env["jit_compile"] is False
        assert env["intra_op_threads"] == result.spec.threads == 1 and env["inter_op_threads"] == 1
        assert datetime.fromisoformat(result.created).utcoffset().total_seconds() == 0
        assert RunResult.from_json(result.to_json()) == result

    def test_single_batch_bug_size(self):
        """model2-bugaug-like run: N originals + exactly one batch of augmented images."""
        result = train(replace(TINY, augmentation="single_batch_bug", epochs=1), 0, tiny_dataset(), WHOLE)
        assert result.train_images == 200 + 50

    def test_hidden_softmax_gradients_shrink(self):
        """The probe sees model1's point: gradients reaching the first layer are smaller behind hidden softmaxes."""
        ds = tiny_dataset()
        relu = train(replace(TINY, epochs=1), 0, ds, WHOLE).grad_norms["init"]["dense_1"]
        soft = replace(MODEL1, hidden_units=(32, 32, 100, 100), epochs=1, batch_size=50)
        assert train(soft, 0, ds, WHOLE).grad_norms["init"]["dense_1"] < relu / 10


NAN_WEIGHTS = "non-finite weights in dense_1/kernel at epoch 1, batch {batch} (1-based)"


class TestNonFinite:
    def test_nan_input_fails_the_run(self):
        """NaN in every training image → failed at epoch 1, batch 1; no accuracy recorded.

        Which check fires first depends on the CPU's kernels: with oneDNN (Intel) ReLU maps NaN to 0, the loss stays
        finite and the per-batch weight check catches it; with Eigen's kernels (seen on AMD EPYC) the loss is NaN."""
        ds = tiny_dataset()
        x = ds.x_train.astype(np.float32)
        x[:, 0, 0, 0] = np.nan  # uint8 cannot hold NaN: a float array reaches the model unchanged
        result = train(TINY, 0, replace(ds, x_train=x), WHOLE)
        assert result.status == "failed" and not result.ok
        assert result.failure in (NAN_WEIGHTS.format(batch=1), "non-finite loss (nan) at epoch 1, batch 1 (1-based)")
        assert result.val_accuracy is None and result.val_loss is None and result.train_accuracy is None
        json.loads(result.to_json())  # still storable: NaNs became None

    def test_nan_in_one_image_names_its_batch(self):
        """One poisoned image: the failure names epoch 1 and a batch within the epoch's 4 batches."""
        ds = tiny_dataset()
        x = ds.x_train.astype(np.float32)
        x[123, 5, 5, 1] = np.nan
        result = train(TINY, 0, replace(ds, x_train=x), WHOLE)
        match = re.fullmatch(r"non-finite (weights in dense_1/kernel|loss \(nan\)) at epoch 1, batch (?P<batch>\d) "
                             r"\(1-based\)", result.failure)
        assert match and 1 <= int(match["batch"]) <= 4

    @pytest.mark.parametrize("loss", [float("nan"), float("inf")])
    def test_non_finite_loss_stops_training(self, loss):
        """A non-finite batch loss stops fit at once and names the epoch and batch (1-based)."""
        _, model = train_model(replace(TINY, epochs=1), 0, tiny_dataset(), WHOLE)
        monitor = _make_monitor(None, None)
        monitor.set_model(model)
        monitor.on_train_begin()
        monitor.on_epoch_begin(2)
        monitor.on_train_batch_end(5, {"loss": 4.6})
        assert monitor.failure is None and not model.stop_training
        monitor.on_train_batch_end(6, {"loss": loss})
        assert monitor.failure == f"non-finite loss ({loss}) at epoch 3, batch 7 (1-based)"
        assert model.stop_training

    def test_nan_weights_detected(self):
        """A model whose weights went non-finite is flagged even when the loss looked fine."""
        _, model = train_model(replace(TINY, epochs=1), 0, tiny_dataset(), WHOLE)
        weights = model.get_weights()
        weights[0][0, 0] = np.inf
        model.set_weights(weights)
        message = _non_finite_model(model, np.zeros((4, 32, 32, 3), np.float32), 4)
        assert message is not None and message.startswith("non-finite weights in dense_1/kernel")


CHILD = """
import hashlib, json, sys
from dataclasses import replace
sys.path[:0] = ["tests", "tests/training"]
from test_train import TINY, WHOLE, tiny_dataset
from tp2core.training.train import train_model
result, model = train_model(TINY, int(sys.argv[1]), tiny_dataset(), WHOLE, threads=1)
digest = hashlib.sha256(b"".join(w.tobytes() for w in model.get_weights())).hexdigest()
print(json.dumps({"history": result.history, "weights": digest, "grads": result.grad_norms}))
"""


class TestDeterminism:
    def test_same_seed_two_processes_identical_other_seed_differs(self):
        """Seed 0 in two fresh processes → identical history and weight hash; seed 1 → different (A1, A2)."""
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", textwrap.dedent(CHILD), str(seed)],
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO)},
            )
            for seed in (0, 0, 1)
        ]
        outs = []
        for proc in procs:
            stdout, stderr = proc.communicate(timeout=180)
            assert proc.returncode == 0, stderr[-2000:]
            outs.append(json.loads(stdout.strip().splitlines()[-1]))
        first, again, other = outs
        assert first == again
        assert first["weights"] != other["weights"] and first["history"] != other["history"]


class TestCliRuns:
    """``tp2 run`` / ``tp2 runs`` (tp2core.cli.runs) with a stand-in for the data loader and a real store."""

    @pytest.fixture
    def cli(self, monkeypatch, tmp_path):
        import tp2core.data.load
        from tp2core.cli import main

        monkeypatch.setattr(tp2core.data.load, "load_dataset", lambda spec, **kw: tiny_dataset())
        return lambda *argv: main([*argv, "--store", str(tmp_path)])

    def test_run_trains_then_reuses(self, cli, capsys):
        """The first `tp2 run` trains and prints one line; the same command again reuses the stored run."""
        assert cli("run", "model0", "--profile", "smoke", "--seed", "1", "--dataset", "x") == 0
        first = capsys.readouterr().out.strip()
        assert re.fullmatch(r"model0 seed=1 profile=smoke dataset=tiny val_accuracy=0\.\d{4} seconds=[\d.]+ trained", first)
        assert cli("run", "model0", "--profile", "smoke", "--seed", "1", "--dataset", "x") == 0
        assert capsys.readouterr().out.strip().endswith(" reused")
        assert cli("runs") == 0
        table = capsys.readouterr().out
        assert "model0" in table and "1 runs in" in table

    def test_unknown_variant_lists_valid_names(self, cli, capsys):
        """An unknown variant exits 2 with one error line listing the valid variants."""
        assert cli("run", "model9") == 2
        assert "unknown variant 'model9'; valid variants: model0, model1" in capsys.readouterr().err

    def test_bad_seed(self, cli, capsys):
        """A negative seed is refused with the seed message, before any training."""
        assert cli("run", "model0", "--seed", "-1") == 2
        assert "'seed' must be an int in [0, 2**32) (got -1)." in capsys.readouterr().err
