"""``tp2 perf``: trainer throughput against the matmul-only floor, measured in one run (see tp2core.perf.measure).

Threads are fixed per process (TensorFlow cannot change them once started): run it once per thread count.
Other Keras backends: run it under a Python that has that backend, e.g.
``KERAS_BACKEND=jax .tox/py311-jax/bin/python -m tp2core.cli perf --backend jax`` (the floors and plain fit
only: tp2's fast loop is TensorFlow code).
"""

from __future__ import annotations

import json
import os
import sys

from ..errors import ConfigError
from ..training.backend import BACKENDS
from ..training.precision import PRECISIONS

DEFAULT_MODELS = ("model2",)
DEFAULT_BATCHES = (128, 1024)
THREADS_NOTE = (
    "threads = TF intra-op (inter-op 1) / torch threads / numpy OpenBLAS threads for the floor; JAX with "
    "threads > 1 runs XLA's default pool (all cores). The suite trains with TP2_THREADS=1 per worker."
)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "perf",
        help="training images/s vs the matmul-only floor (tp2's trainer and plain model.fit)",
        description=__doc__,
    )
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS), metavar="VARIANT", help="default: model2")
    p.add_argument("--batch-sizes", nargs="+", type=int, default=list(DEFAULT_BATCHES), metavar="N")
    p.add_argument("--backend", choices=BACKENDS, default="tensorflow", help="must equal the active KERAS_BACKEND")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="intra-op and BLAS threads (all cores)")
    p.add_argument("--epochs", type=int, default=3, help="steady epochs per measurement, after one warm-up")
    p.add_argument("--steps", type=int, default=40, help="batches per timed epoch (default 40)")
    p.add_argument("--width-cap", type=int, default=None, metavar="UNITS", help="cap hidden widths (tiny runs)")
    p.add_argument("--precision", default="float32", choices=tuple(PRECISIONS),
                   help="numerics of the tp2/fit/adam rows (and TF32 for the native floor); the floors' operands "
                        "stay float32; P1 counts float32 rows only (default float32)")
    p.set_defaults(handler=run_perf)


def _check_args(args) -> None:
    for name in ("threads", "epochs", "steps"):
        value = getattr(args, name)
        if value < 1:
            raise ConfigError(f"'--{name}' must be a positive int (got {value}).")
    if any(b < 1 for b in args.batch_sizes):
        raise ConfigError(f"'--batch-sizes' must be positive ints (got {args.batch_sizes}).")
    if args.width_cap is not None and args.width_cap < 1:
        raise ConfigError(f"'--width-cap' must be a positive int (got {args.width_cap}).")
    from ..training.backend import keras_backend_name

    active = keras_backend_name()
    if active != args.backend:
        raise ConfigError(
            f"'--backend' must match the active Keras backend (got {args.backend!r}, KERAS_BACKEND={active!r}); "
            f"run KERAS_BACKEND={args.backend} under a Python where {args.backend} is installed."
        )


def _set_threads(backend: str, n: int) -> None:
    """Pin the backend's threads (before it starts). JAX can only be pinned to 1 thread; with more it keeps
    XLA's default pool (all cores), which the JSON's threads_note says."""
    from ..training.backend import configure_threads

    if backend != "jax" or n == 1:
        configure_threads(n)


def run_perf(args) -> int:
    from ..perf import measure

    _check_args(args)
    cases = measure.make_cases(args.models, args.batch_sizes, steps=args.steps, width_cap=args.width_cap)
    _set_threads(args.backend, args.threads)
    trainers = measure.trainers_for(args.backend)
    from ..training.backend import enable_determinism

    enable_determinism()  # as tp2's trainer runs; it applies to plain fit in this process too
    progress = None if args.json else _print_row
    if not args.json:
        print(f"{'model':<14}{'batch':>6} {'trainer':<11}{'backend':<11}{'img/s':>9}{'min':>9}"
              f"{'GFLOP/s':>9}{'floor':>9}{'frac':>8}{'of bound':>9}{'load':>6}")
    from ..training.precision import precision_scope

    with precision_scope(args.precision):  # Keras' dtype policy and TF32 while models are built and trained
        config = measure.MeasureConfig(args.threads, args.epochs, trainers, precision=args.precision)
        rows = measure.measure(cases, config, progress)
    p1 = measure.p1_fraction(rows)
    p1_bound = measure.p1_fraction(rows, trainer=measure.BOUND)
    p1_of_bound = measure.p1_fraction(rows, key="of_bound")
    if args.json:
        import keras

        out = {
            "rows": rows,
            "p1_fraction_b128": p1,
            "p1_bound_b128": p1_bound,  # floor+adam over the floor: the most an exact-recipe trainer can show
            "p1_fraction_of_bound_b128": p1_of_bound,
            "threads": args.threads,
            "keras": keras.__version__,
            "backend": args.backend,
            "precision": args.precision,
            "cpu_count": os.cpu_count(),
            "loadavg": list(os.getloadavg()),
            "gpu": _gpus(args.backend),
            "threads_note": THREADS_NOTE,
        }
        json.dump(out, sys.stdout, indent=1)
        print()
    else:
        if p1 is None:
            print("P1 (tp2, tensorflow, model2 3×1000, batch 128): not measured")
        else:
            print(f"P1 (tp2, tensorflow, model2 3×1000, batch 128) / floor: {p1:.3f}; floor+adam / floor: "
                  f"{p1_bound:.3f}; tp2 / (floor+adam): {p1_of_bound:.3f}")
    return 0


def _print_row(row: dict) -> None:
    def cell(key, spec, width):
        value = row.get(key)
        return f"{'' if value is None else format(value, spec):>{width}}"

    print(f"{row['model']:<14}{row['batch']:>6} {row['trainer']:<11}{row['backend']:<11}{cell('img_s', '.0f', 9)}"
          f"{cell('img_s_min', '.0f', 9)}{cell('gflop_s', '.1f', 9)}{cell('floor_img_s', '.0f', 9)}"
          f"{cell('fraction', '.1%', 8)}{cell('of_bound', '.1%', 9)}{row['loadavg_1m']:>6.1f}", flush=True)


def _gpus(backend: str) -> list[str]:
    if backend != "tensorflow":
        return []
    from ..training.backend import detect_gpus

    return detect_gpus()
