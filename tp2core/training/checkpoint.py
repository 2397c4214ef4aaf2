"""Epoch checkpoints with exact resume (issue 17.2; docs/reliability.md G1, G2, C1–C7).

One file per run in flight, ``<store>/checkpoints/<identity>.npz``, replaced atomically (fileio.atomic_file) at an
epoch boundary once ``every_s`` seconds of training have passed since the last one (``TP2_CHECKPOINT_EVERY_S``,
default 300 s; 0 = every epoch). It holds every model and optimizer variable (weights, Adam moments and step, seed
generator states), the history so far and what train.py's monitor measured, under a header naming the run's
identity and RECIPE_VERSION and a SHA-256 of the arrays. The data order needs no saved state: fastfit's
``epoch_order(seed, epoch)`` is a pure function of the epoch, so resuming at epoch k replays exactly.

``load`` returns None — with a warning naming the file, never loading it — for another identity, another recipe
version, or a truncated/corrupted file. The session deletes the file once the run is recorded. TensorFlow only
(fastfit): Keras' ``fit`` on JAX/torch shuffles from a global RNG this file does not capture, so those backends
train from scratch as before.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..fileio import atomic_file
from .runs import RECIPE_VERSION

EVERY_ENV = "TP2_CHECKPOINT_EVERY_S"
DEFAULT_EVERY_S = 300.0  # seconds of training between checkpoints: smoke/quick runs end before the first


def every_s() -> float:
    raw = os.environ.get(EVERY_ENV, "").strip()
    try:
        return max(0.0, float(raw)) if raw else DEFAULT_EVERY_S
    except ValueError:
        return DEFAULT_EVERY_S


def path_for(directory: str | os.PathLike, identity: str) -> Path:
    return Path(directory) / f"{identity}.npz"


@dataclass
class State:
    """What a run resumes from: after ``epoch`` epochs (1-based count done)."""

    epoch: int
    variables: list[np.ndarray]  # model.variables then optimizer.variables, in that order
    history: dict[str, list[float]]
    extra: dict = field(default_factory=dict)  # the monitor's epoch_seconds and grad_norms


def _digest(arrays: list[np.ndarray]) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(str((a.dtype.str, a.shape)).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def save(path: Path, identity: str, state: State) -> None:
    """Atomically replace ``path``: readers and a SIGKILL see the previous checkpoint or this one."""
    header = {"identity": identity, "recipe_version": RECIPE_VERSION, "epoch": state.epoch,
              "history": state.history, "extra": state.extra, "n": len(state.variables),
              "sha256": _digest(state.variables)}
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {f"v{i}": a for i, a in enumerate(state.variables)}
    with atomic_file(path) as handle:
        np.savez(handle, header=np.frombuffer(json.dumps(header).encode(), np.uint8), **arrays)


def load(path: Path, identity: str) -> State | None:
    """The checkpoint at ``path`` if it is this run's, of this recipe version and intact; else None + a warning."""
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(bytes(data["header"]).decode())
            variables = [data[f"v{i}"] for i in range(int(header["n"]))]
    except Exception as exc:  # truncated zip, bad JSON, missing array: never loaded
        return _ignored(path, f"it cannot be read ({type(exc).__name__}: {exc})")
    if header.get("identity") != identity:
        return _ignored(path, f"it belongs to run {header.get('identity')!r}, not {identity!r}")
    if header.get("recipe_version") != RECIPE_VERSION:
        return _ignored(path, f"it has recipe version {header.get('recipe_version')!r}, not {RECIPE_VERSION!r}")
    if _digest(variables) != header.get("sha256"):
        return _ignored(path, "its arrays do not match their SHA-256 (corrupted)")
    return State(int(header["epoch"]), variables, header["history"], header.get("extra") or {})


def _ignored(path: Path, why: str) -> None:
    warnings.warn(f"tp2: checkpoint {path} ignored: {why}; the run trains from scratch.", stacklevel=3)
    return None


def discard(directory: str | os.PathLike, identity: str) -> None:
    """Remove the run's checkpoint (once its result is recorded)."""
    path_for(directory, identity).unlink(missing_ok=True)


class Saver:
    """A fastfit callback: at an epoch's end, if ``every_s`` seconds passed since the last save (or the start),
    save ``State``; ``monitor`` (train.py's) supplies failure, epoch_seconds and grad_norms."""

    def __init__(self, path: Path, identity: str, monitor, *, history=None, every: float | None = None,
                 clock=time.monotonic, carried: dict | None = None) -> None:
        self.path, self.identity, self.monitor, self.clock = path, identity, monitor, clock
        self.every = every_s() if every is None else every
        self.history = {k: list(v) for k, v in (history or {}).items()}
        self.last = self.started = clock()
        # from the processes before this one: their fit seconds, the epochs they resumed from
        self.carried = carried or {"train_seconds": 0.0, "resumed_from": []}

    def set_model(self, model) -> None:
        self.model = model

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))
        if self.monitor.failure is not None or self.clock() - self.last < self.every:
            return
        variables = [np.array(v.numpy(), copy=True)
                     for v in list(self.model.variables) + list(self.model.optimizer.variables)]
        extra = {"epoch_seconds": list(self.monitor.epoch_seconds), "grad_norms": self.monitor.grad_norms,
                 "train_seconds": self.carried["train_seconds"] + self.clock() - self.started,
                 "resumed_from": self.carried["resumed_from"]}
        save(self.path, self.identity, State(epoch + 1, variables, self.history, extra))
        self.last = self.clock()

    def __getattr__(self, name: str):  # every other fastfit hook: nothing to do
        if name.startswith("on_"):
            return lambda *args, **kwargs: None
        raise AttributeError(name)


def callbacks_for(spec, checkpoint_dir, monitor, plan):
    """([monitor] or [monitor, checkpoint.Saver], the checkpoint.State to resume from or None)."""
    if checkpoint_dir is None or spec.backend != "tensorflow":
        return [monitor], None
    path = path_for(checkpoint_dir, spec.identity())
    resume = load(path, spec.identity())
    if resume is not None and not 0 < resume.epoch < plan.epochs:
        resume = None
    if resume is not None:
        monitor.epoch_seconds[:] = resume.extra.get("epoch_seconds", [])
        monitor.grad_norms.update(resume.extra.get("grad_norms", {}))
    saver = Saver(path, spec.identity(), monitor, history=resume and resume.history, carried=carried(resume))
    return [monitor, saver], resume


def carried(resume: State | None) -> dict:
    """What a checkpoint carries from earlier processes: their fit seconds and the epochs they resumed from."""
    if resume is None:
        return {"train_seconds": 0.0, "resumed_from": []}
    return {"train_seconds": resume.extra.get("train_seconds", 0.0),
            "resumed_from": [*resume.extra.get("resumed_from", []), resume.epoch]}
