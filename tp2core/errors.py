"""User-facing errors. Every message says what was given, what was expected and how to fix it.

The CLI and the pytest plugin print these without a traceback; anything else is a bug in tp2.
"""


class Tp2Error(Exception):
    """Base class of errors caused by the user's input or environment, not by a bug in tp2."""


class ConfigError(Tp2Error, ValueError):
    """A bad option, variant name, profile, seed or similar value."""


class DataError(Tp2Error):
    """The dataset cannot be found, verified, read or validated."""


class DataUnavailable(DataError):
    """The dataset is not on this machine and cannot be downloaded."""


class StoreError(Tp2Error):
    """The results store cannot be opened, is corrupt, or has another format version."""


class ExecutorError(Tp2Error):
    """The chosen executor cannot run: Ray missing or unreachable, or a node that would mix identities."""


class RunFailed(Tp2Error):
    """A training run failed (NaN/Inf loss, out of memory, …); never recorded as an accuracy."""


def is_positive_int(value: object) -> bool:
    """An int > 0 that is not a bool (``True`` is an int in Python, never a count here)."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def require(ok: bool, name: str, expected: str, got: object) -> None:
    """The one validation message: ``'epochs' must be a positive int (got 0).`` (a ConfigError)."""
    if not ok:
        raise ConfigError(f"{name!r} must be {expected} (got {got!r}).")
