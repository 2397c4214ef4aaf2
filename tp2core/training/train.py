"""One (variant, seed) → RunResult: seeding, determinism, augmentation, NaN handling, timing, gradient probe.

``make_spec`` is cheap (no TensorFlow import) so a session can look runs up in the store before deciding to
train. ``train`` imports Keras on its backend (TensorFlow, JAX or torch: ``KERAS_BACKEND``), pins threads, seeds
everything from ``seed`` and fills every RunResult field. A non-finite loss, weight or prediction makes the run
``failed`` — never an accuracy.
"""

from __future__ import annotations

import math
import statistics
import time
from datetime import datetime, timezone

import numpy as np

from ..recipe.augment import augment_for, full_augmentation
from ..data.dataset import Dataset
from .backend import (
    configure_threads,
    determinism_problems,
    enable_determinism,
    environment_fingerprint,
    keras_backend_name,
    training_threads,
)
from ..errors import ConfigError, RunFailed
from ..recipe.models import build_model, compile_model, parameter_counts
from .precision import check_precision, precision_scope, training_precision
from .precision import problems as precision_problems
from .runs import STATUS_FAILED, STATUS_OK, RunResult, RunSpec
from ..recipe.variants import Profile, Variant, get_profile, get_variant

FIRST_LAYER = "dense_1"  # tp2core.recipe.models.layer_names: the first hidden Dense layer
PROBE_IMAGES = 256  # gradient-norm probe: the first 256 validation images, the same batch for every run


def validate_seed(seed: object) -> int:
    """A seed Keras, numpy and TF all accept: an int in [0, 2**32); numpy ints are converted."""
    if isinstance(seed, np.integer):
        seed = int(seed)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**32:
        raise ConfigError(f"'seed' must be an int in [0, 2**32) (got {seed!r}).")
    return seed


def _resolve(variant: Variant | str, profile: Profile | str) -> tuple[Variant, Profile]:
    variant = get_variant(variant) if isinstance(variant, str) else variant
    profile = get_profile(profile) if isinstance(profile, str) else profile
    if not isinstance(variant, Variant):
        raise ConfigError(f"'variant' must be a Variant or a variant name (got {variant!r}).")
    if not isinstance(profile, Profile):
        raise ConfigError(f"'profile' must be a Profile or a profile name (got {profile!r}).")
    return variant, profile


def make_spec(
    variant: Variant | str,
    seed: int,
    dataset: Dataset,
    profile: Profile | str,
    *,
    threads: int | None = None,
    precision: str | None = None,
) -> RunSpec:
    """The identity of the run ``train`` would do with these arguments (no TensorFlow import). ``threads``
    and ``precision`` default to ``TP2_THREADS`` (1) and ``TP2_PRECISION`` (float32)."""
    variant, profile = _resolve(variant, profile)
    seed = validate_seed(seed)
    threads = training_threads() if threads is None else threads
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        raise ConfigError(f"'threads' must be a positive int (got {threads!r}).")
    if not isinstance(dataset, Dataset):
        raise ConfigError(f"'dataset' must be a tp2core.data.dataset.Dataset (got {type(dataset).__name__}).")
    precision = training_precision() if precision is None else check_precision(precision)
    return RunSpec(
        variant=profile.apply(variant),
        profile=profile.name,
        train_per_class=profile.train_per_class,
        test_per_class=profile.test_per_class,
        seed=seed,
        dataset_name=dataset.name,
        dataset_fingerprint=dataset.fingerprint,
        backend=keras_backend_name(),
        threads=threads,
        precision=precision,
    )


def train(variant, seed, dataset, profile, *, threads=None, precision=None, on_epoch=None) -> RunResult:
    """Train one (variant, seed) under a profile on a dataset; see ``train_model``."""
    return train_model(variant, seed, dataset, profile, threads=threads, precision=precision, on_epoch=on_epoch)[0]


def train_model(variant, seed, dataset, profile, *, threads=None, precision=None, on_epoch=None):
    """(RunResult, the trained keras.Model). ``on_epoch(epoch, logs)`` is called after each epoch (1-based)."""
    spec = make_spec(variant, seed, dataset, profile, threads=threads, precision=precision)
    configure_threads(spec.threads)  # before the first TF op in this process
    enable_determinism()  # TF: op determinism (TF32 off); torch: deterministic algorithms; JAX: see env.py
    import keras

    keras.backend.clear_session()  # many runs per process: no graph state or layer-name counters (and it
    # resets Keras' dtype policy, so it comes before the precision's scope)
    with precision_scope(spec.precision):  # dtype policy and TF32: for building and for training
        return _train_spec(spec, dataset, on_epoch)


def relative_change(w0: np.ndarray, w1: np.ndarray) -> float:
    """‖w1 − w0‖_F / ‖w0‖_F for two kernels of one shape (dimensionless; 0 = unchanged)."""
    w0, w1 = np.asarray(w0, np.float64), np.asarray(w1, np.float64)
    return float(np.linalg.norm(w1 - w0) / np.linalg.norm(w0))


def validation_set(variant, x: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The held-out images a variant is validated on: as they are ("clean"), or each augmented once and
    concatenated with the originals ("augmented", 2× images), the notes' "Cambie el train y validation set a
    imagenes augmentated" (README: reconstructions, "validation split"). The seed is offset so the validation
    copies are not the training set's transforms."""
    if variant.validation == "clean":
        return x, y
    return full_augmentation(x, y, seed + 1_000_003)


def _train_spec(spec: RunSpec, dataset: Dataset, on_epoch):
    variant = spec.variant  # as trained: the profile applied
    import keras

    if keras.backend.backend() != spec.backend:  # e.g. ~/.keras/keras.json names another backend
        raise ConfigError(
            f"'KERAS_BACKEND' must name the backend Keras runs on (got {spec.backend!r}, Keras runs on "
            f"{keras.backend.backend()!r}); set KERAS_BACKEND={keras.backend.backend()} or start a fresh process."
        )
    data = dataset.subset(spec.train_per_class, spec.test_per_class)
    x_u8, y_train = augment_for(variant, data.x_train, data.y_train, spec.seed)
    x_val_u8, y_val = validation_set(variant, data.x_test, data.y_test, spec.seed)
    x_train, x_val = _scale(x_u8), _scale(x_val_u8)
    y_train, y_val = np.asarray(y_train, np.int64), np.asarray(y_val, np.int64)
    x_clean, y_clean = _scale(data.x_test), np.asarray(data.y_test, np.int64)

    keras.utils.set_random_seed(spec.seed)  # Python, numpy and backend global seeds: init and shuffle order
    model = build_model(variant)
    compile_model(model, variant)
    _require_determinism(model, spec.precision)

    probe = (x_clean[:PROBE_IMAGES], y_clean[:PROBE_IMAGES])  # clean for every variant: comparable probes
    grad_norms = {"init": gradient_norms(model, *probe)}
    w0 = np.array(keras.ops.convert_to_numpy(model.get_layer(FIRST_LAYER).kernel), dtype=np.float64)  # a copy
    monitor = _make_monitor(probe, on_epoch)
    started = time.perf_counter()
    out_of_memory, no_deterministic_kernel = _backend_errors(spec.backend)
    try:
        history = _fit(model, variant, x_train, y_train, x_val, y_val, [monitor], seed=spec.seed)
    except out_of_memory as exc:
        raise RunFailed(
            f"{variant.name} (seed {spec.seed}) ran out of memory at batch size {variant.batch_size}: "
            f"{_first_line(exc)}; lower the batch size or use a profile with narrower layers."
        ) from None
    except no_deterministic_kernel as exc:
        raise RunFailed(
            f"{variant.name} (seed {spec.seed}) uses an op without a deterministic kernel on this device: "
            f"{_first_line(exc)}"
        ) from None
    train_seconds = time.perf_counter() - started
    if "epoch1" in monitor.grad_norms:
        grad_norms["epoch1"] = monitor.grad_norms["epoch1"]

    failure = monitor.failure or _non_finite_model(model, x_val, variant.batch_size)
    last = {k: _finite_or_none(v[-1]) for k, v in history.items() if v}
    ok = failure is None
    steady = monitor.epoch_seconds[1:] or monitor.epoch_seconds
    result = RunResult(
        spec=spec,
        status=STATUS_OK if ok else STATUS_FAILED,
        failure=failure,
        val_accuracy=last.get("val_accuracy") if ok else None,
        val_loss=last.get("val_loss") if ok else None,
        train_accuracy=last.get("accuracy") if ok else None,
        train_loss=last.get("loss") if ok else None,
        history={k: [_finite_or_none(x) for x in v] for k, v in history.items()},
        epoch_seconds=monitor.epoch_seconds,
        train_seconds=train_seconds,
        images_per_second=len(x_train) / statistics.median(steady) if steady else None,
        train_images=len(x_train),
        params_per_layer={layer.name: int(layer.count_params()) for layer in model.layers if layer.weights},
        grad_norms=grad_norms,
        first_layer_weight_change=_finite_or_none(relative_change(
            w0, keras.ops.convert_to_numpy(model.get_layer(FIRST_LAYER).kernel))) if ok else None,
        environment=environment_fingerprint(jit_compile=bool(model.jit_compile)),
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    expected = parameter_counts(variant)
    if result.params_per_layer != expected:  # a Keras upgrade changing layers would silently change the model
        raise RuntimeError(f"built {result.params_per_layer}, expected {expected} parameters per layer")
    return result, model


def _require_determinism(model, precision: str) -> None:
    """Observed, not assumed (docs/reliability.md A3): refuse to train when a reproducibility setting is not in effect."""
    problems = determinism_problems(model) + precision_problems(model, precision)
    if problems:
        raise RuntimeError(f"{model.name}: {'; '.join(problems)}; its results would not be reproducible.")


def _backend_errors(backend: str) -> tuple[tuple[type, ...], tuple[type, ...]]:
    """(out-of-memory, no-deterministic-kernel) exception classes of the backend; () catches nothing."""
    if backend == "tensorflow":
        import tensorflow as tf

        return (tf.errors.ResourceExhaustedError,), (tf.errors.UnimplementedError,)
    if backend == "torch":
        import torch

        return (torch.OutOfMemoryError,), ()  # torch's "no deterministic implementation" is a bare RuntimeError
    return (MemoryError,), ()


def _first_line(exc: BaseException) -> str:
    return (getattr(exc, "message", None) or str(exc) or type(exc).__name__).splitlines()[0]


def _fit(model, variant, x_train, y_train, x_val, y_val, callbacks, *, seed=0) -> dict[str, list[float]]:
    """The one place that runs the optimiser. TensorFlow: tp2core.training.fastfit's compiled whole-epoch loop (data
    order ``fastfit.epoch_order(seed, epoch)``, fused Adam; measured 1.5-1.8x fit's images/s at batch 128 on CPU).
    JAX and torch: Keras' ``fit``, shuffled from the global seed set by keras.utils.set_random_seed."""
    import keras

    if keras.backend.backend() == "tensorflow":
        from . import fastfit

        return fastfit.fit(
            model,
            x_train,
            y_train,
            batch_size=variant.batch_size,
            epochs=variant.epochs,
            seed=seed,
            validation_data=(x_val, y_val),
            callbacks=callbacks,
        )
    fitted = model.fit(
        x_train,
        y_train,
        batch_size=variant.batch_size,
        epochs=variant.epochs,
        validation_data=(x_val, y_val),
        shuffle=True,
        callbacks=callbacks,
        verbose=0,
    )
    return {k: [float(x) for x in v] for k, v in fitted.history.items()}


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
        return {layer.name: _finite_or_none(float(tf.norm(g))) for layer, g in zip(dense, grads)}
    grads = _kernel_grads_jax(model, dense, x, y) if backend == "jax" else _kernel_grads_torch(model, dense, x, y)
    return {layer.name: _finite_or_none(float(np.linalg.norm(g))) for layer, g in zip(dense, grads)}


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


def _scale(x: np.ndarray) -> np.ndarray:
    # pixels in [0, 1]; /255 is ours, the notes don't state a scaling (README: reconstructions)
    return (x / np.float32(255.0)).astype(np.float32, copy=False)


def _finite_or_none(value: float) -> float | None:
    return value if value is not None and math.isfinite(value) else None  # NaN is not valid JSON


def _non_finite_model(model, x_val, batch_size) -> str | None:
    for weight in model.weights:
        if not np.isfinite(np.asarray(weight)).all():
            return f"non-finite weights in {weight.path} after training"
    if not np.isfinite(model.predict(x_val, batch_size=batch_size, verbose=0)).all():
        return "non-finite predictions on the validation set after training"
    return None


_ALL_FINITE = []  # one tf.function per process: one per run would retrace in every run (and warn)


def _all_finite():
    """Compiled check that every weight is finite: 2 ms on a 5 M-parameter model on CPU, 2.5× faster than eager."""
    if not _ALL_FINITE:
        import tensorflow as tf

        def all_finite(weights):
            return tf.reduce_all(tf.stack([tf.reduce_all(tf.math.is_finite(w)) for w in weights]))

        _ALL_FINITE.append(tf.function(all_finite, autograph=False, reduce_retracing=True))
    return _ALL_FINITE[0]


def _make_monitor(probe, on_epoch):
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
            if keras.backend.backend() == "tensorflow":
                weights = [w.value for w in self.model.trainable_weights]  # tf.Variables: updated in place
                self._all_finite = lambda: _all_finite()(weights)
            else:  # JAX swaps in new arrays each step (reading self.model syncs them); torch: cheap to re-read
                ops = keras.ops
                self._all_finite = lambda: all(
                    bool(ops.all(ops.isfinite(w.value))) for w in self.model.trainable_weights
                )

        def on_train_batch_end(self, batch, logs=None):
            # Two checks, because a NaN can hide: ReLU on oneDNN maps NaN to 0, so NaN input poisons the first
            # kernel while the loss stays ≈ ln(100). Reading every weight costs ~3% of a batch-128 step on CPU.
            where = f"at epoch {self._epoch + 1}, batch {batch + 1} (1-based)"
            loss = float(logs["loss"])  # running mean over the epoch: turns non-finite at the offending batch
            if not math.isfinite(loss):
                self.failure = f"non-finite loss ({loss}) {where}"
            elif not bool(self._all_finite()):
                bad = next(w.path for w in self.model.trainable_weights if not np.isfinite(np.asarray(w)).all())
                self.failure = f"non-finite weights in {bad} {where}"
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
            if on_epoch is not None:
                on_epoch(epoch + 1, {k: float(v) for k, v in (logs or {}).items()})

    return Monitor()
