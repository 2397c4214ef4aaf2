"""The matmul-only floor: a model's training GEMMs at its real layer shapes, timed alone (numpy's BLAS and each
backend's own kernels), and the cases ``tp2 perf`` measures. See ``perf.measure`` for how the floor is used.

Importing this module is cheap; TensorFlow, JAX or torch are imported by the floor that needs them.
"""

from __future__ import annotations

import ctypes
import glob
import os
from dataclasses import dataclass, replace

import numpy as np

from ..recipe.models import forward_macs, layer_shapes
from ..recipe.variants import Variant, get_variant


@dataclass(frozen=True)
class PerfCase:
    """One (model, batch size) to measure."""

    variant: Variant  # hidden widths are what is timed; epochs/augmentation are ignored
    batch_size: int  # images per step
    images: int  # images per timed epoch (a whole number of batches)


def make_cases(models, batch_sizes, *, steps: int, width_cap: int | None = None) -> list[PerfCase]:
    """Cases for each model name × batch size; ``steps`` batches per epoch; widths capped like a profile's."""
    cases = []
    for name in models:
        variant = get_variant(name)
        if width_cap is not None:
            variant = replace(variant, hidden_units=tuple(min(u, width_cap) for u in variant.hidden_units))
        cases += [PerfCase(replace(variant, batch_size=b), b, b * steps) for b in batch_sizes]
    return cases


def gflop_per_s(variant: Variant, images_per_s: float) -> float:
    """Nominal training GFLOP/s: 6 FLOPs per forward MAC per image (2 forward + 4 backward)."""
    return images_per_s * 6 * forward_macs(variant) / 1e9


def step_gemms(variant: Variant, batch: int) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Operand shapes (A, B) of the GEMMs A @ B one training step needs."""
    gemms = []
    for layer, (fan_in, fan_out) in enumerate(layer_shapes(variant)):
        gemms.append(((batch, fan_in), (fan_in, fan_out)))  # forward: activations @ kernel
        gemms.append(((fan_in, batch), (batch, fan_out)))  # weight gradient: activationsᵀ @ δ
        if layer > 0:
            gemms.append(((batch, fan_out), (fan_out, fan_in)))  # input gradient: δ @ kernelᵀ
    return gemms


def blas_threads(n: int) -> bool:
    """Pin numpy's OpenBLAS to n threads (as threadpoolctl does); False when no OpenBLAS was found."""
    libs = glob.glob(os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs", "libscipy_openblas*"))
    for path in libs:
        lib = ctypes.CDLL(path)
        for symbol in ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads"):
            if hasattr(lib, symbol):
                getattr(lib, symbol)(ctypes.c_int(n))
                return True
    return False


class FloorEpoch:
    """One 'epoch' of the model's GEMMs alone, on preallocated operands and outputs (no allocation timed)."""

    def __init__(self, case: PerfCase):
        rng = np.random.default_rng(0)
        self.ops = []
        for a, b in step_gemms(case.variant, case.batch_size):
            left, right = rng.random(a, dtype=np.float32), rng.random(b, dtype=np.float32)
            self.ops.append((left, right, np.empty((a[0], b[1]), np.float32)))
        self.steps = case.images // case.batch_size

    def __call__(self) -> None:
        for _ in range(self.steps):
            for left, right, out in self.ops:
                np.matmul(left, right, out=out)


def tf_floor_epoch(case: PerfCase, dtype: str = "float32"):
    """The floor's GEMMs as TensorFlow MatMuls in one compiled loop (what TF's own kernels reach)."""
    import tensorflow as tf

    ops = [(tf.constant(left, dtype), tf.constant(right, dtype)) for left, right, _ in FloorEpoch(case).ops]
    steps = case.images // case.batch_size

    def body(step, acc):  # one element of each product feeds the loop, so no GEMM is pruned
        return step + 1, acc + tf.add_n([tf.cast(tf.matmul(a, b)[0, 0], tf.float32) for a, b in ops])

    epoch = tf.function(lambda: tf.while_loop(lambda s, a: s < steps, body, (0, 0.0))[1], autograph=False)
    return lambda: float(epoch())


def bound_img_s(floor_img_s: float, update_img_s: float) -> float:
    """Images/s of the GEMM floor and the optimizer update run back to back with nothing else."""
    return 1.0 / (1.0 / floor_img_s + 1.0 / update_img_s)


def jax_floor_epoch(case: PerfCase, dtype: str = "float32"):
    """The floor's GEMMs as ``jnp.matmul`` in one jitted ``fori_loop`` (XLA's CPU GEMMs, or cuBLAS)."""
    import jax
    import jax.numpy as jnp

    ops = [(jnp.asarray(left, dtype), jnp.asarray(right, dtype)) for left, right, _ in FloorEpoch(case).ops]
    steps = case.images // case.batch_size

    def body(_, acc):
        # One element of each product feeds the loop, so no GEMM is pruned; and each left operand (the
        # batch-sized one) depends on the loop, else XLA hoists the invariant products out of the loop.
        return acc + sum(jnp.matmul(a + (acc * 1e-30).astype(a.dtype), b)[0, 0].astype(jnp.float32) for a, b in ops)

    epoch = jax.jit(lambda: jax.lax.fori_loop(0, steps, body, jnp.float32(0)))
    return lambda: float(epoch())


def torch_floor_epoch(case: PerfCase, dtype: str = "float32"):
    """The floor's GEMMs as ``torch.matmul`` into preallocated outputs (eager: a dispatch is µs, a GEMM ms)."""
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    ops = [tuple(torch.from_numpy(t).to(device, getattr(torch, dtype)) for t in op) for op in FloorEpoch(case).ops]
    steps = case.images // case.batch_size

    def run():
        with torch.no_grad():
            for _ in range(steps):
                for left, right, out in ops:
                    torch.matmul(left, right, out=out)
        if device == "cuda":
            torch.cuda.synchronize()

    return run


NATIVE_FLOOR_EPOCH = {"floor-tf": tf_floor_epoch, "floor-jax": jax_floor_epoch, "floor-torch": torch_floor_epoch}
