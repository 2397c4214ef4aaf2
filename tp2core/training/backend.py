"""Process set-up that changes numbers (thread counts) and the fingerprint of the environment a run used.

Importing this module is cheap: TensorFlow (or JAX, torch) is imported inside the functions that need it.
The Keras backend comes from ``KERAS_BACKEND`` (default tensorflow); threads and determinism switches are set
per backend: TF's thread pools and op determinism, torch's thread counts and deterministic algorithms, JAX's
XLA_FLAGS (single-threaded Eigen; XLA on CPU has no determinism switch and needs none at a fixed thread count).
On CPU the result of a run depends on the intra-op thread count (we measured different weights with 1 and 2
threads), so every process that trains pins the same count — 1 unless ``TP2_THREADS`` says otherwise — and
``-n 0`` and ``-n 2`` produce the same runs.
"""

from __future__ import annotations

import os
import platform
import sys

from ..errors import ConfigError

THREADS_ENV = "TP2_THREADS"
DEFAULT_THREADS = 1  # intra-op threads of a run when the user sets none (results depend on the count on CPU)
BACKENDS = ("tensorflow", "jax", "torch")
# XLA's CPU client has no intra-op thread count; single-threaded Eigen is the one setting that pins it (1 thread).
JAX_SINGLE_THREAD_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
# What each backend guarantees for a fixed seed and thread count, stored with every run (observed flags beside it).
DETERMINISM = {
    "tensorflow": "tf.config.experimental.enable_op_determinism(): deterministic kernels or an error; TF32 off",
    "torch": "torch.use_deterministic_algorithms(True): deterministic kernels or an error (CPU)",
    "jax": "no op-determinism switch on CPU: XLA CPU is run-to-run deterministic for fixed XLA_FLAGS and 1 thread",
}


def keras_backend_name() -> str:
    """The Keras backend a run trains on: ``KERAS_BACKEND`` or 'tensorflow' (Keras' default). No Keras import."""
    name = os.environ.get("KERAS_BACKEND", "").strip() or "tensorflow"
    if name not in BACKENDS:
        raise ConfigError(
            f"'KERAS_BACKEND' must be one of {', '.join(BACKENDS)} (got {name!r}); e.g. KERAS_BACKEND=jax."
        )
    return name


def training_threads() -> int:
    """The user's ``TP2_THREADS``, or DEFAULT_THREADS: read once, where options are read (session.Options, the CLI)."""
    raw = os.environ.get(THREADS_ENV, "").strip()
    if not raw:
        return DEFAULT_THREADS
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{THREADS_ENV!r} must be a positive int (got {raw!r}); e.g. {THREADS_ENV}=1.")
    return int(raw)


def configure_threads(n: int) -> None:
    """Pin TF intra-op threads to n and inter-op threads to 1. Must run before TensorFlow executes anything.

    Calling again with the same n is a no-op; with another n after TF started it raises ConfigError.
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ConfigError(f"'threads' must be a positive int (got {n!r}).")
    backend = keras_backend_name()
    if backend == "jax":
        return _configure_jax_threads(n)
    if backend == "torch":
        return _configure_torch_threads(n)
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
            f"tp2core.training.backend.configure_threads({n}) before any TensorFlow operation)."
        ) from None


def _configure_jax_threads(n: int) -> None:
    """JAX reads XLA_FLAGS once, when its CPU client starts: single-threaded Eigen, or a clear error."""
    flags = os.environ.get("XLA_FLAGS", "")
    if n != 1:
        raise ConfigError(
            f"'threads' must be 1 on the JAX backend (got {n}): XLA's CPU client has no intra-op thread count, "
            f"only single-threaded Eigen; set {THREADS_ENV}=1 or use KERAS_BACKEND=tensorflow or torch."
        )
    if JAX_SINGLE_THREAD_FLAGS not in flags:
        if "jax" in sys.modules and _jax_started():
            raise ConfigError(
                f"'threads' cannot become 1: JAX already started in this process without XLA_FLAGS="
                f"{JAX_SINGLE_THREAD_FLAGS!r}; set it (or {THREADS_ENV}=1) before starting the process."
            )
        os.environ["XLA_FLAGS"] = f"{flags} {JAX_SINGLE_THREAD_FLAGS}".strip()
    _set_thread_env(n)


def _jax_started() -> bool:
    try:
        from jax._src import xla_bridge  # no public getter; True is the safe answer when it is missing

        return bool(xla_bridge.backends_are_initialized())
    except (ImportError, AttributeError):
        return True


def _configure_torch_threads(n: int) -> None:
    """torch: intra-op threads can change any time; inter-op threads only before torch's first parallel work."""
    if "torch" not in sys.modules:
        _set_thread_env(n)
    import torch

    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    if torch.get_num_interop_threads() != 1:
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:  # inter-op pool already running
            raise ConfigError(
                f"'threads' cannot be pinned: torch already started its inter-op pool with "
                f"{torch.get_num_interop_threads()} threads; set {THREADS_ENV}={n} before starting the process."
            ) from None
    _set_thread_env(n)


def enable_determinism() -> None:
    """Turn on the backend's determinism switches (see DETERMINISM); observed later by ``determinism_problems``."""
    backend = keras_backend_name()
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
        tf.config.experimental.enable_tensor_float_32_execution(False)  # "float32" is float32 on Ampere+ too
    elif backend == "torch":
        import torch

        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.benchmark = False
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False


def determinism_problems(model) -> list[str]:
    """Reproducibility settings that are not in effect now (docs/reliability.md A3: observed, not assumed). TF32 and
    the dtype policy are the precision's business (``tp2core.training.precision.problems``)."""
    backend, problems = keras_backend_name(), []
    if backend == "tensorflow":
        if not op_determinism_enabled():
            problems.append("TF op determinism is off (tf.config.experimental.enable_op_determinism() had no effect)")
        if model.jit_compile:
            problems.append("the model is XLA-compiled (jit_compile=True), which op determinism does not cover")
    elif backend == "torch":
        import torch

        if not torch.are_deterministic_algorithms_enabled():
            problems.append("torch deterministic algorithms are off (use_deterministic_algorithms had no effect)")
        if torch.get_num_interop_threads() != 1:
            problems.append(f"torch runs {torch.get_num_interop_threads()} inter-op threads, not 1")
    elif JAX_SINGLE_THREAD_FLAGS not in os.environ.get("XLA_FLAGS", ""):
        problems.append(f"XLA_FLAGS lacks {JAX_SINGLE_THREAD_FLAGS!r}, so the XLA CPU thread count is not pinned")
    return problems


def _set_thread_env(n: int) -> None:
    """Thread variables for libraries that start later and for child processes (which inherit them)."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
        os.environ[var] = str(n)
    os.environ["TF_NUM_INTEROP_THREADS"] = "1"


def detect_gpus() -> list[str]:
    """Names of the GPUs the Keras backend can see ([] on CPU-only machines)."""
    backend = keras_backend_name()
    if backend == "jax":
        import jax

        return [d.device_kind for d in jax.devices() if d.platform == "gpu"]
    if backend == "torch":
        import torch

        return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
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
    """Versions, device and the determinism settings actually in effect (observed, not assumed).

    Keys are the same on every backend; a setting a backend does not have is None (e.g. ``tf32`` on JAX).
    """
    import keras
    import numpy as np

    from ..provenance import git_state

    backend = keras.backend.backend()
    gpus = detect_gpus()
    fp = {
        "python": platform.python_version(),
        "tensorflow": None,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "keras_backend": backend,
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "gpus": gpus,
        "device": gpus[0] if gpus else "CPU",
        "op_determinism": None,
        "determinism": DETERMINISM.get(backend, "unknown backend: none known"),
        "tf32": None,
        "dtype_policy": keras.mixed_precision.global_policy().name,  # mixed_bfloat16 under that precision
        "jit_compile": jit_compile,
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "onednn_opts": os.environ.get("TF_ENABLE_ONEDNN_OPTS", ""),  # oneDNN changes CPU float round-off
        "intra_op_threads": None,
        "inter_op_threads": None,
        # the code that trained it (tp2core.provenance): a stored run traces to its commit; None outside a checkout
        "tp2_commit": git_state().get("commit"),
        "tp2_dirty": git_state().get("dirty"),
    }
    if backend == "tensorflow":
        import tensorflow as tf

        fp["tensorflow"] = tf.__version__
        fp["op_determinism"] = op_determinism_enabled()
        fp["tf32"] = bool(tf.config.experimental.tensor_float_32_execution_enabled())
        fp["intra_op_threads"] = tf.config.threading.get_intra_op_parallelism_threads()
        fp["inter_op_threads"] = tf.config.threading.get_inter_op_parallelism_threads()
    elif backend == "torch":
        import torch

        fp["torch"] = str(torch.__version__)  # a TorchVersion: xdist (execnet) cannot send it
        fp["op_determinism"] = bool(torch.are_deterministic_algorithms_enabled())
        fp["tf32"] = bool(torch.backends.cuda.matmul.allow_tf32)
        fp["intra_op_threads"] = torch.get_num_threads()
        fp["inter_op_threads"] = torch.get_num_interop_threads()
    elif backend == "jax":
        import jax

        fp["jax"] = str(jax.__version__)
        fp["jax_matmul_precision"] = jax.config.jax_default_matmul_precision  # "highest" under float32
        fp["intra_op_threads"] = 1 if JAX_SINGLE_THREAD_FLAGS in fp["xla_flags"] else None  # None: XLA's default
    return fp


def op_determinism_enabled() -> bool:
    """Whether TF op determinism is on now (``enable_op_determinism`` has no public getter in TF 2.21)."""
    from tensorflow.python.framework import config as tf_config  # the getter TF's own tests use

    return bool(tf_config.is_op_determinism_enabled())
