"""The Ray connection of the ray executor: Ray imported on demand, the cluster address checked before any
collection (a fast TCP probe), and one ``Connection`` kept for all of a session's stages (the dataset uploaded
once, Ray shut down at the end only when tp2 started it)."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

from ..errors import ExecutorError

CONNECT_TIMEOUT_S = 5.0  # TCP probe of --tp2-ray-address before ray.init (which would wait much longer)
INSTALL_HINT = "--tp2-executor ray needs Ray: pip install 'tp2[ray]' (or pip install 'ray>=2.40')."


def address_of(options) -> str | None:
    """The --tp2-ray-address / --ray-address the options carry (None: see resolve_address)."""
    return (getattr(options, "executor_options", None) or {}).get("ray_address")


class Connection:
    """A Ray connection kept across ``run_on_ray`` calls: opened on first use, each dataset put into Ray's object
    store once (by fingerprint), and ``close()`` shuts down Ray only when ``open`` started it (not when this
    process was already connected)."""

    def __init__(self, address: str | None) -> None:
        self.address = address
        self.ray = None
        self.started = False
        self._datasets: dict[str, object] = {}  # dataset fingerprint → ObjectRef

    def open(self):
        if self.ray is None:
            self.ray, self.started = connect(self.address)
        return self.ray

    def dataset_ref(self, dataset):
        """``dataset`` in Ray's object store: put on the first call, the same ObjectRef afterwards."""
        if dataset.fingerprint not in self._datasets:
            self._datasets[dataset.fingerprint] = self.open().put(dataset)
        return self._datasets[dataset.fingerprint]

    def close(self) -> None:
        if self.ray is not None and self.started:
            self.ray.shutdown()
        self.ray, self.started = None, False
        self._datasets.clear()


def import_ray():
    """The ``ray`` module, or ExecutorError with the install command."""
    try:
        import ray
    except ImportError:
        raise ExecutorError(INSTALL_HINT) from None
    return ray


def resolve_address(address: str | None) -> str | None:
    """--tp2-ray-address, else Ray's own RAY_ADDRESS, else None (start a local Ray instance)."""
    return address or os.environ.get("RAY_ADDRESS") or None


def _probe(address: str) -> None:
    """Fail fast on an unreachable HOST:PORT (or ray://HOST:PORT); 'auto' and 'local' are Ray's own lookups."""
    if address in ("auto", "local"):
        return
    parsed = urlparse(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parsed.hostname, parsed.port or 6379
    except ValueError:
        host, port = None, None
    if not host:
        raise ExecutorError(f"--tp2-ray-address {address!r} is not HOST:PORT; e.g. --tp2-ray-address 10.0.0.5:6379 "
                            f"(the address `ray start --head` printed), or unset it to start a local Ray.")
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise ExecutorError(
            f"Ray cluster at {address!r} (--tp2-ray-address or RAY_ADDRESS) is unreachable: {exc.strerror or exc}. "
            f"Start it with `ray start --head` on that machine, fix the address, or drop the option (and unset "
            f"RAY_ADDRESS) to start a local Ray instance.") from None


def check_ready(address: str | None) -> None:
    """ExecutorError now (not after collection) when Ray is missing or the cluster address is unreachable."""
    import_ray()
    address = resolve_address(address)
    if address is not None:
        _probe(address)


def connect(address: str | None):
    """(ray, started): connect to ``address`` (see resolve_address) unless this process already is connected."""
    ray = import_ray()
    if ray.is_initialized():
        return ray, False
    address = resolve_address(address)
    if address is not None:
        _probe(address)
    try:
        ray.init(address=address or "local", include_dashboard=False, log_to_driver=False, configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ExecutorError(f"cannot connect to Ray at {address or 'a new local instance'!r} (--tp2-ray-address or "
                            f"RAY_ADDRESS): {exc}. Check `ray status` on the head node, or drop the option to start "
                            f"a local Ray instance.") from None
    return ray, True
