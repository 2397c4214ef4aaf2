"""What a training run observes besides its loss: per-layer gradient norms (the mechanism probe at init and after
epoch 1), the first layer's relative weight change, and the non-finite checks that turn a NaN into a failed run.

Keras (and the backend) are imported inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

import functools

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from . import fastfit
from ..recipe.models import FIRST_LAYER

if TYPE_CHECKING:
    import keras



def finite_or_none(value: float | None) -> float | None:
    """``value``, or None for None/NaN/±inf: a stored record never holds a non-finite number (not valid JSON)."""
    return value if value is not None and math.isfinite(value) else None


def relative_change(w0: np.ndarray, w1: np.ndarray) -> float:
    """‖w1 − w0‖_F / ‖w0‖_F for two kernels of one shape (dimensionless; 0 = unchanged)."""
    w0, w1 = np.asarray(w0, np.float64), np.asarray(w1, np.float64)
    return float(np.linalg.norm(w1 - w0) / np.linalg.norm(w0))


def gradient_norms(model, x, y) -> dict[str, float]:
    """L2 norm of ∂loss/∂kernel for each Dense layer on one fixed batch (the hidden-softmax probe)."""
    import keras

    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            probs = model(x, training=False)
            loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, probs))
        grads = tape.gradient(loss, [layer.kernel.value for layer in dense])
        return {layer.name: finite_or_none(float(tf.norm(g))) for layer, g in zip(dense, grads)}
    grads = _kernel_grads_jax(model, dense, x, y) if backend == "jax" else _kernel_grads_torch(model, dense, x, y)
    return {layer.name: finite_or_none(float(np.linalg.norm(g))) for layer, g in zip(dense, grads)}


def _kernel_grads_jax(model, dense, x, y) -> list[np.ndarray]:
    """JAX has no tape: differentiate a pure function of the trainable values (``stateless_call``)."""
    import jax
    import jax.numpy as jnp
    import keras

    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]
    where = {id(v): i for i, v in enumerate(model.trainable_variables)}

    def loss(values):
        probs, _ = model.stateless_call(values, non_trainable, x, training=False)
        return jnp.mean(keras.losses.sparse_categorical_crossentropy(y, probs))

    grads = jax.grad(loss)(trainable)
    return [np.asarray(grads[where[id(layer.kernel)]], np.float32) for layer in dense]


def _kernel_grads_torch(model, dense, x, y) -> list[np.ndarray]:
    import keras
    import torch

    probs = model(x, training=False)
    loss = torch.mean(keras.losses.sparse_categorical_crossentropy(keras.ops.convert_to_tensor(y), probs))
    grads = torch.autograd.grad(loss, [layer.kernel.value for layer in dense])
    return [g.detach().cpu().numpy() for g in grads]


def _non_finite_model(model, x_val, batch_size) -> str | None:
    for weight in model.weights:
        if not np.isfinite(np.asarray(weight)).all():
            return f"non-finite weights in {weight.path} after training"
    if not np.isfinite(model.predict(x_val, batch_size=batch_size, verbose=0)).all():
        return "non-finite predictions on the validation set after training"
    return None


@functools.cache  # one tf.function per process: one per run would retrace in every run (and warn)
def _all_finite():
    """fastfit.all_finite compiled (faster than eager: it runs on every checked step)."""
    import tensorflow as tf

    return tf.function(fastfit.all_finite, autograph=False, reduce_retracing=True)


def _make_monitor(probe, on_epoch, images: int = 0):
    """Keras callback that stops at the first non-finite loss (naming epoch and batch), times epochs, and
    probes gradients after epoch 1. Built here so importing this module does not import Keras."""
    import keras

    class Monitor(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.failure: str | None = None
            self.epoch_seconds: list[float] = []
            self.grad_norms: dict[str, dict] = {}
            self._epoch, self._started, self._timed = 0, 0.0, False

        def on_epoch_begin(self, epoch, logs=None):
            self._epoch, self._started, self._timed = epoch, time.perf_counter(), False

        def on_train_begin(self, logs=None):
            self._weights_finite = _weights_check(self.model)

        def on_train_batch_end(self, batch, logs=None):
            failure = _batch_failure(self.model, logs, f"at epoch {self._epoch + 1}, batch {batch + 1} (1-based)",
                                     self._weights_finite)
            if failure is not None:
                self.failure = failure
            if self.failure is not None:
                self.model.stop_training = True

        def on_test_begin(self, logs=None):  # validation starts: the epoch's training time ends here
            if not self._timed:
                self.epoch_seconds.append(time.perf_counter() - self._started)
                self._timed = True

        def on_epoch_end(self, epoch, logs=None):
            self.on_test_begin()
            if epoch == 0 and self.failure is None:
                self.grad_norms["epoch1"] = gradient_norms(self.model, *probe)
            if on_epoch is not None:  # plus the epoch's training images/s, for live progress
                seconds = self.epoch_seconds[-1]
                speed = {"images_per_second": images / seconds} if images and seconds else {}
                on_epoch(epoch + 1, {k: float(v) for k, v in (logs or {}).items()} | speed)

    return Monitor()


def _weights_check(model: keras.Model) -> Callable[[], bool]:
    """A callable saying whether every trainable weight of ``model`` is finite now."""
    import keras

    if keras.backend.backend() == "tensorflow":
        weights = [w.value for w in model.trainable_weights]  # tf.Variables: updated in place
        return lambda: bool(_all_finite()(weights))
    ops = keras.ops  # JAX swaps in new arrays each step (reading model syncs them); torch: cheap to re-read
    return lambda: all(bool(ops.all(ops.isfinite(w.value))) for w in model.trainable_weights)


def _batch_failure(model: keras.Model, logs: dict, where: str, weights_finite: Callable[[], bool]) -> str | None:
    """Why training went non-finite at this batch, or None. Two checks, because a NaN can hide: ReLU on oneDNN
    maps NaN to 0, so NaN input poisons the first kernel while the loss stays ≈ ln(100). Reading every weight
    costs a few per cent of a batch-128 step on CPU (docs/perf.md, "The fast loop")."""
    loss = float(logs["loss"])  # running mean over the epoch: turns non-finite at the offending batch
    if not math.isfinite(loss):
        return f"non-finite loss ({loss}) {where}"
    if not weights_finite():
        bad = next(w.path for w in model.trainable_weights if not np.isfinite(np.asarray(w)).all())
        return f"non-finite weights in {bad} {where}"
    return None
