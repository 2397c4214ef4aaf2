"""The ``tp2`` console script: ``main`` wires the subcommands of this package's modules."""

from .main import main

__all__ = ["main"]
