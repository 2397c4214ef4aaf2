"""pytest-benchmark-compatible JSON for every run, written by tp2 itself.

pytest-benchmark switches itself off under xdist and writes only at session end, so tp2 writes the same
format from its own records: one benchmark per (variant, seed), rounds = training epochs, durations in
seconds per epoch. ``pytest-benchmark compare <file>`` reads it. Its Stats class computes the statistics,
so the numbers mean exactly what pytest-benchmark's own do.
"""

from __future__ import annotations

from datetime import datetime, timezone

from ..training.runs import RunResult


def benchmark_entry(run: RunResult) -> dict:
    from pytest_benchmark.stats import Stats

    stats = Stats()
    for seconds in run.epoch_seconds or [run.train_seconds]:
        stats.update(seconds)
    data = stats.as_dict()
    data["data"] = list(stats.data)
    data["iterations"] = 1
    name = f"train[{run.spec.variant.name}-seed{run.spec.seed}]"
    return {
        "group": f"tp2 {run.spec.profile} epoch time: {run.spec.variant.name}",
        "name": name,
        "fullname": f"benchmarks/test_training.py::test_{name}",
        "params": {"variant": run.spec.variant.name, "seed": run.spec.seed},
        "param": f"{run.spec.variant.name}-seed{run.spec.seed}",
        "extra_info": {
            "identity": run.identity,
            "profile": run.spec.profile,
            "precision": run.spec.precision,
            "threads": run.spec.threads,
            "dataset": run.spec.dataset_name,
            "val_accuracy": run.val_accuracy,
            "images_per_second": run.images_per_second,
            "train_images_per_epoch": run.train_images,
            "status": run.status,
        },
        "options": {"timer": "time.perf_counter", "min_rounds": 1, "warmup": False},
        "stats": data,
    }


def benchmark_document(runs: list[RunResult]) -> dict:
    """The whole file: machine_info, commit_info, benchmarks, datetime, version (pytest-benchmark's keys)."""
    from pytest_benchmark import __version__
    from pytest_benchmark.plugin import pytest_benchmark_generate_machine_info
    from pytest_benchmark.utils import get_commit_info

    return {
        "machine_info": pytest_benchmark_generate_machine_info(),
        "commit_info": get_commit_info(),
        "benchmarks": [benchmark_entry(r) for r in runs if r.epoch_seconds or r.train_seconds],
        "datetime": datetime.now(timezone.utc).isoformat(),
        "version": __version__,
    }
