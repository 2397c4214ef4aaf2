"""How close training runs to the machine's limit: trainer images/s against a matmul-only floor, in one run.

The floor is the time the model's GEMMs alone take at its real layer shapes on the same thread count: per
step, the forward product of every Dense layer, the weight gradient of every layer and the input gradient of
every layer but the first (nothing trains the image, and TensorFlow prunes that product). Nothing else —
activations, loss, the optimizer, data movement — so a trainer's ``fraction`` (its images/s over the floor's)
is at most ~1. The GEMMs run twice per round, with numpy's BLAS (OpenBLAS) and in the active backend's own
kernels (TensorFlow's oneDNN MatMuls, ``jnp.matmul`` under ``jax.jit``, ``torch.matmul``); the faster of the two
is the floor, so a slow BLAS (or OpenBLAS' spinning threads losing the cores to a busy neighbour or to the
backend's own pool, which we saw cut it 3-5x) cannot flatter the trainers. Under ``--precision mixed_bfloat16``
the backend's floor multiplies bfloat16 operands (what the layers compute in), so the fractions stay honest.

The optimizer's update is timed alone too (``adam``: tp2's fused Adam over the model's weights with fixed
gradients — a memory-bound pass: read weight, gradient and both moments, write three of them). ``floor+adam``
is not measured but derived: the GEMM floor and that update back to back, ``1 / (1/floor + 1/adam)`` images/s,
which is what a trainer that does the same fp32 Adam step reaches with zero other cost and no overlap between
update and GEMMs (on 2 cores without SMT there is no idle unit to overlap them on). Its ``fraction`` is the
ceiling any exact-recipe trainer can show against the matmul-only floor; ``of_bound`` is a trainer's images/s
over it.

Measurements are interleaved (floor epoch, tp2 epoch, fit epoch, repeat) so machine noise hits all of them
alike; each kind gets one warm-up epoch, then the median and min of ``epochs`` steady epochs are reported.
Importing this module is cheap; TensorFlow (or the active Keras backend) is imported when measuring.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..data.dataset import IMAGE_SHAPE, NUM_FINE
from ..recipe.models import forward_macs, layer_shapes  # noqa: F401 (re-exported: tp2 perf's API)
from .floors import (  # noqa: F401 (re-exported)
    NATIVE_FLOOR_EPOCH,
    FloorEpoch,
    PerfCase,
    blas_threads,
    bound_img_s,
    gflop_per_s,
    make_cases,
    step_gemms,
)

# floor: the GEMMs with numpy's BLAS (the reference); floor-tf / floor-jax / floor-torch: the same GEMMs in the
# backend's own kernels (oneDNN, XLA's Eigen, torch's BLAS: can beat OpenBLAS, and cannot lose to a backend's
# own thread pool spinning beside OpenBLAS); adam: tp2's optimizer update alone; tp2: tp2core.training.fastfit;
# fit: plain keras model.fit. Derived (not a trainer): floor+adam.
TRAINERS = ("floor", "floor-tf", "adam", "tp2", "fit")
NATIVE_FLOOR = {"tensorflow": "floor-tf", "jax": "floor-jax", "torch": "floor-torch"}


def trainers_for(backend: str) -> tuple[str, ...]:
    """What ``tp2 perf`` measures on a backend: everything on TensorFlow; elsewhere the floors and plain fit
    (tp2's fast loop and its fused update are TensorFlow code)."""
    return TRAINERS if backend == "tensorflow" else ("floor", NATIVE_FLOOR[backend], "fit")
BOUND = "floor+adam"
P1_MODEL, P1_BATCH = "model2", 128  # the P1 target: 3×Dense(1000) at batch 128, TF backend


def _adam_epoch(case: PerfCase, seed: int):
    """tp2's optimizer update alone: ``EpochLoop.apply_update`` on the model's weights with fixed gradients,
    one update per batch of the epoch, in one compiled loop (no forward, no backward)."""
    import keras
    import tensorflow as tf

    from ..training import fastfit
    from ..recipe.models import build_model, compile_model

    keras.utils.set_random_seed(seed)
    model = build_model(case.variant)
    compile_model(model, case.variant)
    loop = fastfit.EpochLoop(model, case.batch_size)
    rng = np.random.default_rng(seed)
    grads = [tf.constant(1e-3 * rng.standard_normal(w.shape).astype(np.float32)) for w in loop.weights]
    steps = case.images // case.batch_size

    def body(step):
        with tf.control_dependencies(loop.apply_update(grads)):
            return (step + 1,)

    epoch = tf.function(lambda: tf.while_loop(lambda s: s < steps, body, (0,)), autograph=False)
    return lambda: int(epoch()[0])


def synthetic_data(case: PerfCase, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random float32 images in [0, 1) and labels: timing does not depend on the pixel values."""
    rng = np.random.default_rng(seed)
    x = rng.random((case.images, *IMAGE_SHAPE), dtype=np.float32)
    return x, rng.integers(0, NUM_FINE, case.images).astype(np.int64)


def _epoch_timer():
    """A Keras callback whose ``seconds`` lists each epoch's time (begin → end). Built here, not at module level,
    so importing this module does not import Keras."""
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self._started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._started)

    return EpochTimer()


def _tp2_epoch(case: PerfCase, x, y, seed: int):
    """A callable running one epoch exactly as tp2core.training.fastfit.fit does (order, compiled epoch, weight check)."""
    import keras

    from ..training import fastfit
    from ..recipe.models import build_model, compile_model

    keras.utils.set_random_seed(seed)
    model = build_model(case.variant)
    compile_model(model, case.variant)
    loop = fastfit.EpochLoop(model, case.batch_size)
    xt, yt = loop.resident(x), loop.resident(y)
    epoch = iter(range(10**9))

    def run():
        stats = loop.train_epoch(xt, yt, fastfit.epoch_order(seed, next(epoch), len(x)), checked=False)
        loop.weights_finite()
        return stats

    return run


def plain_fit_epoch(case: PerfCase, x, y, seed: int):
    """A callable running one epoch of plain ``model.fit`` as a user writes it (Adam, shuffle, accuracy)."""
    import keras

    from ..recipe.models import build_model

    keras.utils.set_random_seed(seed)
    model = build_model(case.variant)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    timer = _epoch_timer()

    def run():
        model.fit(x, y, batch_size=case.batch_size, epochs=1, shuffle=True, verbose=0, callbacks=[timer])
        return timer.seconds[-1]

    return run


@dataclass(frozen=True)
class MeasureConfig:
    """How ``measure`` times every case."""

    threads: int  # intra-op and BLAS threads the caller pinned; recorded in each row
    epochs: int = 3  # steady epochs per trainer, after one warm-up epoch
    trainers: tuple[str, ...] = TRAINERS  # names in RUNNERS, measured in this order
    seed: int = 0  # synthetic data, model initialisation and data order
    precision: str = "float32"  # labels the rows; the caller sets it (training.precision.precision_scope)


def measure(cases: list[PerfCase], config: MeasureConfig, progress: Callable[[dict], None] | None = None) -> list[dict]:
    """Rows (one per case × trainer): median/min images/s over ``config.epochs`` steady epochs, the floor beside
    each. ``progress(row)`` is called as each row is done. The backend is Keras' active one; 'tp2' needs
    TensorFlow."""
    import keras

    unknown = [t for t in config.trainers if t not in RUNNERS]
    if unknown:
        raise ValueError(f"'trainers' must be names in {tuple(RUNNERS)} (got {unknown}).")
    # The backend's floor multiplies in the layers' compute dtype (bfloat16 under mixed_bfloat16: its bf16 GEMMs
    # are the limit then); numpy's floor is always float32.
    context = _Context(
        config, keras.backend.backend(), keras.mixed_precision.global_policy().compute_dtype,
        blas_pinned=blas_threads(config.threads),
    )
    rows = []
    for case in cases:
        for row in _case_rows(case, context):
            rows.append(row)
            if progress is not None:
                progress(row)
    return rows


@dataclass(frozen=True)
class _Context:
    """What every case of one ``measure`` call shares."""

    config: MeasureConfig
    backend: str  # Keras' active backend
    compute_dtype: str  # the layers' compute dtype: the native floors multiply in it
    blas_pinned: bool  # whether numpy's OpenBLAS could be pinned to config.threads


# Trainer name → (case, (x, y), seed, compute dtype) → a callable that runs one epoch and returns its seconds.
Runner = Callable[[], float]
RUNNERS: dict[str, Callable[[PerfCase, tuple, int, str], Runner]] = {
    "floor": lambda case, data, seed, dtype: _timer(FloorEpoch(case)),
    **{name: (lambda case, data, seed, dtype, build=build: _timer(build(case, dtype)))
       for name, build in NATIVE_FLOOR_EPOCH.items()},
    "adam": lambda case, data, seed, dtype: _timer(_adam_epoch(case, seed)),
    "tp2": lambda case, data, seed, dtype: _timer(_tp2_epoch(case, *data, seed)),
    "fit": lambda case, data, seed, dtype: plain_fit_epoch(case, *data, seed),  # times itself, as fit's epochs
}


def _case_rows(case: PerfCase, context: _Context) -> list[dict]:
    """Every trainer's row for one case, the derived floor+adam row right after adam's."""
    seconds, loads = _case_seconds(case, context)
    img_s = {t: case.images / statistics.median(times) for t, times in seconds.items()}
    floors = [img_s[t] for t in ("floor", *NATIVE_FLOOR_EPOCH) if t in img_s]
    floor_img_s = max(floors) if floors else None  # the faster GEMM library of this run is the floor
    bound = bound_img_s(floor_img_s, img_s["adam"]) if floor_img_s is not None and "adam" in img_s else None
    common = {
        "model": case.variant.name,
        "hidden_units": list(case.variant.hidden_units),
        "batch": case.batch_size,
        "precision": context.config.precision,
        "threads": context.config.threads,
        "images": case.images,
        "floor_img_s": _round(floor_img_s, 1),
        "loadavg_1m": round(statistics.mean(loads), 2),
    }
    rows = []
    for trainer, times in seconds.items():
        backend = "numpy-blas" if trainer == "floor" else context.backend
        rows.append({**common, "trainer": trainer, "backend": backend, "epochs": len(times),
                     **_speeds(case, img_s[trainer], max(times), floor_img_s, flops=trainer != "adam")})
        if trainer in ("tp2", "fit"):
            rows[-1]["of_bound"] = _ratio(img_s[trainer], bound)
        if trainer == "floor":
            rows[-1]["blas_threads_pinned"] = context.blas_pinned
        if trainer == "adam" and bound is not None:
            rows.append({**common, "trainer": BOUND, "backend": context.backend, "epochs": len(times),
                         **_speeds(case, bound, None, floor_img_s)})
    return rows


def _case_seconds(case: PerfCase, context: _Context) -> tuple[dict[str, list[float]], list[float]]:
    """({trainer: seconds of each steady epoch}, 1-minute load average after each round), interleaved: one epoch
    of each trainer per round, so machine noise hits all alike. Round 0 is the warm-up (tracing, first-touch
    allocation) and is not kept."""
    config = context.config
    data = synthetic_data(case, config.seed)
    runners = {t: RUNNERS[t](case, data, config.seed, context.compute_dtype) for t in config.trainers}
    seconds: dict[str, list[float]] = {t: [] for t in runners}
    loads = []
    for rep in range(config.epochs + 1):
        for trainer, run in runners.items():
            elapsed = run()
            if rep:
                seconds[trainer].append(elapsed)
        loads.append(os.getloadavg()[0])
    return seconds, loads


def _speeds(case: PerfCase, img_s: float, slowest: float | None, floor_img_s: float | None, flops=True) -> dict:
    """A row's speed fields: median images/s, images/s of the slowest epoch, nominal GFLOP/s, fraction of the floor."""
    return {
        "img_s": round(img_s, 1),
        "img_s_min": None if slowest is None else round(case.images / slowest, 1),
        "gflop_s": round(gflop_per_s(case.variant, img_s), 2) if flops else None,
        "fraction": _ratio(img_s, floor_img_s),
    }


def _round(value, digits):
    return None if value is None else round(value, digits)


def _ratio(value, reference):
    return None if reference is None else round(value / reference, 4)


def _timer(epoch: Callable[[], object]) -> Runner:
    """A runner timing ``epoch()`` with the wall clock."""

    def timed() -> float:
        started = time.perf_counter()
        epoch()
        return time.perf_counter() - started

    return timed


def p1_fraction(rows: list[dict], trainer: str = "tp2", key: str = "fraction") -> float | None:
    """``key`` of ``trainer``'s row on TensorFlow, model2 (3×1000) at batch 128, float32 (default: tp2 over the
    floor); None when not measured."""
    for row in rows:
        if (row["model"], row["batch"], row["trainer"], row["backend"]) == (P1_MODEL, P1_BATCH, trainer, "tensorflow"):
            if row["hidden_units"] == [1000, 1000, 1000] and row.get("precision", "float32") == "float32":
                return row.get(key)
    return None
