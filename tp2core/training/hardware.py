"""Which device each process trains on, decided before TensorFlow/JAX initialise (docs/reliability.md E4/E5).

No TensorFlow import here: GPUs are counted from the driver's /proc and /dev entries, so the xdist controller can
size `-n auto`, the session can pick the `auto` profile and each worker can pin itself to one GPU before any
framework touches CUDA. ``visible_gpu_count`` is the one rule for "is there a GPU" in tp2.
"""

from __future__ import annotations

import glob
import os


def visible_gpu_count() -> int:
    """NVIDIA GPUs this process may use: none unless the driver shows one (/proc/driver/nvidia/gpus/* or
    /dev/nvidia<N>); then the ids CUDA_VISIBLE_DEVICES lists when it is set ("" or "-1": none), else all."""
    installed = driver_gpu_count()
    if installed == 0:
        return 0
    listed = _cuda_visible_ids()
    return installed if listed is None else len(listed)


def driver_gpu_count() -> int:
    """NVIDIA GPUs the driver exposes on this machine, whatever CUDA_VISIBLE_DEVICES says."""
    return len(glob.glob("/proc/driver/nvidia/gpus/*")) or len(glob.glob("/dev/nvidia[0-9]*"))


def _cuda_visible_ids() -> list[str] | None:
    """The device ids CUDA_VISIBLE_DEVICES lists ("-1" and blanks dropped); None when it is unset."""
    cvd = os.environ.get("CUDA_VISIBLE_DEVICES")
    if cvd is None:
        return None
    return [d.strip() for d in cvd.split(",") if d.strip() and d.strip() != "-1"]


def auto_workers(cpu_count: int | None = None, gpu_count: int | None = None) -> int:
    """Workers for `-n auto`: one per GPU when there are GPUs (each holds a whole model), else one per core."""
    gpus = visible_gpu_count() if gpu_count is None else gpu_count
    if gpus > 0:
        return gpus
    return max(1, cpu_count if cpu_count is not None else (os.cpu_count() or 1))


def worker_index(worker_id: str) -> int:
    """'gw3' → 3; anything else (the controller, -n 0) → 0."""
    return int(worker_id[2:]) if worker_id.startswith("gw") and worker_id[2:].isdigit() else 0


def pin_worker_device(worker_id: str) -> None:
    """Give xdist worker `worker_id` one GPU (by index) with on-demand memory; no-op on CPU machines."""
    ids = _cuda_visible_ids() or [str(i) for i in range(visible_gpu_count())]
    if ids:
        os.environ["CUDA_VISIBLE_DEVICES"] = ids[worker_index(worker_id) % len(ids)]
    # Must be set before the framework initialises: grow TF allocations, don't let JAX grab 75% up front.
    os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
