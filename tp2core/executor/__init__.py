"""Where planned runs train, looked up by name: ``get_executor(options.executor)``.

An executor (``base.Executor``) checks that it can run with the session's options, then trains planned cells and
stores each result as it arrives. ``local`` (``local.py``): the processes running the claim tests train their own
cells (with or without xdist) and ``tp2 run`` trains in its own process. ``ray`` (``ray_executor.py``): the
controller trains every missing run as Ray tasks before the tests, which then judge from the store exactly as
under ``local``. Adding an executor is one module plus one line in ``EXECUTORS``; the plugin, the session and the
CLI only ever name ``options.executor``, and an executor's own options (``Executor.options``, e.g. Ray's address)
reach them through ``executor_options()``: ``--tp2-<name>`` in pytest, ``--<name>`` in ``tp2 run``,
``Options.executor_options[key]`` for the executor.
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


def executor_class(name: str):
    """The class registered as ``name`` (its module imports nothing heavy: Ray is imported when it connects)."""
    module, _, cls = EXECUTORS[check_executor_name(name)].partition(":")
    return getattr(import_module(module), cls)


def get_executor(name: str):
    """A new instance of the executor registered as ``name`` (a base.Executor): one per session, closed at its
    end (``close()``)."""
    return executor_class(name)()


def executor_options() -> list:
    """(executor name, base.ExecutorOption) for every option a registered executor declares, in registry order."""
    return [(name, option) for name in EXECUTORS for option in executor_class(name).options]


def check_executor_options(values: object, option: str = "'executor_options'") -> dict:
    """``values`` as a dict whose keys are declared options (ExecutorOption.key); ConfigError naming the others."""
    keys = {o.key for _, o in executor_options()}
    if not isinstance(values, dict) or not set(values) <= keys:
        unknown = sorted(set(values) - keys) if isinstance(values, dict) else values
        raise ConfigError(f"{option} must map executor option keys ({', '.join(sorted(keys))}) to values "
                          f"(got {unknown!r}); e.g. {{'ray_address': 'HEAD:6379'}}.")
    return values
