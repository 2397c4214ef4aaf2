"""The ``tp2`` console script. Subcommands live in ``cli_*`` modules; this file only wires them up.

A user's mistake (any ``Tp2Error``) prints one ``tp2: error: …`` line and exits 2 — never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .errors import Tp2Error

# Each module has register(subparsers) adding its subcommands with set_defaults(handler=fn).
SUBCOMMAND_MODULES = ("cli_data", "cli_runs", "cli_report", "cli_perf")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tp2",
        description="Re-check the TP2 lab notes' claims: data, single runs, stored results, reports, performance.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(f"tp2core.{name}")
        except ModuleNotFoundError as exc:  # a subcommand module not shipped in this build
            if exc.name != f"tp2core.{name}":
                raise
            continue
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
