"""The ``tp2`` console script. Subcommands live in this package's modules; this file only wires them up.

A user's mistake (any ``Tp2Error``) prints one ``tp2: error: …`` line and exits 2 — never a traceback.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import Tp2Error
from . import data, perf, report, runs, variants

# Each module has register(subparsers) adding its subcommands with set_defaults(handler=fn).
SUBCOMMAND_MODULES = (data, runs, report, perf, variants)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tp2",
        description="Re-check the TP2 lab notes' claims: data, single runs, stored results, reports, performance.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in SUBCOMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args) or 0)
    except Tp2Error as exc:
        print(f"tp2: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tp2: interrupted; finished runs are kept in the store.", file=sys.stderr)
        return 130

