"""The budgeted design's rules on arrays (issue 29): judging each comparison's looks and choosing which comparison
gets the next look, vectorised over a batch of independent experiments — one experiment for
tp2core.claims.budget.BudgetAllocator (the session), many for tp2core.claims.budget_calibration (the simulation),
so the simulated procedure is the code the session runs.

Shapes: T experiments (the batch), m comparisons, V variants (cost cells: one (variant, seed) run costs
``cost[v]``), K looks at ``seeds`` (K,) seeds per arm. Each comparison's statistics at look k are filled into
``stats`` (T, m, K, 5) — effect, sd_a, sd_b, p_value, p_refute — once its seeds exist; a look is judged only when
the procedure has asked for its seeds (``have``), so seeds stored for other reasons never change a verdict.

**Boundaries.** Comparison j's look k says "supported" iff p_value < levels[k], "refuted" iff p_refute <
levels[k], levels = the union-bound spending levels at alpha/m (tp2core.claims.spending.union_levels): every false
verdict of j over all its looks has probability ≤ alpha/(2m) whichever looks are reached, so neither stopping a
comparison early (budget, allocation) nor skipping it adds error (non-binding), and Bonferroni bounds the family.

**Allocation.** After the first look (every comparison at seeds[0]), the next look goes to the undecided comparison
with the highest chance of a verdict per unit of cost: for each later look h, P_h = Φ(dist/se_h − t_{1−level_h,
df_h}), the chance that look h decides if the effect and sds are as measured (dist: from the estimate to the
threshold or margin), over cost_h, the cost of the runs it still needs up to seeds[h], each variant's cost divided
among the undecided comparisons that use it (a shared variant costs once); the index is max over h of P_h/cost_h.
A look is taken only if its real cost fits the budget left; a comparison whose best P_h is below HOPELESS is set
aside (an allocation choice, not a verdict). Ties go to the earlier comparison: the same data give the same looks.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import welch

HOPELESS = 0.05  # set aside a comparison whose best chance of a verdict at any later look is below this
EFFECT, SD_A, SD_B, P_VALUE, P_REFUTE = range(5)  # the last axis of Engine.stats


class Spec(NamedTuple):
    """What the engine needs of a comparison: its rule and the variants whose runs it uses (one or two)."""

    relation: str
    threshold: float
    margin: float | None
    variants: tuple[str, ...]


def chances(effect, sd_a, sd_b, relation: str, threshold: float, margin: float | None, seeds, levels, *,
            df: str = welch.WELCH) -> np.ndarray:
    """P_h (..., K): the chance that a look at seeds[h] per arm decides, if the true effect and sds are the measured
    ones (Gaussian, with the t quantile of the ``df`` rule's df, welch.degrees_of_freedom). effect, sd_a, sd_b:
    (...); sd_b 0 for a constant."""
    from scipy.stats import norm, t as student_t

    n = np.asarray(seeds, dtype=float)
    var_a, var_b = np.square(sd_a)[..., None], np.square(sd_b)[..., None]
    se2 = var_a / n + var_b / n
    with np.errstate(invalid="ignore", divide="ignore"):
        dof = np.where(se2 > 0, welch.degrees_of_freedom(var_a, var_b, n, n, df), n - 1.0)
        e = np.asarray(effect, dtype=float)[..., None]
        level = np.broadcast_to(np.asarray(levels, dtype=float), se2.shape)
        if relation == "equivalent":
            inside = np.abs(e) < margin
            dist, level = np.where(inside, margin - np.abs(e), np.abs(e) - margin), np.where(inside, level, level / 2)
        else:
            dist = np.abs(e - threshold)
        z = dist / np.sqrt(np.where(se2 > 0, se2, 1.0)) - student_t.isf(level, np.maximum(dof, 1.0))
    return np.where(se2 > 0, norm.cdf(z), 0.0)


class Engine:
    """State of T budgeted experiments on m comparisons; ``first_look``, then ``judge``/``choose``/``advance``."""

    def __init__(self, specs, cost: dict[str, float], seeds: tuple[int, ...], levels, budget: float, trials: int = 1,
                 trainings: dict[str, str] | None = None, df: str = welch.WELCH):
        self.df = df  # the df rule of the tests, which ``chances`` plans with (welch.degrees_of_freedom)
        self.specs, self.variants = list(specs), list(cost)
        self.cost = np.array([cost[v] for v in self.variants], dtype=float)
        # variants one training records (tp2core.recipe.derived): a seed of the training is charged once, at its
        # variants' summed cost, whichever of them asks for it first
        names = [(trainings or {}).get(v, v) for v in self.variants]
        self.trainings = np.array([[n == t for n in names] for t in dict.fromkeys(names)], bool)  # (G, V)
        self.seeds, self.levels, self.budget = np.asarray(seeds), np.asarray(levels, dtype=float), float(budget)
        m, v, k = len(self.specs), len(self.variants), len(seeds)
        self.uses = np.zeros((m, v), bool)  # comparison j uses variant v
        for j, s in enumerate(self.specs):
            self.uses[j, [self.variants.index(x) for x in s.variants]] = True
        self.have = np.zeros((trials, v), int)  # seeds per variant the procedure has asked for
        self.spent = np.zeros(trials)
        self.look = np.full((trials, m), -1)  # index of the last look judged
        self.code = np.zeros((trials, m), np.int8)  # welch verdict codes
        self.stats = np.full((trials, m, k, 5), np.nan)
        self.closed = np.zeros((trials, m), bool)  # no look can be judged any more (a look without statistics)
        self.last = np.full(m, k - 1)  # each comparison's last look the procedure may make (set before any look)

    @property
    def decided(self) -> np.ndarray:
        return self.code != 0

    @property
    def open(self) -> np.ndarray:
        """(T, m): undecided with looks left."""
        return ~self.decided & (self.look < self.last[None]) & ~self.closed

    def first_look(self) -> None:
        """Every comparison's first look is asked for, whatever the budget."""
        used = self.uses.any(axis=0)
        before = self.have.copy()
        self.have[:, used] = np.maximum(self.have[:, used], self.seeds[0])
        self.spent += self.charge(before, self.have)

    def charge(self, before: np.ndarray, after: np.ndarray) -> np.ndarray:
        """(T,) the cost of going from ``before`` to ``after`` seeds per variant (T, V): each training's new seeds
        (the most any of its variants has) at the summed cost of the variants it records."""
        trained = lambda have: np.where(self.trainings[None], have[:, None, :], 0).max(axis=2)  # noqa: E731 (T, G)
        return ((trained(after) - trained(before)) * (self.trainings * self.cost).sum(axis=1)).sum(axis=1)

    def judge(self) -> None:
        """Judge every look whose seeds were asked for and whose statistics are filled, in look order."""
        rows = np.arange(self.look.shape[0])
        for j in range(len(self.specs)):
            have = self.have[:, self.uses[j]].min(axis=1)
            while True:
                nxt = np.minimum(self.look[:, j] + 1, len(self.seeds) - 1)
                st = self.stats[rows, j, nxt]
                go = self.open[:, j] & (have >= self.seeds[nxt]) & ~np.isnan(st[:, P_VALUE])
                if not go.any():
                    break
                lv = self.levels[nxt]
                code = np.where(st[:, P_VALUE] < lv, welch.SUPPORTED_CODE,
                                np.where(st[:, P_REFUTE] < lv, welch.REFUTED_CODE, 0))
                self.look[go, j] = nxt[go]
                self.code[go, j] = code[go]

    def need(self, j: int, h) -> np.ndarray:
        """(T, V) runs comparison j still needs per variant to reach look h ((T,) or a scalar index)."""
        target = self.seeds[np.asarray(h)][..., None] if np.ndim(h) else self.seeds[h]
        return np.where(self.uses[j], np.maximum(0, target - self.have), 0)

    def priorities(self) -> tuple[np.ndarray, np.ndarray]:
        """(index (T, m), best chance (T, m)): max over later looks of P_h / cost share, and max P_h; 0 where
        closed or no look judged yet."""
        t, m = self.look.shape
        rows, k_all = np.arange(t), np.arange(len(self.seeds))
        share = np.maximum(1, (self.open[:, :, None] & self.uses[None]).sum(axis=1))  # (T, V) open users
        index, best = np.zeros((t, m)), np.zeros((t, m))
        for j, s in enumerate(self.specs):
            k = np.maximum(self.look[:, j], 0)
            st = self.stats[rows, j, k]
            p = chances(st[:, EFFECT], st[:, SD_A], np.nan_to_num(st[:, SD_B]), s.relation, s.threshold, s.margin,
                        self.seeds, self.levels, df=self.df)
            later = (k_all[None] > self.look[:, j, None]) & self.open[:, j, None] & (self.look[:, j, None] >= 0)
            p = np.where(later, np.nan_to_num(p), 0.0)
            cost = np.stack([(self.need(j, h) * self.cost / share).sum(axis=1) for h in k_all], axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                index[:, j] = np.where(later, p / np.where(cost > 0, cost, np.inf), 0.0).max(axis=1)
            best[:, j] = p.max(axis=1)
        return index, best

    def next_cost(self, j: int) -> np.ndarray:
        """(T,) the real cost of comparison j's next look (shared variants once)."""
        nxt = np.minimum(self.look[:, j] + 1, len(self.seeds) - 1)
        return self.charge(self.have, self.have + self.need(j, nxt))

    def choose(self) -> np.ndarray:
        """(T,) the comparison whose next look comes next, -1 when none is open, hopeful and affordable."""
        index, best = self.priorities()
        left = self.budget - self.spent
        ok = self.open & (best >= HOPELESS) & np.stack([self.next_cost(j) <= left + 1e-9 * self.budget
                                                        for j in range(len(self.specs))], axis=1)
        index = np.where(ok, index, -1.0)
        pick = np.argmax(index, axis=1)  # first of equal maxima: the earlier comparison
        return np.where(ok.any(axis=1), pick, -1)

    def advance(self, pick: np.ndarray) -> None:
        """Ask for the runs of each experiment's picked comparison's next look; charge their cost."""
        for j in range(len(self.specs)):
            on = pick == j
            if on.any():
                nxt = np.minimum(self.look[:, j] + 1, len(self.seeds) - 1)
                need = self.need(j, nxt)
                self.spent[on] += self.charge(self.have, self.have + need)[on]
                self.have[on] += need[on]

    def run(self) -> None:
        """The whole procedure on filled statistics (the simulation): first look, then looks while any fits."""
        self.first_look()
        self.judge()
        while (pick := self.choose()).max() >= 0:
            self.advance(pick)
            self.judge()
