"""Simulated error, decisions and cost of the budgeted procedure (tp2core.claims.budget): what
scripts/calibrate_budget.py writes into docs/statistics.md ("Budgeted seeds") and tests/claims/test_budget.py
checks on a small fixed-seed run. The decisions are tp2core.claims.allocation.Engine's, the code the session runs,
on welch.evaluate's p-values; vectorised over trials.

Data: normal per-seed values. A *stream* is one (variant, metric) of a family, with a true mean and sd; comparisons
that share a stream share its draws (model3 is arm b of six of quick's comparisons), and every comparison's runs
are charged to its variants' costs (a variant's seed is one run whichever stream or comparison reads it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import sequential, welch
from .allocation import Engine, Spec
from .compare import holm

CODES = (welch.SUPPORTED_CODE, welch.REFUTED_CODE)
START, END = "<!-- calibrate_budget: start -->", "<!-- calibrate_budget: end -->"  # its docs/statistics.md block


@dataclass(frozen=True)
class SimComparison:
    """A comparison of a simulated family: its rule, the variants it charges and the streams it reads."""

    relation: str
    threshold: float
    margin: float | None
    variants: tuple[str, ...]  # (a,) or (a, b): the runs it uses, for costs
    streams: tuple  # keys of ``truths`` for arm a and arm b, or (key_a, constant) against a constant
    first_only: bool = False  # judged at its first look only, as the session does a clock's metric (images/s)

    @property
    def spec(self) -> Spec:
        return Spec(self.relation, self.threshold, self.margin, self.variants)

    def correct(self, truths: dict) -> int | None:
        """The verdict code the truth calls for; None on the boundary (every verdict is false)."""
        mb = self.streams[1] if len(self.variants) == 1 else truths[self.streams[1]][0]
        effect = truths[self.streams[0]][0] - mb
        if self.relation == "equivalent":
            return None if np.isclose(abs(effect), self.margin) else (
                welch.SUPPORTED_CODE if abs(effect) < self.margin else welch.REFUTED_CODE)
        if np.isclose(effect, self.threshold):
            return None
        beyond = effect > self.threshold if self.relation == "greater" else effect < self.threshold
        return welch.SUPPORTED_CODE if beyond else welch.REFUTED_CODE


def draw(truths: dict, n: int, trials: int, seed) -> dict:
    """stream → (trials, n) normal draws with the stream's (mean, sd); one generator per stream."""
    return {k: mean + sd * np.random.default_rng([*seed, i]).standard_normal((trials, n))
            for i, (k, (mean, sd)) in enumerate(sorted(truths.items(), key=lambda kv: str(kv[0])))}


def _arms(c: SimComparison, data: dict, n: int):
    a = data[c.streams[0]][:, :n]
    return a, (float(c.streams[1]) if len(c.variants) == 1 else data[c.streams[1]][:, :n])


def look_stats(family: list[SimComparison], data: dict, seeds, df: str = welch.WELCH) -> np.ndarray:
    """(T, m, K, 5) every comparison's statistics at every look (effect, sd_a, sd_b, p_value, p_refute); ``df``:
    the two-arm df rule of the p-values (welch.degrees_of_freedom)."""
    out = []
    for c in family:
        per = []
        for n in seeds:
            a, b = _arms(c, data, n)
            ev = welch.evaluate(a, b, c.relation, threshold=c.threshold, margin=c.margin, df=df)
            sd_b = np.zeros(a.shape[0]) if np.ndim(b) == 0 else b.std(axis=1, ddof=1)
            per.append(np.stack([ev.effect, a.std(axis=1, ddof=1), sd_b, ev.p_value, ev.p_refute], -1))
        out.append(np.stack(per, 1))
    return np.stack(out, 1)


def budgeted(family, costs: dict, data: dict, *, seeds, levels, budget: float, df: str = welch.WELCH,
             stats: np.ndarray | None = None, trainings: dict | None = None) -> Engine:
    """The budgeted procedure on ``data``: the Engine after its run (``code``, ``spent``, ``look``). ``df``: the
    df rule of its tests and its allocation; ``stats``: ``look_stats(family, data, seeds, df)`` if already
    computed (several budgets on the same data); ``trainings``: variant → the training recording it
    (tp2core.recipe.costs.training), a training shared by several variants charged once, as the session does."""
    trials = next(iter(data.values())).shape[0]
    engine = Engine([c.spec for c in family], costs, tuple(seeds), levels, budget, trials, trainings=trainings, df=df)
    engine.last[[c.first_only for c in family]] = 0
    engine.stats[:] = look_stats(family, data, seeds, df) if stats is None else stats
    engine.run()
    return engine


def every_look(family, data: dict, *, seeds, levels, df: str = welch.WELCH) -> np.ndarray:
    """(T, m) verdict codes if every look of every comparison ran (no budget, no allocation): the first look
    crossing a boundary — the worst case of the union bound, the non-binding check."""
    st = look_stats(family, data, seeds, df)
    lv = np.asarray(levels)
    code = np.where(st[..., 3] < lv, welch.SUPPORTED_CODE, np.where(st[..., 4] < lv, welch.REFUTED_CODE, 0))
    first = np.argmax(code != 0, axis=-1)
    return np.take_along_axis(code, first[..., None], -1)[..., 0].astype(np.int8)


def fixed_holm(family, data: dict, n: int, alpha: float, df: str = welch.WELCH) -> np.ndarray:
    """(T, m) verdict codes of the fixed design at n seeds per arm, Holm over the family at alpha."""
    evs = [welch.evaluate(*_arms(c, data, n), c.relation, threshold=c.threshold, margin=c.margin, df=df)
           for c in family]
    adj = holm(np.stack([e.decision_p for e in evs], 1))
    side = np.stack([np.where(e.p_value < e.p_refute, welch.SUPPORTED_CODE, welch.REFUTED_CODE) for e in evs], 1)
    return np.where(adj < alpha, side, 0).astype(np.int8)


def run_cost(family, costs: dict, n: int) -> float:
    """Cost of n seeds of every variant the family uses."""
    return n * sum(costs[v] for v in dict.fromkeys(v for c in family for v in c.variants))


def adaptive(family, costs: dict, data: dict, *, alpha: float, budget: float, seeds=sequential.looks(),
             trainings: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(codes (T, m), spent (T,)) of the uncosted adaptive design (tp2core.claims.sequential: O'Brien–Fleming,
    binding futility, each comparison at alpha/m), its stages run in order while a whole stage fits the budget;
    runs charged as ``budgeted`` charges them (``trainings``: a shared training once)."""
    m = len(family)
    stats = look_stats(family, data, seeds)
    codes, stop = sequential.decide(stats[..., 3], stats[..., 4], tuple(seeds), alpha / m)
    trials = stop.shape[0]
    ledger = Engine([c.spec for c in family], costs, tuple(seeds), [0.0] * len(seeds), budget, trials,
                    trainings=trainings)  # only its cost rule (charge) and which comparison uses which variant
    have, spent, ran = np.zeros((trials, len(ledger.variants)), int), np.zeros(trials), np.full(trials, -1)
    for s, n in enumerate(seeds):
        going = stop >= s  # (T, m): comparisons that make look s
        need = np.where((going[:, :, None] & ledger.uses[None]).any(axis=1), np.maximum(0, n - have), 0)
        stage = ledger.charge(have, have + need)
        fits = (ran == s - 1) & ((s == 0) | (spent + stage <= budget * (1 + 1e-9)))
        spent, have, ran = spent + np.where(fits, stage, 0), have + np.where(fits[:, None], need, 0), np.where(
            fits, s, ran)
    final = codes[np.arange(trials)[:, None], np.arange(m)[None], stop]
    reached = stop <= ran[:, None]
    return np.where(reached & np.isin(final, CODES), final, 0).astype(np.int8), spent


def tally(codes: np.ndarray, family, truths: dict) -> dict:
    """Per-trial counts: decided (a verdict), correct, false (a verdict the truth does not call for)."""
    want = np.array([0 if (w := c.correct(truths)) is None else w for c in family])
    decided = codes != 0
    false = decided & (codes != want[None])
    return {"decided": decided.sum(1), "correct": (decided & ~false).sum(1), "false": false.sum(1),
            "any_false": false.any(1)}


def first_look_rate(level: float, *, effect_sd: float = 6.0, n: int = 3, trials: int, seed: int,
                    df: str = welch.WELCH) -> float:
    """Share of "supported" at one look at ``level`` (one-sided) with n seeds a side, both arms sd 1, true effect
    ``effect_sd`` × the per-seed sd (so effect_sd/√2 in sd_diff), threshold 0."""
    rng = np.random.default_rng([seed, 29, round(effect_sd * 100), n])
    a, b = effect_sd + rng.standard_normal((trials, n)), rng.standard_normal((trials, n))
    return float(np.mean(welch.evaluate(a, b, "greater", df=df).p_value < level))
