"""Tidy exports: one row per run and one row per claim comparison, as CSV (stdlib), JSON records and Parquet
(pyarrow, the optional ``parquet`` extra) — for pandas, R or a spreadsheet. Written beside results.json by the
session and by ``tp2 report`` (``write_tidy``); ``tp2 runs --format`` prints the run rows of the store.

Columns are flat scalars in a fixed order (``RUN_COLUMNS``; ``env_*`` after them), so files of two sessions
concatenate. Comparison figures come from ``output.comparisons`` only.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from ..errors import Tp2Error
from ..fileio import atomic_write_text
from .comparisons import figures

FORMATS = ("csv", "parquet", "json")
PARQUET_HINT = "Parquet needs pyarrow: `pip install 'tp2[parquet]'` (or pip install pyarrow); CSV and JSON need nothing"

RUN_COLUMNS = (
    "identity", "variant", "seed", "dataset", "dataset_fingerprint", "profile", "precision", "backend", "threads",
    # the variant's factors as trained (the profile applied)
    "epochs", "batch_size", "hidden_units", "hidden_activations", "input_pool", "augmentation", "bug_images",
    "validation", "classes", "learning_rate", "train_per_class", "test_per_class",
    # what it measured
    "status", "failure", "val_accuracy", "val_loss", "train_accuracy", "train_loss", "seconds",
    "images_per_second", "first_layer_weight_change", "resumed", "reused", "created",
)
COMPARISON_COLUMNS = (
    "claim", "comparison", "verdict", "claim_verdict", "effect", "unit", "interval_low", "interval_high",
    "interval_level", "p", "p_kind", "seeds_a", "seeds_b", "a", "b", "constant", "cost_seconds", "dataset", "profile",
)


def run_rows(runs: list, reused: dict | None = None) -> list[dict]:
    """One dict per run: ``RUN_COLUMNS`` then the environment as ``env_<key>``. ``reused``: identity → whether
    the session reused it from the store; None where unknown (the store alone does not say)."""
    rows = []
    for r in runs:
        s, v = r.spec, r.spec.variant
        row = {"identity": r.identity, "variant": v.name, "seed": s.seed, "dataset": s.dataset_name,
               "dataset_fingerprint": s.dataset_fingerprint, "profile": s.profile, "precision": s.precision,
               "backend": s.backend, "threads": s.threads, "epochs": v.epochs, "batch_size": v.batch_size,
               "hidden_units": "-".join(map(str, v.hidden_units)), "hidden_activations": "-".join(v.hidden_activations),
               "input_pool": v.input_pool, "augmentation": v.augmentation, "bug_images": v.bug_images,
               "validation": v.validation, "classes": v.classes, "learning_rate": v.learning_rate,
               "train_per_class": s.train_per_class, "test_per_class": s.test_per_class, "status": r.status,
               "failure": r.failure, "val_accuracy": r.val_accuracy, "val_loss": r.val_loss,
               "train_accuracy": r.train_accuracy, "train_loss": r.train_loss, "seconds": r.train_seconds,
               "images_per_second": r.images_per_second, "first_layer_weight_change": r.first_layer_weight_change,
               "resumed": r.resumed, "reused": None if reused is None else reused.get(r.identity), "created": r.created}
        row |= {f"env_{k}": _scalar(val) for k, val in sorted(r.environment.items())}
        rows.append(row)
    return rows


def comparison_rows(judgements: list, runs: list) -> list[dict]:
    """One dict per claim comparison: its verdict and figures (output.comparisons) and its cost — the training
    seconds of the given runs of its arms."""
    seconds: dict[str, float] = {}
    for r in runs:
        seconds[r.spec.variant.name] = seconds.get(r.spec.variant.name, 0.0) + r.train_seconds
    rows = []
    for j in sorted(judgements, key=lambda j: j.claim):
        for c in j.comparisons:
            f = figures(c)
            rows.append({"claim": j.claim, "comparison": c.label, "verdict": f.verdict, "claim_verdict": j.verdict,
                         "effect": f.effect, "unit": f.unit, "interval_low": f.low, "interval_high": f.high,
                         "interval_level": f.level, "p": f.p, "p_kind": f.p_kind, "seeds_a": f.seeds_a,
                         "seeds_b": f.seeds_b, "a": c.a, "b": c.b, "constant": c.constant,
                         "cost_seconds": round(sum(seconds.get(v, 0.0) for v in {c.a, c.b} if v), 3),
                         "dataset": j.dataset, "profile": j.profile})
    return rows


def _scalar(value):
    """A table cell: lists (e.g. the GPUs) joined, everything else as is."""
    return "; ".join(map(str, value)) if isinstance(value, (list, tuple)) else value


def _columns(rows: list[dict], first: tuple[str, ...]) -> list[str]:
    extra = sorted({k for row in rows for k in row} - set(first))
    return list(first) + extra


def to_csv(rows: list[dict], first: tuple[str, ...] = RUN_COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=_columns(rows, first), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def to_json(rows: list[dict]) -> str:
    return json.dumps(rows, indent=1)


def to_parquet(rows: list[dict], path: Path, first: tuple[str, ...] = RUN_COLUMNS) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise Tp2Error(f"cannot write {path}: {PARQUET_HINT}.") from None
    columns = _columns(rows, first)
    pq.write_table(pa.table({c: [row.get(c) for row in rows] for c in columns}), path)


def parquet_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("pyarrow") is not None


def write_tidy(out_dir: Path, runs: list, judgements: list, reused: dict | None = None) -> list[Path]:
    """runs.csv / comparisons.csv and .json — and .parquet when pyarrow is installed — into ``out_dir``."""
    written = []
    for stem, rows, first in (("runs", run_rows(runs, reused), RUN_COLUMNS),
                              ("comparisons", comparison_rows(judgements, runs), COMPARISON_COLUMNS)):
        atomic_write_text(out_dir / f"{stem}.csv", to_csv(rows, first))
        atomic_write_text(out_dir / f"{stem}.json", to_json(rows))
        written += [out_dir / f"{stem}.csv", out_dir / f"{stem}.json"]
        if parquet_available():
            to_parquet(rows, out_dir / f"{stem}.parquet", first)
            written.append(out_dir / f"{stem}.parquet")
    return written
