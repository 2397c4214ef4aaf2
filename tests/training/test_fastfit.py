"""Fast training loop: seeded epoch order, fused Adam ≈ Keras Adam, fit's accuracy distribution, determinism,
exact batch of a non-finite step, validation equal to evaluate()."""

from dataclasses import replace

import numpy as np
import pytest

from tp2core.training.backend import configure_threads, training_threads
from tp2core.recipe.variants import MODEL2

pytest.importorskip("tensorflow")
configure_threads(training_threads())  # before any TF op in this process

import keras  # noqa: E402  (after the thread pinning)
import tensorflow as tf  # noqa: E402

from tp2core.training import fastfit  # noqa: E402
from tp2core.training.fastfit import FitPlan  # noqa: E402
from tp2core.recipe.models import build_model, compile_model  # noqa: E402

TINY = replace(MODEL2, hidden_units=(32, 32, 32), epochs=3, batch_size=50)
CLASSES = 10  # labels 0..9 of the 100-way output: learnable in a few epochs


def separable(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n images of 10 classes: a class prototype plus noise (a tiny MLP reaches ~60-90% in 3 epochs)."""
    rng = np.random.default_rng(seed)
    prototypes = np.random.default_rng(123).random((CLASSES, 32, 32, 3), dtype=np.float32)
    y = rng.integers(0, CLASSES, n)
    x = 0.5 * prototypes[y] + 0.5 * rng.random((n, 32, 32, 3), dtype=np.float32)
    return x.astype(np.float32), y.astype(np.int64)


def fresh_model(seed: int, variant=TINY):
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    model = build_model(variant)
    compile_model(model, variant)
    return model


class Recorder(keras.callbacks.Callback):
    """Records the hooks fastfit calls."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def on_train_batch_end(self, batch, logs=None):
        self.calls.append(("batch_end", batch, logs["loss"]))

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(("epoch_end", epoch))


class TestEpochOrder:
    def test_permutation_seeded_per_epoch(self):
        """A permutation of 0..n-1, the same for the same (seed, epoch), different across epochs and seeds."""
        order = fastfit.epoch_order(3, 0, 1000)
        assert order.dtype == np.int32 and np.array_equal(np.sort(order), np.arange(1000))
        assert np.array_equal(order, fastfit.epoch_order(3, 0, 1000))
        assert not np.array_equal(order, fastfit.epoch_order(3, 1, 1000))
        assert not np.array_equal(order, fastfit.epoch_order(4, 0, 1000))


class TestFusedAdam:
    def test_fused_close_to_keras_adam(self):
        """Three epochs with TF's fused Adam land within float32 noise of Keras' own Adam update (same formula;
        only 1-β rounded in float32 differs)."""
        x, y = separable(200)
        weights = []
        for fused in (True, False):
            model = fresh_model(0)
            loop = fastfit.EpochLoop(model, 50)
            assert loop.fused
            loop.fused = fused
            xt, yt = loop.resident(x), loop.resident(y)
            for epoch in range(3):
                loop.train_epoch(xt, yt, fastfit.epoch_order(0, epoch, 200), checked=False)
            assert int(model.optimizer.iterations.numpy()) == 12  # 4 steps per epoch
            weights.append(model.get_weights())
        for a, b in zip(*weights):
            np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)
        assert any(not np.array_equal(a, b) for a, b in zip(*weights))  # two different code paths really ran

    @pytest.mark.parametrize(
        "optimizer",
        [
            lambda: keras.optimizers.AdamW(),
            lambda: keras.optimizers.Adam(clipnorm=1.0),
            lambda: keras.optimizers.Adam(amsgrad=True),
            lambda: keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(1e-3, 10, 0.9)),
        ],
    )
    def test_other_optimizers_use_keras_apply(self, optimizer):
        """Anything the fused kernel would compute differently (AdamW, clipping, AMSGrad, schedules) is not fused."""
        model = build_model(TINY)
        model.compile(optimizer=optimizer(), loss="sparse_categorical_crossentropy")
        assert not fastfit.fused_adam_applicable(model.optimizer, model.trainable_variables)


class TestFit:
    def test_same_order_same_numbers_as_plain_fit(self):
        """Fed fit's order (no shuffle), the loop reproduces fit's history and weights to float32 noise."""
        x, y = separable(600, seed=1)
        xv, yv = separable(300, seed=2)
        model = fresh_model(0)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(fastfit, "epoch_order", lambda seed, epoch, n: np.arange(n, dtype=np.int32))
            fast = fastfit.fit(model, x, y, FitPlan(batch_size=50, epochs=2, seed=0, validation_data=(xv, yv)))
        reference = fresh_model(0)
        plain = reference.fit(x, y, batch_size=50, epochs=2, validation_data=(xv, yv), shuffle=False, verbose=0)
        for key, values in plain.history.items():
            np.testing.assert_allclose(fast[key], values, rtol=1e-4, atol=1e-6)
        for a, b in zip(model.get_weights(), reference.get_weights()):
            np.testing.assert_allclose(a, b, atol=1e-4)

    def test_accuracy_distribution_matches_plain_fit(self):
        """3 seeds each, each with its own shuffling: mean validation accuracy within 0.05 of plain fit's."""
        x, y = separable(600, seed=1)
        xv, yv = separable(300, seed=2)
        fast, plain = [], []
        for seed in range(3):
            model = fresh_model(seed)
            history = fastfit.fit(model, x, y, FitPlan(batch_size=50, epochs=6, seed=seed, validation_data=(xv, yv)))
            fast.append(history["val_accuracy"][-1])
            model = fresh_model(seed)
            fitted = model.fit(x, y, batch_size=50, epochs=6, validation_data=(xv, yv), shuffle=True, verbose=0)
            plain.append(fitted.history["val_accuracy"][-1])
        assert min(fast) > 0.5 and min(plain) > 0.5, (fast, plain)  # learned: chance is 10%
        assert abs(np.mean(fast) - np.mean(plain)) < 0.05, (fast, plain)

    def test_deterministic_for_a_seed(self):
        """Same seed → identical history and weights; another seed → different."""
        x, y = separable(130)  # 130 = 2 full batches of 50 + a partial batch of 30

        def run(seed):
            model = fresh_model(seed)
            plan = FitPlan(batch_size=50, epochs=2, seed=seed, validation_data=(x[:60], y[:60]))
            history = fastfit.fit(model, x, y, plan)
            assert int(model.optimizer.iterations.numpy()) == 6  # the partial batch is a step, as in fit
            return history, model.get_weights()

        (h0, w0), (h0b, w0b), (h1, w1) = run(0), run(0), run(1)
        assert h0 == h0b and all(np.array_equal(a, b) for a, b in zip(w0, w0b))
        assert h0 != h1 and not np.array_equal(w0[0], w1[0])
        assert list(h0) == ["accuracy", "loss", "val_accuracy", "val_loss"] and len(h0["loss"]) == 2

    def test_validation_equals_evaluate(self):
        """val_loss / val_accuracy are what model.evaluate reports at the same batch size (whole batches: Keras
        < 3.4 averaged batch losses unweighted, fastfit and newer Keras per image)."""
        x, y = separable(200)
        model = fresh_model(0)
        history = fastfit.fit(model, x, y, FitPlan(batch_size=50, epochs=1, seed=0, validation_data=(x[:100], y[:100])))
        expected = model.evaluate(x[:100], y[:100], batch_size=50, verbose=0, return_dict=True)
        assert history["val_loss"][0] == pytest.approx(expected["loss"], rel=1e-5)
        assert history["val_accuracy"][0] == pytest.approx(expected["accuracy"], abs=1e-6)

    def test_nan_image_stops_at_its_batch(self):
        """One NaN image: epoch 1 stops at the batch holding it (found by the replay), the callback hears about
        that batch only, the epoch still ends (and would validate), and no later epoch is trained."""
        x, y = separable(200)
        x[137, 1, 2, 0] = np.nan
        model = fresh_model(0)
        recorder = Recorder()
        history = fastfit.fit(model, x, y, FitPlan(batch_size=50, epochs=3, seed=0), [recorder])
        batch = int(np.flatnonzero(fastfit.epoch_order(0, 0, 200) == 137)[0]) // 50
        assert [c[:2] for c in recorder.calls] == [("batch_end", batch), ("epoch_end", 0)]
        assert len(history["loss"]) == 1
        assert not np.isfinite(model.get_weights()[0]).all()
        assert int(model.optimizer.iterations.numpy()) == batch + 1  # state as of the bad batch, not the epoch's end

    def test_healthy_run_calls_no_batch_hook(self):
        """A run that stays finite never calls on_train_batch_end (no per-step Python work)."""
        x, y = separable(100)
        recorder = Recorder()
        fastfit.fit(fresh_model(0), x, y, FitPlan(batch_size=50, epochs=2, seed=0), [recorder])
        assert recorder.calls == [("epoch_end", 0), ("epoch_end", 1)]
