"""Worker → device pinning and `-n auto` sizing, decided without importing a framework."""


from tp2core.training import hardware as devices


def test_auto_workers_one_per_gpu():
    assert devices.auto_workers(cpu_count=16, gpu_count=1) == 1
    assert devices.auto_workers(cpu_count=2, gpu_count=0) == 2


def test_worker_index():
    assert [devices.worker_index(w) for w in ("gw0", "gw7", "master", "gwx")] == [0, 7, 0, 0]


def test_pin_worker_device_round_robin(monkeypatch):
    """Worker gw3 on a 2-GPU machine sees GPU 1 only, with memory growth and no JAX preallocation."""
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    monkeypatch.delenv("TF_FORCE_GPU_ALLOW_GROWTH", raising=False)
    monkeypatch.delenv("XLA_PYTHON_CLIENT_PREALLOCATE", raising=False)
    devices.pin_worker_device("gw3")
    import os

    assert os.environ["CUDA_VISIBLE_DEVICES"] == "1"
    assert os.environ["TF_FORCE_GPU_ALLOW_GROWTH"] == "true"
    assert os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"] == "false"


def test_cuda_visible_devices_counts(monkeypatch):
    """On a 4-GPU machine CUDA_VISIBLE_DEVICES decides: '-1' or '' none, '2,3' two, unset all four."""
    monkeypatch.setattr(devices, "driver_gpu_count", lambda: 4)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")
    assert devices.visible_gpu_count() == 0
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert devices.visible_gpu_count() == 0
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    assert devices.visible_gpu_count() == 2
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    assert devices.visible_gpu_count() == 4


def test_no_gpu_without_a_driver(monkeypatch):
    """No NVIDIA driver: no GPU, whatever CUDA_VISIBLE_DEVICES lists (one rule for -n auto and the auto profile)."""
    from tp2core.session import resolve_profile

    monkeypatch.setattr(devices, "driver_gpu_count", lambda: 0)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    assert devices.visible_gpu_count() == 0 and devices.auto_workers(cpu_count=2) == 2
    assert resolve_profile("auto").name == "quick"
