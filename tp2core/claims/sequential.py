"""Adaptive seeds (issue 23): a group-sequential Welch comparison that spends runs only while a comparison is
still undecided, with the error of the whole procedure — every look together — held at the fixed design's promise.

Public contract::

    sequential_compare(draw_a, draw_b, relation, *, threshold=0.0, margin=None, alpha=0.05, first=3, step=2,
                       max_seeds=10) -> SequentialResult
    sequential_decision(values_a, b, relation, *, threshold=0.0, margin=None, alpha=0.05, first=3, step=2,
                        max_seeds=10, resolution=None) -> SequentialResult     # the replay the session calls

**Design (fixed in advance).** Looks at ``first, first + step, …, max_seeds`` seeds per arm (the last look at
max_seeds). At each look the same Welch statistics as ``compare()`` (tp2core.claims.welch.evaluate: Welch t,
one-sample t against a constant, TOST for "equivalent") give the claimed side's p (``p_value``) and the refuting
side's p (``p_refute``). Each side has alpha/2 to spend over the looks — the one promise of issue 22 — spent by
the Lan–DeMets O'Brien–Fleming-type function ``f(t) = 2·(1 − Φ(z_{1−alpha/4} / √t))`` at information fraction
``t = n / max_seeds``; the nominal one-sided level of each look (``nominal_levels``) is the Gaussian group-sequential
boundary for that spending (recursive numerical integration, Armitage–McPherson–Rowe), applied to the look's t
p-value. A look says "supported" iff p_value < its level, "refuted" iff p_refute < its level; at the last look
nothing else is possible than "inconclusive" ("max seeds"). With the true effect on the threshold or margin each
false verdict, over all looks together, occurs at most alpha/2 of the time (Gaussian theory; the t p-values at
3–10 seeds are checked by simulation: scripts/calibrate_sequential.py → docs/statistics.md, "Adaptive seeds").

**Futility.** Before the last look, the comparison stops as "futile" (inconclusive) when the conditional power,
at the current trend, of either verdict by max_seeds is below ``FUTILITY`` (10%): for each side with
z = Φ⁻¹(1 − p), CP = 1 − Φ((z_last − z/√t) / √(1 − t)). The levels are computed ignoring it (non-binding in the
Gaussian theory), but at 3–10 seeds the t p-values' joint law across looks is not Gaussian, and without the stop
the total error exceeds alpha by up to about a point (Jennison & Turnbull 2000 §3.8: the significance-level
approach's small-sample excess); with it the simulated total is within alpha. So the stop is part of the design:
the session must follow it.

**Why not AdaStop** (PyPI ``adastop`` 0.1.3, Mathieu et al. 2023, a group-sequential *permutation* test for
comparing RL agents): it tests equality of two distributions (threshold 0, two-sided) — no shifted threshold, no
TOST equivalence, no arm against a constant, all of which tp2's claims need; an exact permutation test cannot
reach alpha/2 at all below 4+4 seeds (docs/statistics.md, "permutation floor"), and with alpha spent over looks
the early looks at 3–5 seeds could never decide, which is where the savings are; and its verdicts would not be the
Welch verdicts ``compare()`` reports for the same values. Writing the design is ~100 lines on welch.evaluate and
keeps one statistical rule, so tp2 writes it and depends on nothing new.

**Multiplicity.** The session runs each comparison of its family at alpha/m (Bonferroni over the m comparisons
the profile judges): each sequential test is then valid at its own level whatever the others do, shared variants
included (docs/statistics.md, "Adaptive seeds").
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from ..errors import ConfigError
from . import welch
from .compare import _check_resolution, _check_rule, _constant_or_sample, judged_evaluation
from .spending import OBRIEN_FLEMING, spent
from .spending import check as check_spending, label
from .stats import INCONCLUSIVE, REFUTED, SUPPORTED

FUTILITY = 0.10  # stop as futile when neither verdict has ≥ 10% conditional power (current trend) by max_seeds;
#                   part of the design (the error promise at 3–10 seeds relies on it: module docstring)
CONTINUE, FUTILE = "continue", "futile"  # stage decisions besides the verdicts
STOPPED = ("decided", "futile", "max seeds")  # SequentialResult.stopped; None while more looks remain
_GRID = 1201  # points of the numerical integration of the Gaussian boundaries


def looks(first: int = 3, step: int = 2, max_seeds: int = 10) -> tuple[int, ...]:
    """Seeds per arm at each look: first, first + step, … below max_seeds, then max_seeds."""
    _check_looks(first, step, max_seeds)
    return (*range(first, max_seeds, step), max_seeds)


STEP = 2  # seeds per arm added between looks when a session runs adaptively (--tp2-max-seeds)


@dataclass(frozen=True)
class SequentialDesign:
    """A session's adaptive-seed design, fixed before any run: looks at first, first + step, …, max_seeds seeds
    per arm (``first`` = the profile's seeds; ``max_seeds`` = --tp2-max-seeds)."""

    first: int
    max_seeds: int
    step: int = STEP
    spending: str = OBRIEN_FLEMING  # tp2core.claims.spending; the budgeted design (claims.budget) has its own

    def __post_init__(self) -> None:
        _check_looks(self.first, self.step, self.max_seeds)
        check_spending(self.spending)

    @property
    def looks(self) -> tuple[int, ...]:
        return looks(self.first, self.step, self.max_seeds)

    def decision(self, values_a, b, relation: str, *, threshold: float, margin, alpha: float,
                 resolution=None) -> "SequentialResult":
        return sequential_decision(values_a, b, relation, threshold=threshold, margin=margin, alpha=alpha,
                                   first=self.first, step=self.step, max_seeds=self.max_seeds, resolution=resolution,
                                   spending=self.spending)

    def to_dict(self) -> dict:
        """What results.json's meta records of the design (``adaptive_seeds``)."""
        return {"first": self.first, "step": self.step, "max_seeds": self.max_seeds, "looks": list(self.looks),
                "spending": self.spending}

    def describe(self) -> str:
        looks_ = ", ".join(map(str, self.looks))
        return f"adaptive seeds: looks at {looks_} seeds per arm ({label(self.spending)} spending)"


def adaptive_design(first: int, max_seeds: int | None, *, max_option: str = "--tp2-max-seeds",
                    seeds_option: str = "--tp2-seeds") -> SequentialDesign | None:
    """The --max-seeds rule, the one place it is stated: None for fixed seeds (``max_seeds`` None), else the design
    whose first stage is ``first`` seeds per variant (``seeds_option`` or the profile's) and whose last look is
    ``max_seeds`` — ConfigError naming the options (pytest's by default; the CLI passes its own) when
    ``max_seeds`` < ``first`` or ``first`` < 2. Used by the preflight and ``tp2 report``."""
    if max_seeds is None:
        return None
    if max_seeds < first:
        raise ConfigError(f"{max_option} {max_seeds} is below the {first} seeds of the first stage ({seeds_option} "
                          f"or the profile's); pass {max_option} {max(first + 2, 2 * first)} or more, or drop it "
                          f"for fixed seeds.")
    if first < 2:
        raise ConfigError(f"{max_option} needs a first stage of at least 2 seeds (got {seeds_option} {first}); "
                          f"pass {seeds_option} 2 or more.")
    return SequentialDesign(first=first, max_seeds=max_seeds)


def spending(t: np.ndarray, alpha_side: float) -> np.ndarray:
    """Lan–DeMets O'Brien–Fleming-type alpha spent by information fraction t (one side, total ``alpha_side``)."""
    return spent(t, alpha_side, OBRIEN_FLEMING)


@functools.lru_cache(maxsize=256)
def nominal_levels(seeds: tuple[int, ...], alpha: float, spending: str = OBRIEN_FLEMING) -> tuple[float, ...]:
    """One-sided nominal level of each look for each side (supported, refuted), alpha/2 spent per side.

    seeds: (K,) seeds per arm at the looks (increasing). Gaussian group-sequential boundaries c_k for the score
    S_k ~ N(0, n_k) with independent increments: P(S_1 < c_1, …, S_{k−1} < c_{k−1}, S_k ≥ c_k) = f(t_k) −
    f(t_{k−1}), solved look by look on a grid; the level is Φ(−c_k/√n_k). One look: alpha/2 (the fixed design).
    """
    from scipy.optimize import brentq
    from scipy.stats import norm

    n = np.asarray(seeds, dtype=float)
    spent_k = np.diff(spent(n / n[-1], alpha / 2.0, spending), prepend=0.0)
    grid = np.linspace(-10.0, 10.0, _GRID) * math.sqrt(n[-1])
    ds = grid[1] - grid[0]
    c = float(norm.isf(spent_k[0]) * math.sqrt(n[0]))
    density = norm.pdf(grid, scale=math.sqrt(n[0])) * (grid < c)  # S_1 on the paths that go on
    levels = [float(norm.sf(c / math.sqrt(n[0])))]
    for k in range(1, n.size):
        sd = math.sqrt(n[k] - n[k - 1])

        def excess(c, density=density, sd=sd, target=spent_k[k]):
            return float(np.sum(density * norm.sf((c - grid) / sd)) * ds) - target

        c = brentq(excess, grid[0], grid[-1], xtol=1e-10) if spent_k[k] > 0 else grid[-1]
        levels.append(float(norm.sf(c / math.sqrt(n[k]))))
        density = (norm.pdf((grid[:, None] - grid[None, :]) / sd) / sd) @ density * ds * (grid < c)
    return tuple(levels)


def decide(p_value: np.ndarray, p_refute: np.ndarray, seeds: tuple[int, ...], alpha: float,
           futility: float = FUTILITY, levels: Sequence[float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Stage decisions of a batch, vectorised: the one rule behind ``sequential_decision`` and the calibration.

    p_value, p_refute: (..., L) the claimed and refuting sides' p at the first L ≤ K looks; seeds: (K,) the
    design's looks. Returns (codes, stop): codes (..., L) int8 per look — welch.SUPPORTED_CODE / REFUTED_CODE,
    0 for "continue", FUTILE_CODE, INCONCLUSIVE_LAST at the last look; entries after a stop are STOPPED_CODE — and
    stop (...,) the index of the stopping look, or -1 while undecided after the L looks seen. ``levels``: the
    per-look levels to test at instead of ``nominal_levels`` (the calibration's uncorrected contrast: alpha/2 at
    every look); ``futility`` 0 never stops for futility.
    """
    from scipy.stats import norm

    p_value, p_refute = np.asarray(p_value, dtype=float), np.asarray(p_refute, dtype=float)
    last = len(seeds) - 1
    levels = np.asarray(nominal_levels(tuple(seeds), alpha) if levels is None else levels, dtype=float)
    looked = p_value.shape[-1]
    codes = np.zeros(p_value.shape, dtype=np.int8)
    stop = np.full(p_value.shape[:-1], -1)
    z_last = norm.isf(levels[-1])
    for k in range(looked):
        going = stop < 0
        sup, ref = p_value[..., k] < levels[k], p_refute[..., k] < levels[k]
        if k == last:
            other = np.full(sup.shape, INCONCLUSIVE_LAST, dtype=np.int8)
        else:
            t = seeds[k] / seeds[-1]
            z = norm.isf(np.clip(np.stack([p_value[..., k], p_refute[..., k]]), 1e-300, 1.0))
            cp = norm.sf((z_last - z / math.sqrt(t)) / math.sqrt(1.0 - t)).max(axis=0)
            other = np.where(cp < futility, FUTILE_CODE, 0).astype(np.int8)
        here = np.where(sup, welch.SUPPORTED_CODE, np.where(ref, welch.REFUTED_CODE, other)).astype(np.int8)
        codes[..., k] = np.where(going, here, STOPPED_CODE)
        stop = np.where(going & (here != 0), k, stop)
    return codes, stop


FUTILE_CODE, INCONCLUSIVE_LAST, STOPPED_CODE = 2, 3, 9  # decide()'s codes besides welch's verdict codes
_DECISION = {welch.SUPPORTED_CODE: SUPPORTED, welch.REFUTED_CODE: REFUTED, 0: CONTINUE, FUTILE_CODE: FUTILE,
             INCONCLUSIVE_LAST: INCONCLUSIVE}


@dataclass(frozen=True)
class Stage:
    """One look. Numbers are in the effect's unit unless noted."""

    seeds: int  # seeds per arm at this look (arm b's too; a constant has none)
    estimate: float  # mean(a) - mean(b), or mean(a) - the constant
    low: float  # repeated confidence interval at this look: two-sided 1 - 2·level (valid over all looks together)
    high: float
    level: float  # the boundary: nominal one-sided level each side's p is tested at on this look
    p_value: float  # the claimed side's p (compare()'s p_value on the first `seeds` seeds)
    p_refute: float  # the refuting side's p
    decision: str  # "supported" | "refuted" | "futile" | "continue" | "inconclusive" (last look)


@dataclass(frozen=True)
class SequentialResult:
    """The procedure's verdict, the seeds it used per arm and every look it made."""

    verdict: str  # "supported" | "refuted" | "inconclusive" (also while undecided: stopped is None)
    seeds_used: dict  # {"a": n, "b": n} (b: 0 against a constant)
    stages: tuple[Stage, ...]
    stopped: str | None  # "decided" | "futile" | "max seeds"; None: undecided, run to ``next_seeds`` and replay
    relation: str
    threshold: float
    margin: float | None
    alpha: float  # the level of the whole procedure (the session passes alpha / family size)
    looks: tuple[int, ...]  # the design: seeds per arm at each look

    @property
    def next_seeds(self) -> int | None:
        """Seeds per arm the next look needs; None once stopped."""
        return None if self.stopped else self.looks[len(self.stages)]

    def to_dict(self) -> dict:
        """Plain JSON types."""
        return {**asdict(self), "stages": [asdict(s) for s in self.stages], "looks": list(self.looks)}

    @classmethod
    def from_dict(cls, d: dict) -> "SequentialResult":
        return cls(**{**d, "stages": tuple(Stage(**s) for s in d["stages"]), "looks": tuple(d["looks"]),
                      "seeds_used": dict(d["seeds_used"])})


def sequential_decision(
    values_a: Sequence[float], b: Sequence[float] | float, relation: str, *, threshold: float = 0.0,
    margin: float | None = None, alpha: float = 0.05, first: int = 3, step: int = 2, max_seeds: int = 10,
    resolution: float | tuple[float, float] | None = None, spending: str = OBRIEN_FLEMING,
) -> SequentialResult:
    """Replay the design on stored per-seed values: every look whose seeds are all present, in seed order.

    values_a: (n_a,) arm a's values in seed order (any n_a ≥ 0; values past max_seeds are ignored); b: (n_b,)
    likewise, or one float (a constant). Look k uses the first looks[k] values of each arm, so extra seeds stored
    for another comparison never change this one's decision. ``stopped`` None: undecided so far, train each arm
    up to ``next_seeds`` and call again. ``resolution`` floors each arm's sd as in compare(); ``spending`` names the
    spending function (tp2core.claims.spending; default O'Brien–Fleming, issue 23's design).
    """
    design = looks(first, step, max_seeds)
    threshold, margin, alpha = _check_rule(relation, threshold, margin, alpha)
    x = _values(values_a, "values_a")
    y = _constant_or_sample(b) if np.ndim(b) == 0 or isinstance(b, (bool, np.bool_)) else _values(b, "b")
    two_arm = isinstance(y, np.ndarray)
    _check_resolution(resolution, two_arm=two_arm)
    have = min(x.size, y.size) if two_arm else x.size
    evs = [judged_evaluation(x[:n], y[:n] if two_arm else y, relation, threshold=threshold, margin=margin,
                             alpha=alpha, resolution=resolution)[0] for n in design if n <= have]
    return replay(evs, design, relation, threshold=threshold, margin=margin, alpha=alpha, two_arm=two_arm,
                  spending=spending)


def replay(evaluations: Sequence, design: tuple[int, ...], relation: str, *, threshold: float, margin, alpha: float,
           two_arm: bool, spending: str = OBRIEN_FLEMING) -> SequentialResult:
    """The design's decision from the looks made so far: ``evaluations[k]`` is look k's welch.Evaluation on the
    seeds below ``design[k]`` (compare.judged_evaluation; the caller chooses those runs, so look k never reads a
    later seed). Stops at the first look that decides, is futile or is the last."""
    from scipy.stats import t as student_t

    if not evaluations:
        return SequentialResult(INCONCLUSIVE, {"a": 0, "b": 0}, (), None, relation, threshold, margin, alpha, design)
    evs = list(evaluations)
    levels = nominal_levels(design, alpha, check_spending(spending))
    codes, _stop = decide(np.array([[float(e.p_value) for e in evs]]), np.array([[float(e.p_refute) for e in evs]]),
                          design, alpha, levels=levels)
    stages = []
    for k, (n, ev) in enumerate(zip(design, evs)):
        if codes[0, k] == STOPPED_CODE:
            break
        half = float(student_t.isf(levels[k], ev.df) * ev.se)
        stages.append(Stage(n, float(ev.effect), float(ev.effect) - half, float(ev.effect) + half, levels[k],
                            float(ev.p_value), float(ev.p_refute), _DECISION[int(codes[0, k])]))
    last = stages[-1].decision
    stopped = None if last == CONTINUE else "decided" if last in (SUPPORTED, REFUTED) else (
        "futile" if last == FUTILE else "max seeds")
    verdict = last if last in (SUPPORTED, REFUTED) else INCONCLUSIVE
    used = stages[-1].seeds
    return SequentialResult(verdict, {"a": used, "b": used if two_arm else 0}, tuple(stages), stopped, relation,
                            threshold, margin, alpha, design)


def sequential_compare(
    draw_a: Callable[[int], Sequence[float]], draw_b: Callable[[int], Sequence[float]] | float, relation: str, *,
    threshold: float = 0.0, margin: float | None = None, alpha: float = 0.05, first: int = 3, step: int = 2,
    max_seeds: int = 10,
) -> SequentialResult:
    """Run the sequential design: draw_a(k) / draw_b(k) return k new per-seed values (draw_b may be a float, a
    constant); draws up to each look, replays with ``sequential_decision`` and stops once it has stopped."""
    looks(first, step, max_seeds)
    _check_rule(relation, threshold, margin, alpha)
    if not callable(draw_a):
        raise ConfigError(f"'draw_a' must be a callable draw_a(k) returning k new per-seed values (got {draw_a!r}).")
    constant = not callable(draw_b)
    if constant:
        _constant_or_sample_number(draw_b)
    a: list[float] = []
    bs: list[float] = []
    while True:
        result = sequential_decision(a, draw_b if constant else bs, relation, threshold=threshold, margin=margin,
                                     alpha=alpha, first=first, step=step, max_seeds=max_seeds)
        if result.stopped:
            return result
        need = result.next_seeds
        a += _drawn(draw_a, need - len(a), "draw_a")
        if not constant:
            bs += _drawn(draw_b, need - len(bs), "draw_b")


def _drawn(draw: Callable, k: int, name: str) -> list[float]:
    """k new values from ``draw``, or a ConfigError naming it."""
    raw = draw(k)
    try:
        got = np.asarray(raw, dtype=float).ravel()
    except (TypeError, ValueError):
        got = None
    if got is None or np.asarray(raw).dtype.kind == "b" or got.size != k or not np.all(np.isfinite(got)):
        raise ConfigError(f"{name!r} must return {k} finite per-seed numbers when asked for {k} (got {raw!r}); "
                          "return one number per new seed, dropping failed runs.")
    return got.tolist()


def _constant_or_sample_number(b: object) -> float:
    if isinstance(b, (bool, np.bool_)) or not isinstance(b, (int, float, np.integer, np.floating)) \
            or not math.isfinite(float(b)):
        raise ConfigError(f"'draw_b' must be a callable draw_b(k) returning k new per-seed values, or one finite "
                          f"number, a constant (got {b!r}).")
    return float(b)


def _values(values: object, name: str) -> np.ndarray:
    """Per-seed values as a 1-D float array of finite numbers, any length (fewer than ``first``: no look yet)."""
    try:
        arr = None if isinstance(values, (str, bytes)) else np.asarray(values)
    except ValueError:  # ragged nesting
        arr = None
    if arr is None or arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iuf"):
        raise ConfigError(f"{name!r} must be a 1-D sequence of numbers, one per seed in seed order (got {values!r}); "
                          "pass floats, e.g. accuracies as [0.31, 0.29].")
    arr = arr.astype(float)
    if not np.all(np.isfinite(arr)):
        raise ConfigError(f"{name!r} must contain only finite numbers (got {arr.tolist()!r}); drop failed runs "
                          "before replaying.")
    return arr


def _check_looks(first: object, step: object, max_seeds: object) -> None:
    def is_int(v):
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool)

    if not (is_int(first) and first >= 2):
        raise ConfigError(f"'first' must be an int ≥ 2 (got {first!r}); one seed says nothing about seed-to-seed "
                          "spread: look first at 2 or more seeds per arm.")
    if not (is_int(step) and step >= 1):
        raise ConfigError(f"'step' must be an int ≥ 1, the seeds per arm added between looks (got {step!r}).")
    if not (is_int(max_seeds) and max_seeds >= first):
        raise ConfigError(f"'max_seeds' must be an int ≥ 'first' ({first!r}) (got {max_seeds!r}); raise max_seeds "
                          "or lower first.")
