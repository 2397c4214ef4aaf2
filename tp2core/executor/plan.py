"""Which (variant, seed) runs an executor must train: the needed cells the store has not settled, longest first.

No Ray and no TensorFlow import: planning is store look-ups and cost estimates.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..recipe.costs import estimated_cost
from ..store.database import settled
from .base import Cell


def needed_cells(cells: Iterable[Cell], claims: Iterable, profile, seeds: Iterable[int]) -> list[Cell]:
    """The union of explicit cells and every (variant, seed) of the claims ``profile`` judges, without repeats.

    A claim the profile does not judge (recipe.plan.judged_at: a broken ratio or a budget cut) needs no runs:
    its variants are trained only if another claim or an explicit cell needs them.
    """
    from ..recipe.plan import judged_variants

    seeds = list(seeds)
    wanted = list(cells) + [(v, s) for v in judged_variants(claims, profile) for s in seeds]
    return list(dict.fromkeys(wanted))


def plan(session, cells: Iterable[Cell]) -> list[Cell]:
    """The cells ``session``'s store has not settled, longest first (estimated cost of the run that trains them),
    then by variant and seed. Cells one training records (recipe.derived: model4 and model4-e2000) are planned
    once: the first missing one stands for the shared run, whose training records the others."""
    from ..recipe.derived import shared_run

    missing = [c for c in dict.fromkeys(cells) if not settled(session.store.get(session.spec(*c).identity()))]
    once = {(shared_run(v).trained, s): (v, s) for v, s in reversed(missing)}  # the first missing cell stands
    return sorted(once.values(), key=lambda c: (-estimated_cost(shared_run(c[0]).trained, session.profile), c[0],
                                                c[1]))
