"""Claims: what the notes concluded as data, the statistics and checks that judge it."""

from .compare import CompareResult, adjust_verdicts, compare, holm
from .sequential import SequentialResult, sequential_compare, sequential_decision

__all__ = ["CompareResult", "SequentialResult", "adjust_verdicts", "compare", "holm", "sequential_compare",
           "sequential_decision"]
