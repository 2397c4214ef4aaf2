"""Numerics knobs: ``float32`` is the recipe; ``tf32`` and ``mixed_bfloat16`` are opt-in and change the numbers.

A run's precision is part of its identity (``RunSpec.precision``), named in every table header and checked by
the gate, so a faster-but-different run is never mixed with, reused for or gated against a float32 one.

* ``float32``: float32 storage and arithmetic everywhere; TensorFloat-32 off on every backend (JAX's default
  matmul precision on NVIDIA GPUs is TF32-like, so JAX is pinned to ``highest``).
* ``tf32``: float32 storage, TensorFloat-32 matrix products on NVIDIA Ampere or newer (10-bit mantissa inputs,
  float32 accumulation). No effect on a CPU, but still recorded: the run is not claimed to be float32.
* ``mixed_bfloat16``: Keras' ``mixed_bfloat16`` policy: layers compute in bfloat16, weights and Adam's state
  stay float32; the output softmax and the loss stay float32 (``models.build_model``). On CPUs with AMX or
  AVX512-BF16 oneDNN runs the products in bfloat16 (the measured speed-up: docs/perf.md, "Opt-in precision",
  from ``tp2 perf --precision mixed_bfloat16``).
"""

from __future__ import annotations

import os
from contextlib import contextmanager

from ..errors import ConfigError

PRECISIONS = {
    "float32": "float32 everywhere (the recipe)",
    "tf32": "float32 storage, TensorFloat-32 matmuls on NVIDIA Ampere+ (opt-in; changes numerics on such GPUs)",
    "mixed_bfloat16": "bfloat16 compute, float32 weights, optimizer state and loss (opt-in; changes numerics)",
}
DEFAULT_PRECISION = "float32"
PRECISION_ENV = "TP2_PRECISION"


def check_precision(value, source: str = "precision") -> str:
    """``value`` if it names a precision, else a ConfigError naming ``source`` and the valid values."""
    if value not in PRECISIONS:
        raise ConfigError(
            f"{source!r} must be one of {', '.join(PRECISIONS)} (got {value!r}); float32 is the notes' recipe, "
            "e.g. --tp2-precision mixed_bfloat16 opts into bfloat16 compute."
        )
    return value


def training_precision() -> str:
    """The precision runs use when none is given: ``TP2_PRECISION`` or float32."""
    return check_precision(os.environ.get(PRECISION_ENV) or DEFAULT_PRECISION, PRECISION_ENV)


def describe(precision: str) -> str:
    return f"{precision} — {PRECISIONS[precision]}"


@contextmanager
def precision_scope(precision: str):
    """Keras' global dtype policy and TensorFloat-32 set for ``precision`` (for building *and* training a
    model); float32 is restored afterwards, as a worker trains many runs in one process."""
    import keras

    check_precision(precision)
    keras.mixed_precision.set_global_policy("mixed_bfloat16" if precision == "mixed_bfloat16" else "float32")
    set_tf32(precision == "tf32")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy("float32")
        set_tf32(False)


def set_tf32(on: bool) -> None:
    """TensorFloat-32 for float32 matrix products on the active Keras backend."""
    from .backend import keras_backend_name

    backend = keras_backend_name()
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_tensor_float_32_execution(on)
    elif backend == "torch":
        import torch

        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = on
    elif backend == "jax":
        import jax

        jax.config.update("jax_default_matmul_precision", "tensorfloat32" if on else "highest")


def tf32_enabled() -> bool | None:
    """Whether float32 matrix products may use TensorFloat-32 now (None: the backend has no such switch)."""
    from .backend import keras_backend_name

    backend = keras_backend_name()
    if backend == "tensorflow":
        import tensorflow as tf

        return bool(tf.config.experimental.tensor_float_32_execution_enabled())
    if backend == "torch":
        import torch

        return bool(torch.backends.cuda.matmul.allow_tf32)
    if backend == "jax":
        import jax

        return jax.config.jax_default_matmul_precision not in ("highest", "float32")
    return None


def problems(model, precision: str) -> list[str]:
    """Ways the model or the process does not run at ``precision`` (observed, not assumed)."""
    found = []
    want_compute = "bfloat16" if precision == "mixed_bfloat16" else "float32"
    hidden = [layer for layer in model.layers if layer.weights and layer.name != "output"]
    for layer in hidden:
        if layer.compute_dtype != want_compute or layer.variable_dtype != "float32":
            found.append(f"layer {layer.name} computes in {layer.compute_dtype} with {layer.variable_dtype} "
                         f"weights, not {want_compute} with float32 weights ({precision})")
    output = model.get_layer("output")
    if output.compute_dtype != "float32":
        found.append(f"the output layer computes in {output.compute_dtype}, not float32")
    tf32 = tf32_enabled()
    if tf32 is not None and tf32 != (precision == "tf32"):
        found.append(f"TensorFloat-32 is {'on' if tf32 else 'off'} under precision {precision}")
    return found
