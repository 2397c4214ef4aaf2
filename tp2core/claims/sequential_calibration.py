"""Simulated error, power and cost of the sequential design (tp2core.claims.sequential): what
scripts/calibrate_sequential.py writes into docs/statistics.md and tests/claims/test_sequential.py checks on a small
fixed-seed run. Vectorised over trials; the decisions are the code the session replays (sequential.decide on
welch.evaluate's p-values).

Units as in tp2core.claims.calibration: effects in sd_diff (√(1 + ratio²) for two arms, 1 against a constant);
arm a has sd 1, arm b sd ``ratio`` (None: a constant). Normal noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import sequential, welch

RATIOS = (1, 3, None)
EFFECTS = (0.5, 1.0, 2.0)  # power rows: sd_diff beyond the threshold (equivalence: margin, true effect 0)
THRESHOLD = 0.5  # directional boundary rows' threshold, in sd_diff
MARGINS = (0.1, 3.0)  # equivalence boundary rows' margins, in sd_diff (tiny: both ways out open; wide: worst case)
FIXED_SEARCH = 40  # fixed designs searched for equal power: 2 … this many seeds per arm


@dataclass(frozen=True)
class Outcome:
    """Shares over trials; ``seeds``: mean seeds per arm used."""

    supported: float
    refuted: float
    seeds: float


def draw(effect: float, ratio: int | None, n: int, trials: int, rng: np.random.Generator, sd_a: float = 1.0):
    """(a, b): a (trials, n) ~ N(effect, sd_a), b (trials, n) ~ N(0, ratio) or the constant 0."""
    a = effect + sd_a * rng.standard_normal((trials, n))
    return a, (0.0 if ratio is None else ratio * rng.standard_normal((trials, n)))


def p_values(a, b, relation: str, threshold: float, margin: float | None, seeds: tuple[int, ...]):
    """(p_value, p_refute), each (trials, K): compare()'s p's on the first n seeds at each look."""
    evs = [welch.evaluate(a[:, :n], b if np.ndim(b) == 0 else b[:, :n], relation, threshold=threshold,
                          margin=margin) for n in seeds]
    return np.stack([e.p_value for e in evs], -1), np.stack([e.p_refute for e in evs], -1)


def run(a, b, relation: str, threshold: float, margin: float | None, *, alpha: float = 0.05,
        seeds: tuple[int, ...] = sequential.looks(), futility: float = sequential.FUTILITY,
        corrected: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(final verdict code (trials,), seeds per arm used (trials,)) of the sequential design on simulated draws.
    ``corrected`` False tests every look at alpha/2 per side (the naive procedure the design replaces)."""
    pv, pr = p_values(a, b, relation, threshold, margin, seeds)
    levels = None if corrected else [alpha / 2] * len(seeds)
    codes, stop = sequential.decide(pv, pr, seeds, alpha, futility, levels)
    final = codes[np.arange(codes.shape[0]), stop]
    verdict = np.where(np.isin(final, (welch.SUPPORTED_CODE, welch.REFUTED_CODE)), final, 0)
    return verdict, np.asarray(seeds)[stop]


def outcome(verdict, used) -> Outcome:
    return Outcome(float(np.mean(verdict == welch.SUPPORTED_CODE)), float(np.mean(verdict == welch.REFUTED_CODE)),
                   float(np.mean(used)))


def sd_diff(ratio: int | None) -> float:
    return 1.0 if ratio is None else math.sqrt(1.0 + ratio**2)


def boundary(relation: str, ratio: int | None, *, trials: int, seed: int, margin: float = 3.0, alpha: float = 0.05,
             seeds: tuple[int, ...] = sequential.looks()) -> dict[str, Outcome]:
    """True effect on the threshold (directional, +0.5 sd_diff) or the margin: every verdict is false. One draw,
    three procedures: the design ("sequential"), the design without its futility stop ("no futility"), and every
    look at alpha/2 ("uncorrected")."""
    rng = np.random.default_rng([seed, 23, ("greater", "less", "equivalent").index(relation), ratio or 0,
                                 round(margin * 100)])
    s = sd_diff(ratio)
    thr, m = (0.0, margin * s) if relation == "equivalent" else ((THRESHOLD if relation == "greater" else -THRESHOLD)
                                                                  * s, None)
    a, b = draw(m if relation == "equivalent" else thr, ratio, seeds[-1], trials, rng)
    kw = dict(alpha=alpha, seeds=seeds)
    return {"sequential": outcome(*run(a, b, relation, thr, m, **kw)),
            "no futility": outcome(*run(a, b, relation, thr, m, futility=0.0, **kw)),
            "uncorrected": outcome(*run(a, b, relation, thr, m, corrected=False, futility=0.0, **kw))}


def fixed_power(a, b, relation: str, threshold: float, margin: float | None, correct: int, ns, alpha: float = 0.05):
    """Share of the correct verdict (code ``correct``) of the fixed design at each n in ``ns`` (same draws)."""
    return np.array([np.mean(welch.evaluate(a[:, :n], b if np.ndim(b) == 0 else b[:, :n], relation,
                                            threshold=threshold, margin=margin, alpha=alpha).verdict == correct)
                     for n in ns])


def equal_power_n(power: float, fixed: np.ndarray, ns) -> float:
    """The fixed n (interpolated) whose power equals ``power``; ns[0] when even that has more, nan past ns[-1]."""
    fixed = np.maximum.accumulate(fixed)  # Monte-Carlo wiggles: power grows with n
    if power <= fixed[0]:
        return float(ns[0])
    if power > fixed[-1]:
        return math.nan
    return float(np.interp(power, fixed, ns))


def power_row(relation: str, ratio: int | None, effect: float, *, trials: int, seed: int, alpha: float = 0.05,
              seeds: tuple[int, ...] = sequential.looks()) -> dict:
    """Truth ``effect`` sd_diff inside the claim ("greater" at 0; "equivalent": true effect 0, margin ``effect``):
    the sequential design's power and mean seeds, the fixed design's power at max_seeds, and the fixed n with the
    sequential design's power."""
    rng = np.random.default_rng([seed, 24, ("greater", "less", "equivalent").index(relation), ratio or 0,
                                 round(effect * 100)])
    s = sd_diff(ratio)
    ns = np.arange(2, FIXED_SEARCH + 1)
    truth, thr, m = (0.0, 0.0, effect * s) if relation == "equivalent" else (effect * s, 0.0, None)
    a, b = draw(truth, ratio, FIXED_SEARCH, trials, rng)
    seq = outcome(*run(a, b, relation, thr, m, alpha=alpha, seeds=seeds))
    fixed = fixed_power(a, b, relation, thr, m, welch.SUPPORTED_CODE, ns, alpha)
    return {"sequential": seq, "fixed_power": float(fixed[seeds[-1] - 2]),
            "equal_n": equal_power_n(seq.supported, fixed, ns)}


def family_error(members: list[tuple[str, int | None, int]], *, trials: int, seed: int, alpha: float = 0.05,
                 seeds: tuple[int, ...] = sequential.looks()) -> tuple[float, float]:
    """(P(any false verdict) with each member's sequential test at alpha/m, the same with each at alpha): members
    (relation, ratio, key) all on their boundary (directional threshold ±0.5 sd_diff, equivalence margin 3)."""
    m = len(members)
    any_bonf, any_raw = np.zeros(trials, bool), np.zeros(trials, bool)
    for relation, ratio, key in members:
        rng = np.random.default_rng([seed, 25, key])
        s = sd_diff(ratio)
        thr, mg = (0.0, 3.0 * s) if relation == "equivalent" else (
            (THRESHOLD if relation == "greater" else -THRESHOLD) * s, None)
        a, b = draw(mg if relation == "equivalent" else thr, ratio, seeds[-1], trials, rng)
        any_bonf |= run(a, b, relation, thr, mg, alpha=alpha / m, seeds=seeds)[0] != 0
        any_raw |= run(a, b, relation, thr, mg, alpha=alpha, seeds=seeds)[0] != 0
    return float(any_bonf.mean()), float(any_raw.mean())


@dataclass(frozen=True)
class RefComparison:
    """A catalogue comparison with its reference effect and sds taken as the truth."""

    label: str
    relation: str
    threshold: float
    margin: float | None
    effect: float  # true mean(a) - mean(b), in the metric's unit
    sd_a: float
    sd_b: float | None  # None: against a constant

    @property
    def correct(self) -> int:
        """The verdict code the truth calls for."""
        if self.relation == "equivalent":
            return welch.SUPPORTED_CODE if abs(self.effect) < self.margin else welch.REFUTED_CODE
        beyond = self.effect > self.threshold if self.relation == "greater" else self.effect < self.threshold
        return welch.SUPPORTED_CODE if beyond else welch.REFUTED_CODE

    @property
    def arms(self) -> int:
        return 1 if self.sd_b is None else 2


def cost(comparisons: list[RefComparison], *, trials: int, seed: int, alpha: float = 0.05,
         seeds: tuple[int, ...] = sequential.looks()) -> dict:
    """Effects drawn uniformly from ``comparisons`` (their reference effect and sds as the truth): the sequential
    design's mean power (correct verdict) and mean runs, the fixed n per arm whose mean power is the same, its
    runs, and the ratio. Also each comparison's own figures (``rows``)."""
    ns = np.arange(2, FIXED_SEARCH + 1)
    rows, fixed_curves = [], []
    for i, c in enumerate(comparisons):
        rng = np.random.default_rng([seed, 26, i])
        a = c.effect + c.sd_a * rng.standard_normal((trials, FIXED_SEARCH))
        b = 0.0 if c.sd_b is None else c.sd_b * rng.standard_normal((trials, FIXED_SEARCH))
        verdict, used = run(a, b, c.relation, c.threshold, c.margin, alpha=alpha, seeds=seeds)
        fixed = fixed_power(a, b, c.relation, c.threshold, c.margin, c.correct, ns, alpha)
        fixed_curves.append(fixed)
        rows.append({"comparison": c, "power": float(np.mean(verdict == c.correct)), "seeds": float(np.mean(used)),
                     "fixed_power_max": float(fixed[seeds[-1] - 2])})
    power = float(np.mean([r["power"] for r in rows]))
    arms = np.array([c.arms for c in comparisons], dtype=float)
    runs_seq = float(np.mean([r["seeds"] * c.arms for r, c in zip(rows, comparisons)]))
    n_fix = equal_power_n(power, np.mean(fixed_curves, axis=0), ns)
    runs_fix = n_fix * float(arms.mean())
    return {"rows": rows, "power": power, "runs_sequential": runs_seq, "n_fixed": n_fix, "runs_fixed": runs_fix,
            "ratio": runs_seq / runs_fix, "fixed_power_max": float(np.mean(fixed_curves, axis=0)[seeds[-1] - 2]),
            "runs_fixed_max": seeds[-1] * float(arms.mean())}


# --- the generated section of docs/statistics.md, kept when scripts/calibrate_stats.py rewrites the rest -----------
START, END = "<!-- calibrate_sequential: start -->", "<!-- calibrate_sequential: end -->"


def splice(doc: str, block: str, start: str = START, end: str = END) -> str:
    """``doc`` with its start…end block replaced by ``block`` (which includes the markers); without one, ``block``
    goes before the "## Details" section (or at the end). Markers default to this module's."""
    if start in doc and end in doc:
        return doc[: doc.index(start)] + block + doc[doc.index(end) + len(end):]
    at = doc.find("\n## Details")
    return doc.rstrip("\n") + "\n\n" + block + "\n" if at < 0 else doc[:at] + "\n" + block + "\n" + doc[at:]


def block_of(doc: str, start: str = START, end: str = END) -> str | None:
    """The start…end block of ``doc``, markers included; None without one."""
    if start in doc and end in doc:
        return doc[doc.index(start): doc.index(end) + len(end)]
    return None
