"""Claims: what the notes concluded as data, the statistics and checks that judge it."""

from .compare import CompareResult, adjust_verdicts, compare, holm

__all__ = ["CompareResult", "adjust_verdicts", "compare", "holm"]
