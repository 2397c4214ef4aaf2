"""Per-run isolation for a process that trains several runs in turn (a reused Ray worker, an xdist worker).

``prepare_run(threads)`` is called before each run. What a previous run can leave in the process, and how the
next one starts clean (``train`` then does its own part, marked *train*):

* Keras graph/session state, layer-name counters (``dense_3`` instead of ``dense_1``), Keras' global
  ``SeedGenerator`` state: ``keras.backend.clear_session()`` here, and again in *train* before building (that one
  also frees the previous run's memory with ``gc.collect()``). tp2 names its layers, so the counters do not
  reach the weights (a mutation test without either clear_session still trained identical weights).
* global random state — Python ``random``, numpy's global RNG, TensorFlow's global and op seeds: reseeded from the
  run's own seed by *train* (``keras.utils.set_random_seed(spec.seed)`` after its ``clear_session``); augmentation
  and the epoch order take the run's seed explicitly. Nothing random is carried over.
* dtype policy: set back to float32 here (``precision_scope`` also restores it when a run ends, even by an
  exception); *train* sets the run's policy inside ``precision_scope``.
* TensorFloat-32: set back to off here (likewise restored by ``precision_scope``).
* op determinism: ``enable_determinism()`` here (idempotent; nothing in tp2 turns it off); *train* checks it.
* the thread variables (OMP/MKL): set to the run's count (``configure_threads``); the count itself travels in the
  run's spec, never through ``TP2_THREADS``.
* thread pools: **cannot be reset**. TensorFlow fixes its intra-op pool at its first op (torch its inter-op pool;
  JAX its XLA_FLAGS), and a run's numbers depend on the count. A process already running another count is not
  used: ``prepare_run`` returns why (it never trains with the wrong threads), and the caller trains the run in a
  fresh process (``ray_executor``: resubmitted once with ``max_calls=1`` and a runtime_env no worker has).
* GPU memory and device binding: not reset. TensorFlow binds to the devices visible when it starts and keeps its
  allocator's memory while idle, while Ray assigns GPUs per task — so GPU tasks keep a fresh process per run
  (``max_calls=1``, Ray's own default for GPU tasks); reuse is for CPU tasks.
* per-process caches that hold no run state: ``probes._all_finite`` (one stateless tf.function) is kept, as in
  an xdist worker.

``weights_digest(model)`` is the SHA-256 of a trained model's weights, the proof that a reused process trains a
run to the same bits as a fresh one (tests/executor/test_ray_reuse.py).
"""

from __future__ import annotations

import hashlib
import inspect

from ..errors import ConfigError
from .backend import configure_threads, enable_determinism


def prepare_run(threads: int) -> str | None:
    """Reset this process for the next run (see the module docstring); None, or why this process cannot train a
    run with ``threads`` intra-op threads (its thread pools already run another count)."""
    try:
        configure_threads(threads)  # a no-op at the same count; ConfigError once TF runs another count
    except ConfigError as exc:
        return str(exc)
    enable_determinism()
    import keras

    from .precision import set_tf32

    clear_keras_session(keras)
    keras.mixed_precision.set_global_policy("float32")
    set_tf32(False)
    return None


def clear_keras_session(keras) -> None:
    """``keras.backend.clear_session`` without its ``gc.collect()`` where Keras allows it (``free_memory=False``,
    Keras ≥ 3.3): *train*'s own clear_session frees the memory, and one collection per run is enough. Keras 3.0–3.2
    (pyproject allows ``keras>=3.0.5``, which tox's py311-tf216 runs) take no argument: there it collects twice."""
    if "free_memory" in inspect.signature(keras.backend.clear_session).parameters:
        keras.backend.clear_session(free_memory=False)
    else:
        keras.backend.clear_session()


def weights_digest(model) -> str:
    """SHA-256 over every weight of ``model`` (name order as built, dtype, shape and bytes)."""
    import keras
    import numpy as np

    digest = hashlib.sha256()
    for weight in model.weights:
        value = np.ascontiguousarray(keras.ops.convert_to_numpy(weight))
        digest.update(f"{weight.path}|{value.dtype}|{value.shape}|".encode())
        digest.update(value.tobytes())
    return digest.hexdigest()
