"""Seeds spent where they decide, within a stated budget (issue 29).

Public contract::

    decide_within_budget(comparisons, draw, cost, budget, *, alpha=0.05) -> list[BudgetOutcome]

one outcome per comparison (tp2core.claims.claim.Comparison), in their order: ``.verdict`` (a verdict word of
tp2core.claims.stats), ``.seeds_used`` (variant → seeds its last look used), ``.stopped`` (why, a short phrase),
and for an undecided one ``.n_more``, ``.variants``, ``.cost_more`` (what would decide it if the effect is as
measured). ``draw(variant, seed)`` is the run's metric in the comparison's unit, ``cost(variant)`` its cost (any
deterministic unit; never a clock), ``budget`` the total cost allowed. The session drives the same procedure step
by step with ``BudgetAllocator`` (``next_cells`` → train those (variant, seed) cells, in parallel → ``observe``
the store's per-seed values → … → ``results``); ``decide_within_budget`` is that loop with ``draw``.

**Design** (fixed in advance, ``BudgetDesign``): looks at first, first + step, …, max_seeds seeds per arm for every
comparison; each look tests compare()'s Welch/one-sample/TOST p-values (tp2core.claims.welch) at the union-bound
levels of the spending function at alpha/m, m = the comparisons given (Bonferroni). Rules and allocation:
tp2core.claims.allocation. **Budget rule:** the first look (every comparison at ``first`` seeds) always runs; a
later look runs only if its cost fits what is left, so the total spent is ≤ max(budget, cost of the first look).
A run counts once whichever comparisons use it, and stored runs count like trained ones, so a replay from a warm
store spends and decides exactly as the cold run did. Figures: docs/statistics.md, "Budgeted seeds"
(scripts/calibrate_budget.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Protocol

import numpy as np

from ..errors import require
from . import spending as spending_fns
from . import welch
from .allocation import EFFECT, HOPELESS, P_REFUTE, P_VALUE, SD_A, SD_B, Engine, Spec, chances
from .compare import POWER, _check_rule
from .sequential import _values
from .stats import INCONCLUSIVE, REFUTED, SUPPORTED

LOOKS = (3, 5, 8, 12, 20)  # seeds per arm at each look; chosen with the spending by scripts/calibrate_budget.py
SPENDING = "front(0.84)"  # (docs/statistics.md, "Budgeted seeds")
_WORD = {welch.SUPPORTED_CODE: SUPPORTED, welch.REFUTED_CODE: REFUTED, 0: INCONCLUSIVE}


@dataclass(frozen=True)
class BudgetDesign:
    """Every comparison's looks (seeds per arm, increasing, the first ≥ 2) and the spending function whose
    union-bound levels are their boundaries (tp2core.claims.spending)."""

    looks: tuple[int, ...] = LOOKS
    spending: str = SPENDING

    def __post_init__(self) -> None:
        ok = isinstance(self.looks, tuple) and len(self.looks) >= 1 and all(
            isinstance(n, int) and not isinstance(n, bool) for n in self.looks)
        require(ok and self.looks[0] >= 2 and all(x < y for x, y in zip(self.looks, self.looks[1:])), "looks",
                "a tuple of increasing ints, the first ≥ 2 (one seed says nothing about spread), e.g. (3, 5, 8)",
                self.looks)
        spending_fns.check(self.spending)

    def levels(self, alpha: float) -> tuple[float, ...]:
        """One-sided level of each look for each side of one comparison judged at ``alpha``."""
        return spending_fns.union_levels(self.looks, alpha, self.spending)


@dataclass(frozen=True)
class BudgetOutcome:
    """One comparison's end: its verdict, the seeds it used and why it stopped. Costs in ``cost``'s unit."""

    verdict: str  # "supported" | "refuted" | "inconclusive"
    seeds_used: dict  # variant → seeds per arm at its last look
    stopped: str  # why, e.g. "decided at look 2 of 5 (5 seeds per arm)", "budget spent — ≈ 4 more seeds of …"
    looks: int  # looks judged
    estimate: float | None  # mean(a) − mean(b) (or − the constant) at the last look, the metric's unit
    p_value: float | None  # the claimed side's p at the last look
    p_refute: float | None
    level: float | None  # the last look's boundary (one-sided, each side)
    n_more: int | None = None  # undecided: more seeds per arm that would decide it (80% chance) if as measured
    variants: tuple[str, ...] = ()  # undecided: the variants that need them
    cost_more: float | None = None  # undecided: their cost (shared runs once)

    def to_dict(self) -> dict:
        return {**asdict(self), "variants": list(self.variants)}


class BudgetAllocator:
    """The budgeted procedure as steps: ``next_cells()`` → the (variant, seed) runs of the next look(s) not yet
    observed ([] when finished); ``observe(values)`` → per-seed values; ``results()`` → one BudgetOutcome per
    comparison. ``values`` maps a variant — or (variant, metric), which takes precedence — to its per-seed
    values in seed order from seed 0 (extra seeds are ignored until the procedure asks for them).

    A session judges its looks itself (``looks``: a LookSource — which seeds it holds and each look's statistics,
    with its guards and spread floors, tp2core.claims.budgeted) and says which variants one training records
    (``trainings``: variant → its training's name; their seeds are charged once). ``money(cost)`` words a cost
    for the outcomes' phrases; ``first_only[j]`` True: comparison j is judged at its first look only."""

    def __init__(self, comparisons: Sequence, cost: Callable[[str], float], budget: float, *, alpha: float = 0.05,
                 design: BudgetDesign | None = None, trainings: Mapping[str, str] | None = None,
                 looks: "LookSource | None" = None, money: Callable[[float], str] | None = None,
                 first_only: Sequence[bool] | None = None):
        from .claim import Comparison

        comps = list(comparisons) if isinstance(comparisons, (list, tuple)) else None
        require(bool(comps) and all(isinstance(c, Comparison) for c in comps), "comparisons",
                "a non-empty list of tp2core.claims.claim.Comparison values", comparisons)
        require(callable(cost), "cost", "a callable cost(variant) -> float, the cost of one run", cost)
        require(_number(budget) and budget >= 0, "budget", "a finite number ≥ 0, the total cost allowed", budget)
        _check_rule("greater", 0.0, None, alpha)
        design = BudgetDesign() if design is None else design
        require(isinstance(design, BudgetDesign), "design", "a BudgetDesign", design)
        variants = list(dict.fromkeys(v for c in comps for v in c.variants))
        costs = {v: cost(v) for v in variants}
        for v, x in costs.items():
            require(_number(x) and x > 0, "cost", f"a function returning a finite number > 0 (for {v!r})", x)
        self.comparisons, self.design, self.alpha = comps, design, float(alpha)
        self.levels = design.levels(self.alpha / len(comps))
        specs = [Spec(c.relation, float(c.threshold), c.margin, c.variants) for c in comps]
        self.engine = Engine(specs, {v: float(x) for v, x in costs.items()}, design.looks, self.levels, budget,
                             trainings=dict(trainings or {}))
        if first_only is not None:  # comparisons judged at their first look only (never allocated more)
            self.engine.last[np.asarray(first_only, bool)] = 0
        self.source = _Values(comps) if looks is None else looks
        self.money = money or (lambda x: f"{x:.3g} cost units")
        self._started = False

    @property
    def spent(self) -> float:
        """Cost of every run the procedure has asked for (stored or trained)."""
        return float(self.engine.spent[0])

    def observe(self, values: Mapping) -> None:
        """Record per-seed values (replacing earlier ones for the same keys) and judge every look they complete."""
        require(isinstance(self.source, _Values), "observe", "only for an allocator fed values (no LookSource)",
                type(self.source).__name__)
        require(isinstance(values, Mapping), "values", "a mapping variant → per-seed values in seed order", values)
        for key, vals in values.items():
            self.source.values[key] = _values(vals, f"values[{key!r}]")
        self._fill()
        self.engine.judge()

    def next_cells(self) -> list[tuple[str, int]]:
        """The runs to train next: the asked-for (variant, seed) cells without a value; [] once finished."""
        if not self._started:
            self._started = True
            self.engine.first_look()
        while True:
            self._fill()
            self.engine.judge()
            missing = self._missing()
            if missing:
                return missing
            pick = int(self.engine.choose()[0])
            if pick < 0:
                return []
            self.engine.advance(np.array([pick]))

    def results(self) -> list[BudgetOutcome]:
        """One outcome per comparison, in the order given."""
        return [self._outcome(j) for j in range(len(self.comparisons))]

    def cost_of(self, j: int) -> float:
        """What comparison j's verdict read: the cost of the runs of its variants up to the seeds its last look
        used (a training shared with another comparison counted in each)."""
        e = self.engine
        k = int(e.look[0, j])
        if k < 0:
            return 0.0
        have = np.where(e.uses[j], int(self.design.looks[k]), 0)[None]
        return float(e.charge(np.zeros_like(have), have)[0])

    # --- internals ---------------------------------------------------------------------------------------------
    def _missing(self) -> list[tuple[str, int]]:
        """Asked-for cells the source does not hold: a variant's seeds from the first one it lacks."""
        e, cells = self.engine, []
        for i, v in enumerate(e.variants):
            have = self.source.seeds(v)
            cells += [(v, s) for s in range(have, int(e.have[0, i]))]
        return cells

    def _fill(self) -> None:
        """Statistics of every look whose seeds are all held; a look the source cannot judge (None) closes its
        comparison: no later look is made (it would read the same guard)."""
        e = self.engine
        for j, c in enumerate(self.comparisons):
            have = min(self.source.seeds(v) for v in c.variants)
            for k, n in enumerate(self.design.looks):
                if n > have or e.closed[0, j] or not np.isnan(e.stats[0, j, k, P_VALUE]):
                    continue
                got = self.source.look(j, c, n)
                if got is None:
                    e.closed[0, j] = True
                    break
                e.stats[0, j, k] = got

    def _outcome(self, j: int) -> BudgetOutcome:
        e, c = self.engine, self.comparisons[j]
        k, code, looks_ = int(e.look[0, j]), int(e.code[0, j]), self.design.looks
        if k < 0:
            return BudgetOutcome(INCONCLUSIVE, {v: 0 for v in c.variants}, "no look: its first look's runs are "
                                 "missing or cannot be judged", 0, None, None, None, None)
        st, n = e.stats[0, j, k], int(looks_[k])
        base = dict(verdict=_WORD[code], seeds_used={v: n for v in c.variants}, looks=k + 1,
                    estimate=float(st[EFFECT]), p_value=float(st[P_VALUE]), p_refute=float(st[P_REFUTE]),
                    level=float(self.levels[k]))
        if code:
            return BudgetOutcome(**base, stopped=f"decided at look {k + 1} of {len(looks_)} ({n} seeds per arm)")
        if k == e.last[j] < len(looks_) - 1:
            return BudgetOutcome(**base, stopped="first look only — a metric measured with a clock never decides "
                                 "what is trained next")
        if k == len(looks_) - 1:
            return BudgetOutcome(**base, stopped=f"max seeds: no verdict at {n} seeds per arm")
        if e.closed[0, j]:
            return BudgetOutcome(**base, stopped=f"its look at {looks_[k + 1]} seeds per arm cannot be judged")
        p = chances(st[EFFECT], st[SD_A], st[SD_B], c.relation, c.threshold, c.margin, looks_, self.levels)
        enough = [h for h in range(k + 1, len(looks_)) if p[h] >= POWER]
        names = " and ".join(c.variants)
        if not enough:
            why, chance = ("set aside", HOPELESS) if p[k + 1:].max() < HOPELESS else ("budget spent", POWER)
            return BudgetOutcome(**base, stopped=f"{why} — even {looks_[-1]} seeds of {names} would decide it with "
                                 f"< {chance:.0%} chance if the effect is as measured", variants=c.variants)
        h = enough[0]
        need = e.need(j, h)
        more = tuple(v for v, x in zip(e.variants, need[0]) if x > 0)
        cost_more = float(e.charge(e.have, e.have + need)[0])
        return BudgetOutcome(**base, stopped=f"budget spent — ≈ {looks_[h] - n} more seeds of {' and '.join(more)} "
                             f"(≈ {self.money(cost_more)}) would decide it if the effect is as measured",
                             n_more=int(looks_[h] - n), variants=more, cost_more=cost_more)


class LookSource(Protocol):
    """Where an allocator's looks come from: ``seeds(variant)`` → how many leading seeds (0, 1, …) it holds;
    ``look(j, comparison, n)`` → (effect, sd_a, sd_b, p_value, p_refute) on seeds below n, or None when that
    look cannot be judged."""

    def seeds(self, variant: str) -> int: ...

    def look(self, j: int, comparison, n: int) -> tuple | None: ...


class _Values:
    """Looks from per-seed values (decide_within_budget, the simulation's contract): Welch on the first n."""

    def __init__(self, comparisons: list):
        self.comparisons, self.values = comparisons, {}

    def _arm(self, variant: str, metric: str) -> np.ndarray:
        got = self.values.get((variant, metric), self.values.get(variant))
        return np.zeros(0) if got is None else got

    def seeds(self, variant: str) -> int:
        return min(self._arm(variant, c.metric).size for c in self.comparisons if variant in c.variants)

    def look(self, j: int, c, n: int) -> tuple:
        a = self._arm(c.a, c.metric)[:n]
        y = self._arm(c.b, c.metric)[:n] if c.b is not None else float(c.constant)
        ev = welch.evaluate(a, y, c.relation, threshold=c.threshold, margin=c.margin)
        sd_b = float(np.std(y, ddof=1)) if c.b is not None else 0.0
        return ev.effect, np.std(a, ddof=1), sd_b, ev.p_value, ev.p_refute


def decide_within_budget(comparisons: Sequence, draw: Callable[[str, int], float], cost: Callable[[str], float],
                         budget: float, *, alpha: float = 0.05) -> list[BudgetOutcome]:
    """Run the budgeted procedure (module docstring) with ``draw(variant, seed)`` as the trainer."""
    require(callable(draw), "draw", "a callable draw(variant, seed) -> float, the run's metric", draw)
    allocator = BudgetAllocator(comparisons, cost, budget, alpha=alpha)
    store: dict[str, list[float]] = {}
    while cells := allocator.next_cells():
        for variant, seed in cells:
            x = draw(variant, seed)
            require(_number(x), "draw", f"a function returning a finite number (for {variant!r}, seed {seed})", x)
            store.setdefault(variant, []).append(float(x))
        allocator.observe({v: store[v] for v in {v for v, _ in cells}})
    return allocator.results()


def _number(x: object) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool) and math.isfinite(x)
