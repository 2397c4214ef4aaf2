"""One identity across a cluster: what a node must share with the controller before it may train a run.

A run's identity hashes RECIPE_VERSION and the backend but not the library versions, so a node with another
Keras or TensorFlow would write different numbers under the same identity into the controller's store. Such a
node is refused with the difference named. Library versions come from the installed distributions
(``importlib.metadata``), so the controller checks without importing TensorFlow.
"""

from __future__ import annotations

import platform
from importlib import metadata

from ..training.backend import keras_backend_name

# Distributions that provide each backend's module (tensorflow-cpu and tensorflow ship the same `tensorflow`).
BACKEND_DISTRIBUTIONS = {
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-intel", "tensorflow-macos"),
    "jax": ("jax",),
    "torch": ("torch",),
}


def _version(*distributions: str) -> str | None:
    for name in distributions:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def node_identity() -> dict:
    """What this process would train with: tp2 recipe version, Keras backend, Python and library versions."""
    from ..training.runs import RECIPE_VERSION

    backend = keras_backend_name()
    identity = {
        "recipe_version": RECIPE_VERSION,
        "keras_backend": backend,
        "python": ".".join(platform.python_version_tuple()[:2]),
        "keras": _version("keras"),
        "numpy": _version("numpy"),
        backend: _version(*BACKEND_DISTRIBUTIONS[backend]),
    }
    if backend == "jax":
        identity["jaxlib"] = _version("jaxlib")
    return identity


def differences(controller: dict, node: dict) -> list[str]:
    """'field: controller X, node Y' for every field the two identities disagree on (sorted by field)."""
    return [f"{key}: controller {controller.get(key)!r}, node {node.get(key)!r}"
            for key in sorted(set(controller) | set(node)) if controller.get(key) != node.get(key)]


def refusal(host: str, node_id: str, controller: dict, node: dict) -> str | None:
    """The refusal message for a node whose identity differs from the controller's, or None when they agree."""
    diff = differences(controller, node)
    if not diff:
        return None
    return (f"Ray node {host} ({node_id[:12]}) refused: its tp2 identity differs from the controller's ("
            f"{'; '.join(diff)}). Install the controller's tp2 and library versions on that node (or remove it "
            f"from the cluster); a silent mix would store different numbers under one run identity.")
