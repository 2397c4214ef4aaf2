"""The one multiplicity family (issue 22): every comparison of every claim the profile judges.

The family is fixed by the catalogue and the profile (``tp2core.recipe.plan.judged_at``) — never by ``-k``, by
which claims a worker was given, or by which runs happen to be stored. ``judge_family`` judges all of it from
whatever runs are at hand; a member without a usable result (no runs, an arm with < 2 usable runs, a premise that
failed) enters Holm with p = 1, so it never rejects and every other verdict is the same whoever reads the store:
the pytest outcome (tp2core.session), the tables and results.json (tp2core.controller) and ``tp2 report``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..recipe.plan import judged_at
from ..training.runs import RunResult
from .claim import Claim, Judgement, adjust_session, judge
from .design import Design


def members(claims: Sequence[Claim], profile) -> list[Claim]:
    """The claims whose comparisons form the family under ``profile``, in catalogue order."""
    return [c for c in claims if judged_at(c, profile)[0]]


def family_size(claims: Sequence[Claim], profile) -> int:
    """Comparisons in the family (at least 1, so that a divisor or a Holm family is always defined)."""
    return max(1, sum(len(c.comparisons) for c in members(claims, profile)))


def judge_family(claims: Sequence[Claim], runs_by_variant: Mapping[str, list[RunResult]], *, dataset: str,
                 profile: str, design: Design | None = None) -> list[Judgement]:
    """Every family member judged on the runs the ``design`` reads (``Design.reads``: seeds below its judged
    seeds; None: every run given) — variants without runs simply have none — by the design's verdict system:
    Holm over the whole family (fixed seeds), or each comparison's sequential replay at ALPHA / family size
    (adaptive seeds), or the budgeted allocation over the whole family replayed on the runs (tp2core.claims.
    budgeted). Returns one Judgement per member claim, in catalogue order."""
    if design is not None:
        runs_by_variant, _beyond = design.reads(runs_by_variant)
    sequential = None if design is None else design.sequential
    judged, m = members(claims, profile), family_size(claims, profile)
    budgeted = {}
    if design is not None and design.budget is not None:
        from .budgeted import compared

        budgeted = compared(judged, runs_by_variant, profile=profile, design=design)
    raw = [judge(c, {v: list(runs_by_variant.get(v, [])) for v in c.variants}, dataset=dataset, profile=profile,
                 family_size=m, design=sequential, compared=budgeted.get(c.name)) for c in judged]
    return adjust_session(raw, family_size=m)


def budget_cells(claims: Sequence[Claim], runs_by_variant: Mapping[str, list[RunResult]], *, profile: str,
                 design: Design) -> list[tuple[str, int]]:
    """Budgeted design: the (variant, seed) cells the family's allocation asks for next on these runs ([] once it
    has stopped: every comparison decided, at its last look, set aside, or the budget spent)."""
    from .budgeted import replay

    runs_by_variant, _beyond = design.reads(runs_by_variant)
    return replay(members(claims, profile), runs_by_variant, profile=profile, design=design)[2]


def next_stage(judgements: Sequence[Judgement]) -> dict[str, int]:
    """Adaptive seeds: variant → seeds per arm its undecided comparisons' next look needs (the largest asked);
    empty when every comparison with a sequential replay has stopped (decided, futile or at max seeds)."""
    need: dict[str, int] = {}
    for j in judgements:
        for c in j.comparisons:
            if c.sequential is None or c.sequential.next_seeds is None or c.not_judged is not None:
                continue
            for variant in (c.a, c.b):
                if variant is not None:
                    need[variant] = max(need.get(variant, 0), c.sequential.next_seeds)
    return need
