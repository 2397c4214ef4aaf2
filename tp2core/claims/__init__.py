"""Claims: what the notes concluded as data, the statistics and checks that judge it."""

from .budget import BudgetAllocator, BudgetDesign, BudgetOutcome, decide_within_budget
from .compare import CompareResult, adjust_verdicts, compare, holm
from .sequential import SequentialResult, sequential_compare, sequential_decision

__all__ = ["BudgetAllocator", "BudgetDesign", "BudgetOutcome", "CompareResult", "SequentialResult",
           "adjust_verdicts", "compare", "decide_within_budget", "holm", "sequential_compare", "sequential_decision"]
