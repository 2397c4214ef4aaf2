"""``tp2 run VARIANT`` (train or reuse one run) and ``tp2 runs`` (list the store). Handlers return exit codes."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..executor import executor_names, executor_options
from ..output.tidy import FORMATS
from ..training.precision import PRECISIONS
from ..recipe.variants import PROFILES, VARIANTS


def register(subparsers) -> None:
    """Add the ``run`` and ``runs`` subcommands (each sets ``handler``)."""
    run = subparsers.add_parser("run", help="train one (variant, seed), or reuse it from the store")
    run.add_argument("variant", help=f"one of: {', '.join(VARIANTS)}")
    run.add_argument("--seed", type=int, default=0, help="seed in [0, 2**32) (default 0)")
    run.add_argument(
        "--profile", default="auto", help=f"auto | {' | '.join(PROFILES)} (default auto: paper on a GPU, else quick)"
    )
    run.add_argument("--dataset", default="auto", help="auto | cifar100 | simulated | simulated-v1 | PATH (default auto)")
    run.add_argument("--store", help="results store directory (default: env TP2_STORE or .tp2)")
    run.add_argument("--precision", default=None, choices=tuple(PRECISIONS),
                     help="float32 (the recipe; default, or TP2_PRECISION) | tf32 | mixed_bfloat16 (opt-in numerics)")
    run.add_argument("--executor", default="local", choices=executor_names(),
                     help="local: train in this process (default) | ray: train as a Ray task (pip install 'tp2[ray]')")
    for _name, option in executor_options():  # each executor's own options, as it declares them
        run.add_argument(f"--{option.name}", default=None, metavar=option.metavar, help=option.help)
    run.set_defaults(handler=run_command)

    runs = subparsers.add_parser("runs", help="list the runs in the results store")
    runs.add_argument("--store", help="results store directory (default: env TP2_STORE or .tp2)")
    runs.add_argument("--format", default=None, choices=FORMATS,
                      help="one tidy row per run (variant factors, seed, dataset, profile, metrics, seconds, "
                           "resumed, environment) instead of the table: csv / json to stdout or --out, parquet to "
                           "--out (pip install 'tp2[parquet]')")
    runs.add_argument("--out", default=None, metavar="FILE", help="write the --format export here")
    runs.set_defaults(handler=runs_command)


def store_root(arg: str | None) -> str:
    from ..session import Options, store_root as resolve

    return resolve(Options(store=arg))


def run_command(args: argparse.Namespace) -> int:
    """Train one (variant, seed) on the chosen executor — through the session, as `pytest benchmarks` does: the
    store's lock, epoch checkpoints and exact resume — or reuse it; print its line."""
    from ..errors import Tp2Error
    from ..executor import get_executor
    from ..executor.plan import plan
    from ..session import Options, Tp2Session
    from ..training.backend import training_threads
    from ..training.precision import training_precision
    from ..training.train import validate_seed
    from ..recipe.variants import get_variant

    get_variant(args.variant)  # name errors before any slow work
    seed = validate_seed(args.seed)
    options = Options(profile=args.profile, dataset=args.dataset, store=args.store,
                      precision=args.precision or training_precision(), executor=args.executor,
                      executor_options={o.key: getattr(args, o.key) for _, o in executor_options()},
                      threads=training_threads())
    executor = get_executor(options.executor)
    try:
        executor.check(options)
    except Tp2Error as exc:  # the CLI's wording of the options
        raise type(exc)(cli_wording(str(exc))) from None
    session = Tp2Session(options)
    epochs = session.trained_spec(args.variant, seed).variant.epochs  # a shared run's (recipe.derived) epochs

    def progress(epoch: int, logs: dict) -> None:
        print(f"  epoch {epoch}/{epochs}: val_accuracy {logs.get('val_accuracy', float('nan')):.4f}", file=sys.stderr)

    started = time.perf_counter()
    report = executor.train(session, plan(session, [(args.variant, seed)]), on_epoch=progress)
    if report.errors:
        print(f"{args.variant} seed={seed} raised on the {options.executor} executor: "
              f"{report.errors[args.variant, seed]}", file=sys.stderr)
        return 1
    result = session.store.get(session.spec(args.variant, seed).identity())
    print(run_line(result, not report.results, time.perf_counter() - started))
    return 0 if result.ok else 1


def cli_wording(message: str) -> str:
    """An executor's message in ``tp2 run``'s option names: --tp2-executor → --executor, --tp2-<option> →
    --<option> for every option an executor declares."""
    for name in ["executor", *(option.name for _, option in executor_options())]:
        message = message.replace(f"--tp2-{name}", f"--{name}")
    return message


def run_line(result, reused: bool, wall_seconds: float) -> str:
    """One line: variant, seed, profile, dataset, val accuracy (or the failure), seconds, reused/trained."""
    spec = result.spec
    accuracy = f"val_accuracy={result.val_accuracy:.4f}" if result.ok else f"FAILED ({result.failure})"
    seconds = result.train_seconds if reused else wall_seconds
    how = "reused" if reused else "trained"
    if result.resumed:  # its checkpoint survived an interrupted process (training.checkpoint)
        how += f" (resumed from epoch {', '.join(map(str, result.resumed_from))})"
    precision = "" if spec.precision == "float32" else f" precision={spec.precision}"
    return (
        f"{spec.variant.name} seed={spec.seed} profile={spec.profile} dataset={spec.dataset_name}{precision} "
        f"{accuracy} seconds={seconds:.1f} {how}"
    )


def runs_command(args: argparse.Namespace) -> int:
    root = store_root(args.store)
    if not Path(root).is_dir():
        print(f"no results store at {root}/ yet; `tp2 run model0 --profile smoke` trains a first run.",
              file=sys.stderr if args.format else sys.stdout)  # an export's stdout stays data
        return 0
    from ..store.database import Store

    runs = Store(root).all()
    if args.format:
        return export_runs(runs, args.format, args.out)
    if not runs:
        print(f"the results store {root}/ holds no runs.")
        return 0
    print(runs_table(runs))
    print(f"{len(runs)} runs in {root}/")
    return 0


def export_runs(runs, fmt: str, out: str | None) -> int:
    """``tp2 runs --format``: the store's runs as tidy rows (output.tidy), to stdout or ``out``."""
    from ..errors import require
    from ..output import tidy

    rows = tidy.run_rows(sorted(runs, key=lambda r: (r.spec.dataset_name, r.spec.profile, r.spec.variant.name,
                                                      r.spec.seed)))
    require(fmt != "parquet" or out is not None, "--out", "a file for --format parquet (a binary format), e.g. "
            "--out runs.parquet", out)
    if fmt == "parquet":
        tidy.to_parquet(rows, Path(out))
    else:
        text = tidy.to_csv(rows) if fmt == "csv" else tidy.to_json(rows) + "\n"
        if out is None:
            sys.stdout.write(text)
            return 0
        Path(out).write_text(text)
    print(f"{len(rows)} runs written to {out}", file=sys.stderr)
    return 0


def runs_table(runs) -> str:
    """tabulate table of stored runs, sorted by dataset, profile, variant and seed."""
    from tabulate import tabulate

    rows = []
    key = lambda r: (r.spec.dataset_name, r.spec.profile, r.spec.precision, r.spec.variant.name, r.spec.seed)  # noqa: E731
    for r in sorted(runs, key=key):
        s = r.spec
        rows.append(
            [
                s.variant.name,
                s.seed,
                s.profile,
                s.precision,
                s.dataset_name,
                f"{r.val_accuracy:.4f}" if r.val_accuracy is not None else "—",
                r.status if r.ok else f"failed: {r.failure}",
                f"{r.train_seconds:.1f}",
                f"{r.images_per_second:.0f}" if r.images_per_second else "—",
                r.environment.get("device", "?"),
                r.created,
                r.identity,
            ]
        )
    headers = ["variant", "seed", "profile", "precision", "dataset", "val_acc", "status", "train_s", "img/s", "device", "created", "identity"]
    return tabulate(rows, headers=headers)
