"""The budgeted design fed by the store (issue 29): the session's allocation is tp2core.claims.budget's procedure
replayed on the stored runs, so a session, a ``-k`` session and ``tp2 report`` reach the same looks and verdicts.

``replay`` builds a BudgetAllocator over the whole family (every comparison of every claim the profile judges, at
alpha/m each) whose looks come from the stored runs (``StoredLooks``: the claim layer's measurement of the runs of
seeds below the look — learning guard, exclusions and spread floors as for every other design); costs are the
cost model's (tp2core.recipe.costs.record_cost: a training shared by several records is charged once), never a
clock. The allocator asks for the cells its next look needs; the session trains them (``next_cells``) and replays
again until it asks for nothing. Each comparison's result is its looks as a sequential replay (repeated CIs at the
design's union-bound levels) with ``budget``: the seeds it used, what its runs cost, why it stopped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
from scipy.stats import t as student_t

from ..recipe.costs import UNIT, record_cost, training
from ..recipe.variants import PROFILES
from . import stats
from .budget import BudgetAllocator
from .claim import Claim, _arms, _measure, _plan, _sequential_text
from .compare import judged_evaluation
from .judgement import ALPHA, ComparisonResult
from .metrics import CLOCK_METRICS, UNITS
from .sequential import SequentialResult, Stage


def _cpu_minutes(seconds: float) -> str:
    """E.g. '0.21 CPU-min', '17 CPU-min', '120 CPU-min' (of the cost model)."""
    m = seconds / 60
    return f"{m:.2g} CPU-min of the cost model" if m < 10 else f"{m:,.0f} CPU-min of the cost model"


class StoredLooks:
    """A LookSource (tp2core.claims.budget) on stored runs: a look at n reads the runs of seeds below n."""

    def __init__(self, runs_by_variant: Mapping[str, list]):
        self.runs = runs_by_variant
        self.measured: dict = {}  # (j, n) → _measure's tuple, or the ComparisonResult saying why not measurable
        self.evaluations: dict = {}  # (j, n) → welch.Evaluation

    def seeds(self, variant: str) -> int:
        held, n = {r.spec.seed for r in self.runs.get(variant, [])}, 0
        while n in held:
            n += 1
        return n

    def look(self, j: int, c, n: int) -> tuple | None:
        sub = {v: [r for r in runs if r.spec.seed < n] for v, runs in self.runs.items()}
        got = self.measured[j, n] = _measure(c, sub, *_arms(c, sub))
        if isinstance(got, ComparisonResult):
            return None
        _base, a, b, floor = got
        ev = judged_evaluation(a, b if b is not None else c.constant, c.relation, threshold=c.threshold,
                               margin=c.margin, alpha=ALPHA, resolution=floor)[0]
        self.evaluations[j, n] = ev
        sd = lambda v, f: max(float(np.std(v, ddof=1)), f)  # noqa: E731 — the floored sd the verdict used
        return float(ev.effect), sd(a, floor[0]), 0.0 if b is None else sd(b, floor[1]), float(ev.p_value), \
            float(ev.p_refute)


def replay(claims: Sequence[Claim], runs_by_variant: Mapping[str, list], *, profile: str, design
           ) -> tuple[BudgetAllocator, StoredLooks, list[tuple[str, int]]]:
    """(the allocator after replaying every look the stored runs allow, its look source, the cells it asks for
    next — [] once it has stopped). A comparison of a metric measured with a clock (metrics.CLOCK_METRICS:
    images/s) is judged at its first look only: machine load never decides what is trained next, so the same data
    give the same looks on every machine."""
    prof = PROFILES[profile]
    comps = [c for claim in claims for c in claim.comparisons]
    variants = {v for c in comps for v in c.variants}
    looks = StoredLooks(runs_by_variant)
    allocator = BudgetAllocator(comps, lambda v: record_cost(v, prof), design.budget, alpha=design.alpha,
                                design=design.budgeted, trainings={v: training(v) for v in variants}, looks=looks,
                                money=_cpu_minutes, first_only=[c.metric in CLOCK_METRICS for c in comps])
    return allocator, looks, allocator.next_cells()


def compared(claims: Sequence[Claim], runs_by_variant: Mapping[str, list], *, profile: str, design
             ) -> dict[str, tuple[ComparisonResult, ...]]:
    """Claim name → its comparisons' results under the budgeted design, on the stored runs."""
    allocator, looks, pending = replay(claims, runs_by_variant, profile=profile, design=design)
    outcomes, out, j = allocator.results(), {}, 0
    if pending:  # a session stopped before its allocation did: no undecided comparison is "budget spent" yet
        asked = ", ".join(f"{v} seed {s}" for v, s in pending[:4]) + (" …" if len(pending) > 4 else "")
        outcomes = [o if o.verdict != stats.INCONCLUSIVE else replace(
            o, stopped=f"allocation not finished — it asks for runs the store lacks ({asked}); rerun the session")
            for o in outcomes]
    for claim in claims:
        results = []
        for c in claim.comparisons:
            results.append(_result(c, j, allocator, looks, outcomes[j]))
            j += 1
        out[claim.name] = tuple(results)
    return out


def _result(c, j: int, allocator: BudgetAllocator, looks: StoredLooks, outcome) -> ComparisonResult:
    """Comparison j's looks as a sequential replay, with what it cost and why it stopped."""
    seeds = allocator.design.looks
    made = [n for n in seeds if (j, n) in looks.evaluations][:outcome.looks]
    why_not = next((looks.measured[j, n] for n in seeds if isinstance(looks.measured.get((j, n)), ComparisonResult)),
                   None)
    if not made:
        if why_not is not None:
            return why_not
        return ComparisonResult(label=c.describe(), metric=c.metric, unit=UNITS[c.metric], relation=c.relation,
                                a=c.a, b=c.b, constant=c.constant, n_a=0, n_b=0, result=None,
                                text=f"{c.describe()}: no look yet (needs {seeds[0]} seeds per arm)")
    alpha = allocator.alpha / len(allocator.comparisons)
    stages = tuple(_stage(looks.evaluations[j, n], n, allocator.levels[k], k == len(made) - 1, outcome.verdict)
                   for k, n in enumerate(made))
    stopped = _stopped(outcome.stopped)
    seq = SequentialResult(outcome.verdict, {"a": made[-1], "b": made[-1] if c.b is not None else 0}, stages,
                           stopped, c.relation, float(c.threshold), c.margin, alpha, tuple(seeds))
    base, a, b, floor = looks.measured[j, made[-1]]
    plan = _plan(c, a, b, floor, stages[-1].estimate, alpha) if outcome.verdict == stats.INCONCLUSIVE else {}
    text = _sequential_text(c, seq) + ("" if outcome.verdict != stats.INCONCLUSIVE else f"; {outcome.stopped}")
    budget = {**outcome.to_dict(), "cost": allocator.cost_of(j), "unit": UNIT}
    return ComparisonResult(**base, result=None, sequential=seq, text=text, budget=budget, **plan)


def _stage(ev, n: int, level: float, last: bool, verdict: str) -> Stage:
    half = float(student_t.isf(level, ev.df) * ev.se)
    effect = float(ev.effect)
    decision = verdict if last else "continue"
    return Stage(n, effect, effect - half, effect + half, float(level), float(ev.p_value), float(ev.p_refute),
                 decision)


def _stopped(phrase: str) -> str:
    """SequentialResult.stopped from the allocator's phrase: 'decided', 'max seeds', 'budget spent', 'set aside'
    or 'guard' (a later look could not be judged)."""
    for key in ("decided", "max seeds", "budget spent", "set aside", "allocation not finished", "first look only"):
        if phrase.startswith(key):
            return key
    return "guard"
