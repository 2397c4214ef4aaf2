"""Options checked before anything trains: the cheap checks of every tp2 option, once, on the controller.

``check(options)`` raises the first problem as a ``ConfigError`` naming the option, the value and the fix; the
plugin turns it into one pytest usage error (exit 4), before collection. Nothing here loads a dataset, imports a
training library or trains: a path is checked to exist, a gate file to parse and to match what is knowable now
(dataset name, profile, precision, Keras backend) — the dataset's fingerprint is left to the end-of-session gate.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import ConfigError, Tp2Error

DATASET_NAMES = ("auto", "cifar100", "simulated", "simulated-v1")  # data.load.SPECS, without importing numpy


def check(options, *, suite: bool = True) -> None:
    """Every problem of ``options`` (a session.Options) as a ConfigError; the dataset and gate only when ``suite``
    (the claim suite is being run: they mean nothing to a plain test run)."""
    from .training.backend import training_threads

    training_threads()  # TP2_THREADS: a positive int
    _writable(options.store, "--tp2-store", _store_root(options))
    check_max_seeds(options)
    if options.report_dir:
        _writable(options.report_dir, "--tp2-report", Path(options.report_dir))
    if options.tensorboard:
        from .output.tensorboard import require_tensorboard

        require_tensorboard("--tp2-tensorboard")
        _writable(options.tensorboard, "--tp2-tensorboard", Path(options.tensorboard))
    if not suite:
        return
    check_dataset(options.dataset, options.data_path)
    if options.gate and options.update_references:
        _writable(options.gate, "--tp2-gate", Path(options.gate).parent)
    elif options.gate:
        check_gate(options)


def check_max_seeds(options) -> None:
    """--tp2-max-seeds against the first stage (--tp2-seeds or the profile's): claims.sequential.adaptive_design."""
    if options.max_seeds is None:
        return
    from .claims.sequential import adaptive_design
    from .session import resolve_profile

    adaptive_design(options.seeds or resolve_profile(options.profile).seeds, options.max_seeds)


def check_dataset(spec: str, data_path: str | None) -> None:
    if spec not in DATASET_NAMES and not Path(spec).expanduser().exists():
        raise ConfigError(f"--tp2-dataset {spec!r} names no dataset and no such file or folder exists; pass one of "
                          f"{', '.join(DATASET_NAMES)} or the path of a cifar-100-python.tar.gz-style archive or "
                          f"its extracted folder.")
    if data_path and not Path(data_path).expanduser().exists():
        raise ConfigError(f"--tp2-data / TP2_DATA {data_path!r} does not exist; point it at "
                          f"cifar-100-python.tar.gz or its extracted folder, or leave it unset.")


def check_gate(options) -> None:
    """The gate file exists, parses as a reference, and was made for this dataset/profile/precision/backend."""
    from .output.gate import load_reference
    from .session import resolve_profile
    from .training.backend import keras_backend_name

    try:
        ref = load_reference(options.gate)
    except OSError as exc:
        raise ConfigError(f"--tp2-gate {options.gate!r} cannot be read ({exc.strerror}); fix its permissions or "
                          f"pass another reference file.") from None
    except Tp2Error as exc:
        raise ConfigError(f"--tp2-gate: {exc}") from None
    dataset = options.dataset if options.dataset in DATASET_NAMES[1:] else None  # 'auto'/a path: known later
    mine = {"dataset": dataset, "profile": resolve_profile(options.profile).name,
            "precision": options.precision, "backend": keras_backend_name()}
    theirs = {"dataset": ref.get("dataset"), "profile": ref.get("profile"),
              "precision": ref.get("precision", "float32"),
              "backend": (ref.get("environment") or {}).get("keras_backend")}
    for key, value in mine.items():
        if value is not None and theirs[key] is not None and value != theirs[key]:
            raise ConfigError(f"--tp2-gate {options.gate!r} is a reference for {key} {theirs[key]!r}, this session "
                              f"runs {key} {value!r}; gate against a reference made for {value!r} (or make one "
                              f"with --tp2-update-references --tp2-gate FILE).")


def _store_root(options) -> Path:
    from .session import store_root

    return Path(store_root(options))


def _writable(value, option: str, directory: Path) -> None:
    """A file can be written in ``directory``, or it can be created: its nearest existing ancestor is a writable
    folder. Creates nothing (a plain `pytest tests` must not leave a .tp2/ behind)."""
    directory = directory.expanduser().absolute()
    existing = next(p for p in (directory, *directory.parents) if p.exists())
    problem = None
    if not existing.is_dir():
        problem = f"{existing} is not a folder"
    elif existing == directory:
        try:
            with tempfile.TemporaryFile(dir=directory):
                pass
        except OSError as exc:
            problem = f"cannot write in {directory} ({exc.strerror or exc})"
    elif not os.access(existing, os.W_OK | os.X_OK):
        problem = f"cannot create {directory}: {existing} is not writable"
    if problem:
        raise ConfigError(f"{option} {str(value or directory)!r}: {problem}; pass a writable directory.")
