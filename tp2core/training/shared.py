"""One training, several records (issue 29; the relation itself: tp2core.recipe.derived).

``train.train_spec(spec, …, records=…)`` trains ``spec`` once and records, besides it, each record spec that is

- a **prefix** of it: the same run for fewer epochs (model4 at N inside model4-e2000's 2N). A ``Snapshot`` callback
  takes its record at the end of epoch N, before any checkpoint of that epoch is written (so a run resumed after N
  already stored it), with the weights, history, timings and probes a separate N-epoch run would have;
- an **evaluation** of it: the same run validated on another set (model5-augval: model5 on augmented + original
  held-out images). Every epoch is also validated on that set (fastfit ``also_validate``), so its history and final
  figures are a separate training's.

Anything else raises ConfigError: a record is never approximated. No Keras import at module level.
"""

from __future__ import annotations

import dataclasses

from ..errors import ConfigError
from .runs import RunSpec

PREFIX, EVALUATION = "prefix", "evaluation"
# variant fields that name or describe a model without changing what is trained
_DESCRIPTIVE = ("name", "notes_val_accuracy", "notes_section", "description")
_VAL_KEYS = ("val_loss", "val_accuracy")


def relation(trained: RunSpec, record: RunSpec) -> str:
    """PREFIX or EVALUATION: how ``record``'s run sits inside ``trained``'s; ConfigError when it does not."""
    a, b = _training_fields(trained), _training_fields(record)
    if a | {"epochs": b["epochs"]} == b and b["epochs"] < a["epochs"]:
        return PREFIX
    if a | {"validation": b["validation"]} == b and b["validation"] != a["validation"]:
        return EVALUATION
    raise ConfigError(
        f"'records' must be runs inside the trained run {trained.variant.name}: the same run for fewer epochs, or "
        f"validated on another set (got {record.variant.name}, which differs in "
        f"{sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))}); train it on its own.")


def _training_fields(spec: RunSpec) -> dict:
    data = dataclasses.asdict(spec)
    variant = data.pop("variant")
    return data | {k: v for k, v in variant.items() if k not in _DESCRIPTIVE}


def split(trained: RunSpec, records) -> tuple[list[RunSpec], list[RunSpec]]:
    """(prefix records, evaluation records) of ``trained``, each checked (``relation``)."""
    kinds = [(r, relation(trained, r)) for r in records]
    return [r for r, k in kinds if k == PREFIX], [r for r, k in kinds if k == EVALUATION]


def prefix_of(record: RunSpec) -> str:
    """The log-key prefix of an evaluation record's validation set, e.g. ``augmented_val_accuracy``."""
    return f"{record.variant.validation}_"


def own_history(history: dict, evaluations) -> dict:
    """The trained run's history without the evaluation records' keys."""
    extra = {prefix_of(r) + k for r in evaluations for k in _VAL_KEYS}
    return {k: v for k, v in history.items() if k not in extra}


def evaluated_history(history: dict, record: RunSpec, evaluations) -> dict:
    """``record``'s history: the trained run's training metrics, its own validation set's val_loss/val_accuracy."""
    own = own_history(history, evaluations)
    return own | {k: list(history.get(prefix_of(record) + k, [])) for k in _VAL_KEYS if k in own}


class Snapshot:
    """A fastfit callback: at the end of epoch ``record.variant.epochs`` (1-based), unless training failed, call
    ``take(record, history)`` with the history so far (``history``: the epochs before a resume)."""

    def __init__(self, record: RunSpec, monitor, take, history: dict | None = None) -> None:
        self.record, self.monitor, self.take = record, monitor, take
        self.history = {k: list(v) for k, v in (history or {}).items()}

    def set_model(self, model) -> None:
        self.model = model

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))
        if epoch + 1 == self.record.variant.epochs and self.monitor.failure is None:
            self.take(self.record, {k: v[: epoch + 1] for k, v in self.history.items()})

    def __getattr__(self, name: str):  # every other fastfit hook: nothing to do
        if name.startswith("on_"):
            return lambda *args, **kwargs: None
        raise AttributeError(name)
