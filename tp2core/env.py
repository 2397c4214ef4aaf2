"""Process set-up that changes numbers (thread counts) and the fingerprint of the environment a run used.

Importing this module is cheap: TensorFlow is imported inside the functions that need it.
On CPU the result of a run depends on the intra-op thread count (we measured different weights with 1 and 2
threads), so every process that trains pins the same count — 1 unless ``TP2_THREADS`` says otherwise — and
``-n 0`` and ``-n 2`` produce the same runs.
"""

from __future__ import annotations

import os
import platform
import sys

from .errors import ConfigError

THREADS_ENV = "TP2_THREADS"


def training_threads() -> int:
    """Intra-op threads for training: ``TP2_THREADS`` or 1."""
    raw = os.environ.get(THREADS_ENV, "").strip()
    if not raw:
        return 1
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{THREADS_ENV!r} must be a positive int (got {raw!r}); e.g. {THREADS_ENV}=1.")
    return int(raw)


def configure_threads(n: int) -> None:
    """Pin TF intra-op threads to n and inter-op threads to 1. Must run before TensorFlow executes anything.

    Calling again with the same n is a no-op; with another n after TF started it raises ConfigError.
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ConfigError(f"'threads' must be a positive int (got {n!r}).")
    if "tensorflow" not in sys.modules:  # OpenMP/MKL read these when TF's libraries load
        _set_thread_env(n)
    import tensorflow as tf

    threading = tf.config.threading
    if threading.get_intra_op_parallelism_threads() == n and threading.get_inter_op_parallelism_threads() == 1:
        _set_thread_env(n)
        return
    try:
        threading.set_intra_op_parallelism_threads(n)
        threading.set_inter_op_parallelism_threads(1)
        _set_thread_env(n)
    except RuntimeError:  # TF's context already exists: its thread pools cannot change any more
        current = threading.get_intra_op_parallelism_threads() or "TF's default (all cores)"
        raise ConfigError(
            f"'threads' cannot become {n}: TensorFlow already started in this process with {current} intra-op "
            f"threads; set {THREADS_ENV}={n} before starting the process (or call "
            f"tp2core.env.configure_threads({n}) before any TensorFlow operation)."
        ) from None


def _set_thread_env(n: int) -> None:
    """Thread variables for libraries that start later and for child processes (which inherit them)."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
        os.environ[var] = str(n)
    os.environ["TF_NUM_INTEROP_THREADS"] = "1"


def detect_gpus() -> list[str]:
    """Names of the GPUs TensorFlow can see ([] on CPU-only machines)."""
    import tensorflow as tf

    names = []
    for device in tf.config.list_physical_devices("GPU"):
        try:
            details = tf.config.experimental.get_device_details(device)
        except Exception:  # details are best-effort; the device name is enough to tell CPU from GPU rows
            details = {}
        names.append(details.get("device_name") or device.name)
    return names


def cpu_model() -> str:
    """The CPU model string from /proc/cpuinfo (Linux), else platform's best guess."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment_fingerprint(*, jit_compile: bool | None = None) -> dict:
    """Versions, device and the determinism settings actually in effect (observed, not assumed)."""
    import keras
    import numpy as np
    import tensorflow as tf

    gpus = detect_gpus()
    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "keras_backend": keras.backend.backend(),
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "gpus": gpus,
        "device": gpus[0] if gpus else "CPU",
        "op_determinism": op_determinism_enabled(),
        "tf32": bool(tf.config.experimental.tensor_float_32_execution_enabled()),
        "jit_compile": jit_compile,
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "onednn_opts": os.environ.get("TF_ENABLE_ONEDNN_OPTS", ""),  # oneDNN changes CPU float round-off
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
    }


def op_determinism_enabled() -> bool:
    """Whether TF op determinism is on now (``enable_op_determinism`` has no public getter in TF 2.21)."""
    from tensorflow.python.framework import config as tf_config  # the getter TF's own tests use

    return bool(tf_config.is_op_determinism_enabled())
