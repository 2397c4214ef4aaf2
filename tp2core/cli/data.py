"""``tp2 data simulate`` and ``tp2 data info``. Handlers return an exit code; user errors raise Tp2Error."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from ..errors import ConfigError


def register(subparsers) -> None:
    """Add ``data`` with its ``simulate`` and ``info`` subcommands (each sets ``handler``)."""
    data = subparsers.add_parser("data", help="simulate a CIFAR-format archive, or inspect a dataset")
    data.set_defaults(handler=lambda args: _print_help(data))
    sub = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND")

    sim = sub.add_parser("simulate", help="write a simulated CIFAR-100-format cifar-100-python.tar.gz")
    sim.add_argument("--out", required=True, type=Path, help="directory to write cifar-100-python.tar.gz into")
    sim.add_argument("--per-class-train", type=int, default=500, help="training images per class (500)")
    sim.add_argument("--per-class-test", type=int, default=100, help="test images per class (100)")
    sim.add_argument("--seed", type=int, default=0, help="generator seed; same seed, byte-identical archive (0)")
    sim.set_defaults(handler=simulate_command)

    info = sub.add_parser("info", help="counts, natural-image statistics, fingerprint and source; sample grid")
    info.add_argument("--dataset", default="auto",
                      help="auto | cifar100 | simulated | simulated-v1 | PATH (default auto)")
    info.add_argument("--probe", action="store_true",
                      help="also fit the raw-pixel ridge probe (train split) and report its test accuracy "
                           "(slower: it fits on the whole train split)")
    info.add_argument("--json", action="store_true", help="print the figures as one JSON object instead of text")
    info.add_argument("--out", type=Path, help="directory for samples.png (no image when omitted)")
    info.add_argument("--data-path", help="CIFAR-100 archive or folder (default: env TP2_DATA)")
    info.add_argument("--cache-dir", help="prepared-array cache (default: env TP2_CACHE or ~/.cache/tp2)")
    info.add_argument("--classes", help="comma-separated fine labels for the grid (default: 10 spread over 0-99)")
    info.set_defaults(handler=info_command)


def _print_help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def simulate_command(args: argparse.Namespace) -> int:
    from ..data.simulate import write_simulated_archive

    start = time.perf_counter()
    path = write_simulated_archive(args.out, args.per_class_train, args.per_class_test, args.seed)
    n = 100 * (args.per_class_train + args.per_class_test)
    print(f"wrote {path} ({path.stat().st_size:,} bytes, {n:,} images, seed {args.seed}) "
          f"in {time.perf_counter() - start:.1f} s")
    print(f"load it with --tp2-dataset {path} (named 'simulated'; never presented as CIFAR-100)")
    return 0


def info_command(args: argparse.Namespace) -> int:
    from ..data.load import load_dataset
    from ..data.eda import dataset_info, format_info, sample_grid_png

    classes = None
    if args.classes:
        try:
            classes = [int(c) for c in args.classes.split(",")]
        except ValueError:
            msg = f"'--classes' must be comma-separated ints, e.g. 0,17,42 (got {args.classes!r})."
            raise ConfigError(msg) from None
    ds = load_dataset(args.dataset, data_path=args.data_path, cache_dir=args.cache_dir)
    info = dataset_info(ds, image_statistics=True, probe=args.probe)
    print(json.dumps(info, indent=2) if args.json else format_info(info))
    if args.out is not None:
        target = args.out / "samples.png"
        try:
            sample_grid_png(ds, target, classes=classes)
        except OSError as exc:
            msg = f"'--out' must be a writable directory (got {str(args.out)!r}: {exc.strerror or exc})."
            raise ConfigError(msg) from None
        if not args.json:
            print(f"samples:     {target}")
    return 0
