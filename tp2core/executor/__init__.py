"""Where planned runs train, looked up by name: ``get_executor(options.executor)``.

An executor (``base.Executor``) checks that it can run with the session's options, then trains planned cells and
stores each result as it arrives. ``local`` (``local.py``): the processes running the claim tests train their own
cells (with or without xdist) and ``tp2 run`` trains in its own process. ``ray`` (``ray_executor.py``): the
controller trains every missing run as Ray tasks before the tests, which then judge from the store exactly as
under ``local``. Adding an executor is one module plus one line in ``EXECUTORS``; the plugin, the session and the
CLI only ever name ``options.executor``.
"""

from __future__ import annotations

from importlib import import_module

from ..errors import ConfigError

# name → "module:class", imported only when chosen (Ray is an optional dependency)
EXECUTORS = {
    "local": "tp2core.executor.local:LocalExecutor",
    "ray": "tp2core.executor.ray_executor:RayExecutor",
}


def executor_names() -> tuple[str, ...]:
    return tuple(EXECUTORS)


def check_executor_name(name: object, option: str = "--tp2-executor") -> str:
    if name not in EXECUTORS:
        raise ConfigError(f"{option} must be one of {', '.join(EXECUTORS)} (got {name!r}); e.g. {option} local.")
    return name


def get_executor(name: str):
    """The executor registered as ``name`` (a base.Executor instance)."""
    module, _, cls = EXECUTORS[check_executor_name(name)].partition(":")
    return getattr(import_module(module), cls)()
