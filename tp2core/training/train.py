"""One (variant, seed) → RunResult: seeding, determinism, augmentation, NaN handling, timing, gradient probe.

``make_spec`` is cheap (no TensorFlow import) so a session can look runs up in the store before deciding to
train. ``train`` imports Keras on its backend (TensorFlow, JAX or torch: ``KERAS_BACKEND``), pins threads, seeds
everything from ``seed`` and fills every RunResult field. A non-finite loss, weight or prediction makes the run
``failed`` — never an accuracy.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import numpy as np

from ..recipe.augment import augment_for, full_augmentation
from ..data.dataset import Dataset
from . import fastfit
from .backend import (
    configure_threads,
    determinism_problems,
    enable_determinism,
    environment_fingerprint,
    keras_backend_name,
    DEFAULT_THREADS,
)
from ..errors import ConfigError, RunFailed
from ..recipe.models import build_model, compile_model, parameter_counts
from .isolation import weights_digest
from .precision import DEFAULT_PRECISION, check_precision, precision_scope
from .precision import problems as precision_problems
from .fastfit import FitPlan
from . import checkpoint, shared
from .probes import (  # noqa: F401 (relative_change: re-exported with the trainer)
    FIRST_LAYER,
    _make_monitor,
    _non_finite_model,
    finite_or_none,
    gradient_norms,
    relative_change,
)
from .runs import STATUS_FAILED, STATUS_OK, RunResult, RunSpec
from ..recipe.variants import Profile, Variant, class_subset, get_profile, get_variant

if TYPE_CHECKING:
    import keras

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
    and ``precision`` default to 1 and float32 (the recipe); the user's ``TP2_THREADS`` / ``TP2_PRECISION`` are
    read where options are read (``session.Options``, the CLI) and arrive here as arguments."""
    variant, profile = _resolve(variant, profile)
    seed = validate_seed(seed)
    threads = DEFAULT_THREADS if threads is None else threads
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        raise ConfigError(f"'threads' must be a positive int (got {threads!r}).")
    if not isinstance(dataset, Dataset):
        raise ConfigError(f"'dataset' must be a tp2core.data.dataset.Dataset (got {type(dataset).__name__}).")
    precision = DEFAULT_PRECISION if precision is None else check_precision(precision)
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


OnEpoch = Callable[[int, dict[str, float]], None]  # (1-based epoch, its logs) after each epoch


def train(
    variant: Variant | str,
    seed: int,
    dataset: Dataset,
    profile: Profile | str,
    *,
    threads: int | None = None,
    precision: str | None = None,
    on_epoch: OnEpoch | None = None,
    checkpoint_dir: str | os.PathLike | None = None,
) -> RunResult:
    """Train one (variant, seed) under a profile on a dataset: ``make_spec`` then ``train_spec``."""
    return train_model(variant, seed, dataset, profile, threads=threads, precision=precision, on_epoch=on_epoch,
                       checkpoint_dir=checkpoint_dir)[0]


def train_model(
    variant: Variant | str,
    seed: int,
    dataset: Dataset,
    profile: Profile | str,
    *,
    threads: int | None = None,
    precision: str | None = None,
    on_epoch: OnEpoch | None = None,
    checkpoint_dir: str | os.PathLike | None = None,
) -> tuple[RunResult, keras.Model]:
    """(RunResult, the trained keras.Model) of ``make_spec(...)``'s run; see ``train_spec``."""
    spec = make_spec(variant, seed, dataset, profile, threads=threads, precision=precision)
    return train_spec(spec, dataset, on_epoch=on_epoch, checkpoint_dir=checkpoint_dir)


def train_spec(spec: RunSpec, dataset: Dataset, *, on_epoch: OnEpoch | None = None,
               checkpoint_dir: str | os.PathLike | None = None, records: tuple[RunSpec, ...] = (),
               on_record: Callable[[RunResult], None] | None = None) -> tuple[RunResult, keras.Model]:
    """Train the run ``spec`` names — the one trainer the session, ``tp2 run`` and a Ray task all call.

    (RunResult, the trained keras.Model). ``on_epoch(epoch, logs)`` is called after each epoch (1-based); with
    ``checkpoint_dir`` the run checkpoints there and resumes from its checkpoint (training.checkpoint, TensorFlow
    only). ``spec`` must describe ``dataset`` (its fingerprint). ``records``: further runs this training gives
    (training.shared: a prefix of it, or it validated on another set), each passed to ``on_record`` as soon as it
    is complete, equal to its own training's record; TensorFlow only (elsewhere none is recorded: train them on
    their own). A prefix the run resumed past is not recorded again."""
    if not isinstance(spec, RunSpec):
        raise ConfigError(f"'spec' must be a tp2core.training.runs.RunSpec (got {type(spec).__name__}); build one "
                          f"with tp2core.training.train.make_spec.")
    if spec.dataset_fingerprint != getattr(dataset, "fingerprint", None):
        raise ConfigError(f"'dataset' is not the one run {spec.identity()} names (fingerprint "
                          f"{getattr(dataset, 'fingerprint', None)!r}, the spec's {spec.dataset_fingerprint!r}); "
                          f"pass the dataset the spec was made from.")
    configure_threads(spec.threads)  # before the first TF op in this process
    enable_determinism()  # TF: op determinism (TF32 off); torch: deterministic algorithms; JAX: see env.py
    import keras

    keras.backend.clear_session()  # many runs per process: no graph state or layer-name counters (and it
    # resets Keras' dtype policy, so it comes before the precision's scope)
    if records and spec.backend != "tensorflow":
        records = ()
    shared.split(spec, records)  # ConfigError before training for a record this run cannot give
    with precision_scope(spec.precision):  # dtype policy and TF32: for building and for training
        return _train_spec(spec, dataset, on_epoch, checkpoint_dir, records, on_record or (lambda result: None))


@dataclass(frozen=True)
class _Measured:
    """What training one model measured, beside the model itself."""

    history: dict[str, list[float]]  # per-epoch metric lists, as Keras' History
    failure: str | None  # why the run failed (non-finite loss, weights or predictions), else None
    epoch_seconds: list[float]  # training time of each epoch (validation excluded)
    train_seconds: float  # wall time of the whole fit, validation included
    train_images: int  # images per epoch, augmentation included
    grad_norms: dict[str, dict]  # "init" and, when epoch 1 was clean, "epoch1": per-layer kernel-gradient norms
    first_layer_weight_change: float | None  # ‖W_T − W_0‖ / ‖W_0‖ of the first layer's kernel; None if failed
    resumed_from: list[int]  # the checkpoint epoch each resume started from; [] = trained in one process


def validation_set(variant, x: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The held-out images a variant is validated on: as they are ("clean"), or each augmented once and
    concatenated with the originals ("augmented", 2× images), the notes' "Cambie el train y validation set a
    imagenes augmentated" (README: reconstructions, "validation split"). The seed is offset so the validation
    copies are not the training set's transforms."""
    if variant.validation == "clean":
        return x, y
    return full_augmentation(x, y, seed + 1_000_003)


def _train_spec(spec: RunSpec, dataset: Dataset, on_epoch: OnEpoch | None, checkpoint_dir=None, records=(),
                on_record=None) -> tuple[RunResult, keras.Model]:
    variant = spec.variant  # as trained: the profile applied
    _require_backend(spec.backend)
    prefixes, evaluations = shared.split(spec, records)
    (x_train, y_train), (x_val, y_val), probe = _arrays(spec, dataset)
    also = {r.identity(): _scaled_validation(r, dataset) for r in evaluations}
    model = _seeded_model(spec)
    grad_norms = {"init": gradient_norms(model, *probe)}
    w0 = np.array(_first_kernel(model), dtype=np.float64)  # a copy: the kernel is updated in place
    monitor = _make_monitor(probe, on_epoch, len(x_train))
    plan = FitPlan(variant.batch_size, variant.epochs, spec.seed, validation_data=(x_val, y_val),
                   also_validate=tuple((shared.prefix_of(r), *also[r.identity()]) for r in evaluations))
    callbacks, resume = checkpoint.callbacks_for(spec, checkpoint_dir, monitor, plan)
    started = time.perf_counter()
    carried = checkpoint.carried(resume)

    def measured(history, failure, x_check) -> _Measured:
        """What a run ending now measured: the epochs of ``history``, the model's weights as they are."""
        seconds = time.perf_counter() - started + carried["train_seconds"]
        failure = failure or _non_finite_model(model, x_check, variant.batch_size)
        change = None if failure else finite_or_none(relative_change(w0, _first_kernel(model)))
        epochs = len(next(iter(history.values()), []))
        return _Measured(history, failure, monitor.epoch_seconds[:epochs], seconds, len(x_train),
                         {**grad_norms, **monitor.grad_norms}, change, carried["resumed_from"])

    def take(record, history):  # a prefix's epochs are done: its record, before any checkpoint of this epoch
        on_record(_run_result(record, model, measured(history, None, x_val)))

    callbacks[1:1] = [shared.Snapshot(r, monitor, take, resume and resume.history) for r in prefixes]
    with _failures_named(spec):
        history = _fit(model, x_train, y_train, replace(plan, initial_epoch=resume.epoch) if resume else plan,
                       callbacks, resume.variables if resume else None)
    if resume:  # the epochs before the checkpoint, then this process's
        history = {k: resume.history.get(k, []) + v for k, v in history.items()}
    for record in prefixes:  # failed at or before the prefix's last epoch: its own run fails the same way
        if monitor.failure is not None and len(history.get("loss", [])) <= record.variant.epochs:
            on_record(_run_result(record, model, measured(history, monitor.failure, x_val)))
    for record in evaluations:
        on_record(_run_result(record, model, measured(shared.evaluated_history(history, record, evaluations),
                                                      monitor.failure, also[record.identity()][0])))
    return _run_result(spec, model, measured(shared.own_history(history, evaluations), monitor.failure, x_val)), model


def _scaled_validation(record: RunSpec, dataset: Dataset) -> Arrays:
    """``record``'s validation set (``validation_set``), scaled as ``_arrays`` scales it."""
    data = dataset.subset(record.train_per_class, record.test_per_class)
    data = data.only_classes(class_subset(record.variant.classes))
    x, y = validation_set(record.variant, data.x_test, data.y_test, record.seed)
    return _scale(x), np.asarray(y, np.int64)


def _require_backend(backend: str) -> None:
    import keras

    if keras.backend.backend() != backend:  # e.g. ~/.keras/keras.json names another backend
        raise ConfigError(
            f"'KERAS_BACKEND' must name the backend Keras runs on (got {backend!r}, Keras runs on "
            f"{keras.backend.backend()!r}); set KERAS_BACKEND={keras.backend.backend()} or start a fresh process."
        )


Arrays = tuple[np.ndarray, np.ndarray]  # (images scaled to [0, 1], int64 labels)


def _arrays(spec: RunSpec, dataset: Dataset) -> tuple[Arrays, Arrays, Arrays]:
    """(training, validation, probe) as trained: the profile's subset (and classes), the training set augmented,
    the validation set as the variant validates (``validation_set``), the gradient probe always on clean images
    so probes stay comparable across variants."""
    data = dataset.subset(spec.train_per_class, spec.test_per_class).only_classes(class_subset(spec.variant.classes))
    x_u8, y_train = augment_for(spec.variant, data.x_train, data.y_train, spec.seed)
    x_val_u8, y_val = validation_set(spec.variant, data.x_test, data.y_test, spec.seed)
    probe = (_scale(data.x_test[:PROBE_IMAGES]), np.asarray(data.y_test[:PROBE_IMAGES], np.int64))
    return (_scale(x_u8), np.asarray(y_train, np.int64)), (_scale(x_val_u8), np.asarray(y_val, np.int64)), probe


def _first_kernel(model) -> np.ndarray:
    import keras

    return keras.ops.convert_to_numpy(model.get_layer(FIRST_LAYER).kernel)


def _seeded_model(spec: RunSpec) -> keras.Model:
    """The compiled model, initialised from the run's seed, refused unless it trains reproducibly."""
    import keras

    keras.utils.set_random_seed(spec.seed)  # Python, numpy and backend global seeds: init and shuffle order
    model = build_model(spec.variant)
    compile_model(model, spec.variant)
    _require_determinism(model, spec.precision)
    return model


@contextmanager
def _failures_named(spec: RunSpec) -> Iterator[None]:
    """Turn the backend's out-of-memory and no-deterministic-kernel errors into RunFailed naming the run."""
    out_of_memory, no_deterministic_kernel = _backend_errors(spec.backend)
    run = f"{spec.variant.name} (seed {spec.seed})"
    try:
        yield
    except out_of_memory as exc:
        raise RunFailed(
            f"{run} ran out of memory at batch size {spec.variant.batch_size}: "
            f"{_first_line(exc)}; lower the batch size or use a profile with narrower layers."
        ) from None
    except no_deterministic_kernel as exc:
        raise RunFailed(f"{run} uses an op without a deterministic kernel on this device: {_first_line(exc)}") from None


def _run_result(spec: RunSpec, model: keras.Model, measured: _Measured) -> RunResult:
    """Every RunResult field; accuracies and losses only when the run is ok. Checks the built layer sizes."""
    last = {k: finite_or_none(v[-1]) for k, v in measured.history.items() if v}
    ok = measured.failure is None
    steady = measured.epoch_seconds[1:] or measured.epoch_seconds
    result = RunResult(
        spec=spec,
        status=STATUS_OK if ok else STATUS_FAILED,
        failure=measured.failure,
        val_accuracy=last.get("val_accuracy") if ok else None,
        val_loss=last.get("val_loss") if ok else None,
        train_accuracy=last.get("accuracy") if ok else None,
        train_loss=last.get("loss") if ok else None,
        history={k: [finite_or_none(x) for x in v] for k, v in measured.history.items()},
        epoch_seconds=measured.epoch_seconds,
        train_seconds=measured.train_seconds,
        images_per_second=measured.train_images / statistics.median(steady) if steady else None,
        train_images=measured.train_images,
        params_per_layer={layer.name: int(layer.count_params()) for layer in model.layers if layer.weights},
        grad_norms=measured.grad_norms,
        first_layer_weight_change=measured.first_layer_weight_change,
        resumed_from=measured.resumed_from,
        weights_sha256=weights_digest(model),
        environment=environment_fingerprint(jit_compile=bool(model.jit_compile)),
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    expected = parameter_counts(spec.variant)
    if result.params_per_layer != expected:  # a Keras upgrade changing layers would silently change the model
        raise RuntimeError(f"built {result.params_per_layer}, expected {expected} parameters per layer")
    return result


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


def _fit(model: keras.Model, x, y, plan: FitPlan, callbacks: list, initial_state=None) -> dict[str, list[float]]:
    """The one place that runs the optimiser. TensorFlow: tp2core.training.fastfit's compiled whole-epoch loop (data
    order ``fastfit.epoch_order(seed, epoch)``, fused Adam; its images/s against fit's: ``tp2 perf``, docs/perf.md).
    JAX and torch: Keras' ``fit``, shuffled from the global seed set by keras.utils.set_random_seed."""
    import keras

    if keras.backend.backend() == "tensorflow":
        return fastfit.fit(model, x, y, plan, callbacks, initial_state)
    fitted = model.fit(
        x,
        y,
        batch_size=plan.batch_size,
        epochs=plan.epochs,
        validation_data=plan.validation_data,
        shuffle=True,
        callbacks=callbacks,
        verbose=0,
    )
    return {k: [float(x) for x in v] for k, v in fitted.history.items()}


def _scale(x: np.ndarray) -> np.ndarray:
    # pixels in [0, 1]; /255 is ours, the notes don't state a scaling (README: reconstructions)
    return (x / np.float32(255.0)).astype(np.float32, copy=False)


