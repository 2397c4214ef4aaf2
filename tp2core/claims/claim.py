"""A claim is data: which variants it compares, on which metric, in which direction, by what
margin; ``judge`` turns the runs into a verdict and one sentence (measured, expected, what to try next).

Thresholds, margins and constants are in the metric's effect unit (tp2core.claims.metrics): accuracy in percentage
points; first-layer gradient norm and images/s as log10 ratios (-1.0 = "at least 10× smaller").
Runs with ``status != "ok"`` (or without the metric) are excluded and named; a variant left with fewer than
two usable runs makes its comparison inconclusive, since one run says nothing about seed-to-seed spread.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from . import stats
from .checks import CHECK_TYPES
from .compare import compare, judged_evaluation
from ..errors import ConfigError, require
from ..recipe import plan
from .judgement import ALPHA, ComparisonResult, Judgement
from .metrics import (ACCURACY_METRICS, LOG_METRICS, METRIC_LABELS, METRICS, UNITS, excluded_runs, metric_values,
                      resolution)
from .regime import premise_failure
from .sequential import SequentialDesign, SequentialResult, replay
from ..training.runs import RunResult
from ..recipe.variants import PROFILES, VARIANTS

__all__ = ["Claim", "Comparison", "ComparisonResult", "Judgement", "adjust_session", "judge"]

MIN_RUNS = 2  # usable runs per variant needed for a spread, hence a CI
# The learning guard (issue 21): a comparison is judged only when the variants it presumes learned did (mean
# validation accuracy ≥ 3× chance, tp2core.claims.regime.LEARNED_MULTIPLE with its reason); otherwise it is about
# the scale, not the notes: "not judged", never supported, refuted or inconclusive.
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


@dataclass(frozen=True)
class Comparison:
    """One directional comparison of a metric: variant ``a`` vs variant ``b``, or vs ``constant`` if b is None."""

    a: str  # variant name (tp2core.recipe.variants.VARIANTS)
    b: str | None  # variant name, or None to compare mean(a) with `constant`
    relation: str  # "greater" | "less" | "equivalent": how a's metric should stand against b's
    metric: str = "val_accuracy"  # one of METRICS
    threshold: float = 0.0  # effect must be beyond this ("greater"/"less"), in the metric's unit (see module doc)
    margin: float | None = None  # "equivalent" only: |effect| < margin, in the metric's unit
    constant: float | None = None  # when b is None: the value a is compared with, in the metric's unit
    label: str = ""  # short text for tables; default built from the fields
    reason: str = ""  # why this direction and threshold/margin/constant, fixed before any run (the notes, a unit)
    # The premise, fixed before any run: variants (of the claim) that must have learned — mean validation accuracy
    # ≥ LEARNED_MULTIPLE × chance — for this comparison to be judged at all. None: every variant it compares on an
    # accuracy metric; () for none (a collapse that *is* the claim, a gradient at initialisation, a throughput).
    learned: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        names = tuple(VARIANTS)
        require(self.a in names, "a", f"a variant name from {names}", self.a)
        require(self.b is None or self.b in names, "b", f"a variant name from {names} or None", self.b)
        require(self.b != self.a, "b", f"a variant other than 'a' ({self.a!r})", self.b)
        require(self.relation in stats.RELATIONS, "relation", f"one of {stats.RELATIONS}", self.relation)
        require(self.metric in METRICS, "metric", f"one of {METRICS}", self.metric)
        require(_is_number(self.threshold), "threshold", "a finite number", self.threshold)
        if self.relation == "equivalent":
            require(
                _is_number(self.margin) and self.margin > 0, "margin", "a positive number for 'equivalent'", self.margin
            )
        else:
            require(self.margin is None, "margin", "None unless relation is 'equivalent'", self.margin)
        if self.b is None:
            require(_is_number(self.constant), "constant", "a finite number when 'b' is None", self.constant)
        else:
            require(self.constant is None, "constant", "None when 'b' names a variant", self.constant)
        require(isinstance(self.label, str), "label", "a string", self.label)
        require(isinstance(self.reason, str), "reason", "a string", self.reason)
        require(self.learned is None or (isinstance(self.learned, tuple) and all(v in names for v in self.learned)),
                "learned", f"None or a tuple of variant names from {names}", self.learned)

    @property
    def variants(self) -> tuple[str, ...]:
        return (self.a,) if self.b is None else (self.a, self.b)

    @property
    def must_learn(self) -> tuple[str, ...]:
        """The variants whose learning is this comparison's premise (``learned``, resolved)."""
        if self.learned is not None:
            return self.learned
        return self.variants if self.metric in ACCURACY_METRICS else ()

    def describe(self) -> str:
        """The label, or e.g. 'model1 < model0 (val accuracy)', 'model1 < 5 pts', 'model2-bugaug ≈ model2 ±2 pts'."""
        if self.label:
            return self.label
        unit = UNITS[self.metric]
        rhs = self.b if self.b is not None else f"{_n(self.constant)} {unit}"
        op = {"greater": ">", "less": "<", "equivalent": "≈"}[self.relation]
        extra = f" ±{_n(self.margin)} {unit}" if self.relation == "equivalent" else ""
        if self.threshold and self.relation != "equivalent":
            extra = f" by {_n(self.threshold)} {unit}"
        return f"{self.a} {op} {rhs}{extra} ({self.metric})"


@dataclass(frozen=True)
class Claim:
    """One conclusion of the notes, as comparisons and exact checks: only what the notes say, fixed before any run
    (measured results belong in references/*.json)."""

    name: str  # slug id, e.g. "more-epochs-help" (pytest -k selects on it)
    statement: str  # one sentence, in English
    notes_figure: str  # the notes' numbers, e.g. "22% → 0.8%"
    comparisons: tuple[Comparison, ...] = ()
    checks: tuple = ()  # exact deterministic facts (tp2core.claims.checks), e.g. AugmentedShareCheck
    # the notes' ratios the verdict depends on (tp2core.recipe.plan), e.g. "steps:model4/model3": a profile that
    # keeps ratios judges the claim only where each is within 10% of paper's
    ratios: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        require(isinstance(self.name, str) and bool(SLUG.match(self.name)), "name",
                 "a slug of lowercase letters, digits and single hyphens, e.g. 'more-epochs-help'", self.name)
        require(isinstance(self.statement, str) and self.statement.strip() != "", "statement",
                 "a non-empty sentence", self.statement)
        require(isinstance(self.notes_figure, str), "notes_figure", "a string", self.notes_figure)
        require(isinstance(self.comparisons, tuple) and all(isinstance(c, Comparison) for c in self.comparisons),
                 "comparisons", "a tuple of Comparison values", self.comparisons)
        require(isinstance(self.checks, tuple) and all(isinstance(c, CHECK_TYPES) for c in self.checks),
                 "checks", f"a tuple of {tuple(t.__name__ for t in CHECK_TYPES)} values", self.checks)
        require(bool(self.comparisons or self.checks), "comparisons",
                 "non-empty when 'checks' is empty (a claim must measure something)", self.comparisons)
        require(isinstance(self.ratios, tuple), "ratios", "a tuple of ratio names like 'steps:model4/model3'",
                self.ratios)
        for r in self.ratios:
            try:
                plan.ratio_value(r, "paper")
            except (ValueError, ConfigError) as exc:
                raise ValueError(f"'ratios' must name known ratios of known variants ({exc})") from None

    @property
    def variants(self) -> tuple[str, ...]:
        """Every variant the claim needs (compared, or whose learning a comparison presumes), in first-mention
        order."""
        return tuple(dict.fromkeys(v for c in self.comparisons for v in (*c.variants, *c.must_learn)))


# --- judging ---------------------------------------------------------------------------------------------------


def judge(
    claim: Claim,
    runs_by_variant: Mapping[str, list[RunResult]],
    *,
    dataset: str,
    profile: str,
    family_size: int = 1,
    design: SequentialDesign | None = None,
    compared: tuple[ComparisonResult, ...] | None = None,
) -> Judgement:
    """Judge ``claim`` on the runs of one (dataset, profile), Holm over a family of ``family_size`` comparisons of
    which only this claim's have results here (the others enter with p = 1; tp2core.claims.family judges the whole
    family at once).

    With a sequential ``design`` (adaptive seeds) each comparison's verdict is the design's replay at ALPHA /
    ``family_size`` (Bonferroni over the family: tp2core.claims.sequential), look k reading only seeds below its
    seed count — estimate, spread floor, learning guard and exclusions alike — so runs added beyond look k never
    change looks ≤ k. Which runs are given at all is the design's rule (tp2core.claims.design.Design.reads).
    ``compared``: the comparisons' results already judged by a family-wide design (the budgeted one,
    tp2core.claims.budgeted); the checks and the verdict are then this function's.

    Runs of another dataset, profile or variant than the key they are filed under are a caller bug (mixing
    them would silently compare unlike things) and raise ConfigError.
    """
    require(isinstance(claim, Claim), "claim", "a Claim", claim)
    require(isinstance(family_size, int) and not isinstance(family_size, bool) and family_size >= 1,
            "family_size", "a positive int (comparisons in the family)", family_size)
    for variant, runs in runs_by_variant.items():
        for r in runs:
            got = (r.spec.variant.name, r.spec.dataset_name, r.spec.profile)
            require(got == (variant, dataset, profile), f"runs_by_variant[{variant!r}]",
                     f"runs of ({variant!r}, {dataset!r}, {profile!r}) only", got)
    comps = compared if compared is not None else tuple(
        _compare(c, runs_by_variant, design, ALPHA / family_size) for c in claim.comparisons)
    n_train = _trained_images(runs_by_variant, profile)
    recorded = _bug_counts(runs_by_variant)
    checks = tuple(ch.evaluate(n_train, recorded=recorded, augments=_bug_augments(ch, recorded, profile))
                   for ch in claim.checks)
    unadjusted = Judgement(claim.name, claim.statement, claim.notes_figure, dataset, profile, stats.INCONCLUSIVE,
                           comps, checks, "", family_size=family_size)
    return adjust_session([unadjusted], family_size=max(family_size, len(comps)))[0]


def adjust_session(judgements: list[Judgement], alpha: float = ALPHA, *, family_size: int | None = None
                   ) -> list[Judgement]:
    """Holm over every comparison of every judgement, in a family of ``family_size`` (default: the comparisons
    given): a comparison without a result (not measurable, not judged) and a family member not among these
    judgements enter with p = 1. Each judgement comes back with adjusted comparisons, its verdict (``verdict`` =
    ``holm_verdict``) and its sentence."""
    from .compare import adjust_verdicts

    total = sum(len(j.comparisons) for j in judgements)
    m = total if family_size is None else family_size
    require(isinstance(m, int) and not isinstance(m, bool) and m >= total, "family_size",
            f"an int >= the {total} comparisons given", family_size)
    family = [(i, k) for i, j in enumerate(judgements) for k, c in enumerate(j.comparisons) if c.result is not None]
    adjusted = adjust_verdicts([judgements[i].comparisons[k].result for i, k in family], alpha, family_size=m)
    new = {pos: res for pos, res in zip(family, adjusted)}
    measured = sum(c.measurable for j in judgements for c in j.comparisons)
    out = []
    for i, j in enumerate(judgements):
        comps = tuple(_with_holm(c, new[(i, k)]) if (i, k) in new else c for k, c in enumerate(j.comparisons))
        done = j.adjusted(comps, family_size=m, lacking=m - measured)
        out.append(replace(done, sentence=_sentence(done)))
    return out


def _with_holm(c: ComparisonResult, adjusted) -> ComparisonResult:
    """``c`` with its Holm-adjusted result; the seed plan only where the verdict stays inconclusive, one figure in
    every output (the result's own seeds_needed is the same plan)."""
    plan = c.seeds_needed if adjusted.verdict == stats.INCONCLUSIVE else None
    return replace(c, result=replace(adjusted, seeds_needed=plan), seeds_needed=plan)


def _compare(c: Comparison, runs_by_variant: Mapping[str, list[RunResult]], design=None,
             level: float = ALPHA) -> ComparisonResult:
    if design is not None:
        return _sequential(c, runs_by_variant, design, level)
    runs_a, runs_b = _arms(c, runs_by_variant)
    got = _measure(c, runs_by_variant, runs_a, runs_b)
    if isinstance(got, ComparisonResult):
        return got
    base, a, b, floor = got
    result = compare(a, b if b is not None else c.constant, c.relation, threshold=c.threshold, margin=c.margin,
                     alpha=ALPHA, resolution=floor)
    epoch1 = None
    if c.metric == "first_layer_grad_norm" and b is not None:
        a1, b1 = metric_values(runs_a, c.metric, "epoch1"), metric_values(runs_b, c.metric, "epoch1")
        epoch1 = float(np.mean(a1) - np.mean(b1)) if a1.size and b1.size else None
    return ComparisonResult(**base, result=result, text=_measured_text(c, result, epoch1), epoch1_effect=epoch1,
                            **_plan(c, a, b, floor, result.effect, level))


def _arms(c: Comparison, runs_by_variant) -> tuple[list, list]:
    """Arm a's and arm b's runs in seed order (b: [] against a constant)."""
    by_seed = lambda runs: sorted(runs, key=lambda r: r.spec.seed)  # noqa: E731
    return by_seed(runs_by_variant.get(c.a, [])), by_seed(runs_by_variant.get(c.b, [])) if c.b is not None else []


def _measure(c: Comparison, runs_by_variant, runs_a, runs_b):
    """(fields every result has, a's values, b's values or None, each arm's resolution) — or the ComparisonResult
    that says why there is nothing to judge (an arm with < MIN_RUNS usable runs; a premise that failed)."""
    unit, label = UNITS[c.metric], c.describe()
    a = metric_values(runs_a, c.metric)
    b = metric_values(runs_b, c.metric) if c.b is not None else None
    excluded = tuple(excluded_runs(c.a, runs_a, c.metric) + (excluded_runs(c.b, runs_b, c.metric) if c.b else []))
    base = dict(label=label, metric=c.metric, unit=unit, relation=c.relation, a=c.a, b=c.b, constant=c.constant,
                n_a=int(a.size), n_b=0 if b is None else int(b.size), excluded=excluded)
    short = [v for v, arr in ((c.a, a), (c.b, b)) if arr is not None and arr.size < MIN_RUNS]
    if short:
        parts = [f"{v}: {(a if v == c.a else b).size} of {len(runs_by_variant.get(v, []))} runs usable" for v in short]
        return ComparisonResult(**base, result=None,
                                text=f"{label}: not measurable ({'; '.join(parts)}, need ≥ {MIN_RUNS})")
    if why := premise_failure(c.must_learn, runs_by_variant):
        return ComparisonResult(**base, result=None, text=f"{label}: not judged: {why}", not_judged=why)
    # log10 metrics are already log values (tp2core.claims.metrics), so the effect is a log10 ratio
    floor = (resolution(runs_a, c.metric, a), 0.0 if b is None else resolution(runs_b, c.metric, b))
    return base, a, b, floor


def _sequential(c: Comparison, runs_by_variant, design: SequentialDesign, alpha: float) -> ComparisonResult:
    """The design's replay, look by look: look k reads only the runs of seeds below looks[k] (those of every
    variant the premise names included), and is made only once each compared arm holds every one of those seeds."""
    evaluations, looked, result = [], None, None
    for n in design.looks:
        sub = {v: [r for r in runs if r.spec.seed < n] for v, runs in runs_by_variant.items()}
        if not all({r.spec.seed for r in sub.get(v, [])} >= set(range(n)) for v in c.variants):
            break
        got = _measure(c, sub, *_arms(c, sub))
        if isinstance(got, ComparisonResult):
            return got  # not measurable, or not judged, at this look: no later look is made
        looked = got
        _base, a, b, floor = got
        evaluations.append(judged_evaluation(a, b if b is not None else c.constant, c.relation, threshold=c.threshold,
                                             margin=c.margin, alpha=ALPHA, resolution=floor)[0])
        result = replay(evaluations, design.looks, c.relation, threshold=c.threshold, margin=c.margin, alpha=alpha,
                        spending=design.spending,
                        two_arm=c.b is not None)
        if result.stopped:
            break
    if looked is None:
        empty = replay([], design.looks, c.relation, threshold=c.threshold, margin=c.margin, alpha=alpha,
                       two_arm=c.b is not None)
        return ComparisonResult(label=c.describe(), metric=c.metric, unit=UNITS[c.metric], relation=c.relation,
                                a=c.a, b=c.b, constant=c.constant, n_a=0, n_b=0, result=None, sequential=empty,
                                text=f"{c.describe()}: no look yet (needs {design.first} seeds per arm)")
    base, a, b, floor = looked
    plan = _plan(c, a, b, floor, result.stages[-1].estimate, alpha) if result.verdict == stats.INCONCLUSIVE else {}
    return ComparisonResult(**base, result=None, sequential=result, text=_sequential_text(c, result), **plan)


def _plan(c: Comparison, a, b, floor, effect: float, alpha: float) -> dict:
    """The one seed plan (ComparisonResult.seeds_needed) at ``alpha`` = ALPHA / family size, the level a verdict of
    the family is decided at: the measured effect, each arm's sd floored at its resolution and raised to its 90%
    upper bound from these seeds (welch.seeds_for_power); None without spread."""
    from .welch import seeds_for_power

    def sd(v, f):
        return max(float(np.std(v, ddof=1)) if v.size > 1 and np.ptp(v) else 0.0, f)

    sd_a, sd_b = sd(a, floor[0]), None if b is None else sd(b, floor[1])
    if sd_a == 0 and not sd_b:
        return {"seeds_needed": None, "plan_alpha": alpha}
    df = a.size - 1 if b is None else a.size + b.size - 2
    n = seeds_for_power(effect, sd_a, sd_b, c.relation, threshold=c.threshold, margin=c.margin, alpha=alpha,
                        pilot_df=df)
    return {"seeds_needed": n, "plan_alpha": alpha}


def _sequential_text(c: Comparison, s: SequentialResult) -> str:
    """E.g. 'model1 − model0 = −18.2 pts [repeated 99.7% CI …], look p … vs boundary … over 3+3 seeds; sequential:
    supported at look 1 of 4 (3 seeds per arm)'."""
    st, unit = s.stages[-1], UNITS[c.metric]
    rhs = c.b if c.b is not None else f"{_n(c.constant)} {unit}"
    prefix = "" if c.metric == "val_accuracy" else f"{METRIC_LABELS[c.metric]}: "
    unit_txt = " pts" if unit == "pts" else ""
    seeds = f"{s.seeds_used['a']}{'+' + str(s.seeds_used['b']) if c.b else ''}"
    text = (f"{prefix}{c.a} − {rhs} = {_n(st.estimate)}{unit_txt} [repeated {100 * (1 - 2 * st.level):.4g}% CI "
            f"{_n(st.low)}, {_n(st.high)}], look p = {min(st.p_value, st.p_refute):.2g} vs boundary {st.level:.2g} "
            f"over {seeds} seeds")
    if c.relation == "equivalent":
        text += f", margin ±{_n(c.margin)}{unit_txt}"
    elif c.threshold:
        text += f", threshold {_n(c.threshold)}{unit_txt}"
    return f"{text}; sequential: {_stopped(s)}"


def _measured_text(c: Comparison, r, epoch1) -> str:
    """E.g. 'model1 − model0 = −18.2 pts [95% CI −19.0, −17.3], p = 0.001 over 3+3 seeds'."""
    unit = UNITS[c.metric]
    rhs = c.b if c.b is not None else f"{_n(c.constant)} {unit}"
    prefix = "" if c.metric == "val_accuracy" else f"{METRIC_LABELS[c.metric]}: "
    ratio = f" (×{10 ** r.effect:.3g})" if c.metric in LOG_METRICS else ""
    unit_txt = " pts" if unit == "pts" else ""
    level = round(100 * (1 - r.alpha))
    text = (f"{prefix}{c.a} − {rhs} = {_n(r.effect)}{unit_txt}{ratio} [{level}% CI {_n(r.low)}, {_n(r.high)}], "
            f"p = {r.p_value:.2g} over {r.n_a}{'+' + str(r.n_b) if c.b else ''} seeds")
    if c.relation == "equivalent":
        text += f", margin ±{_n(c.margin)}{unit_txt}"
    elif c.threshold:
        text += f", threshold {_n(c.threshold)}{unit_txt}"
    if epoch1 is not None:
        text += f"; after epoch 1: {_n(epoch1)} (×{10 ** epoch1:.3g})"
    return text


def _stopped(s) -> str:
    """E.g. 'supported at look 2 (5 seeds per arm)', 'futile at look 1 (3 seeds per arm)', 'undecided at 3 …'."""
    if not s.stages:
        return f"no look yet (needs {s.next_seeds} seeds per arm)"
    n, k = s.stages[-1].seeds, len(s.stages)
    why = {"decided": s.verdict, "futile": "stopped as futile", "max seeds": "inconclusive at max seeds",
           "budget spent": "stopped", "set aside": "stopped", "guard": "stopped", "first look only": "stopped",
           "allocation not finished": "undecided so far"}
    return f"{why.get(s.stopped, 'undecided')} at look {k} of {len(s.looks)} ({n} seeds per arm)"


def _sentence(j: Judgement) -> str:
    """What was measured, what the notes said, what to try next."""
    comps, checks, verdict, m = j.comparisons, j.checks, j.verdict, j.family_size
    measured = "; ".join([c.text for c in comps] + [f"{c.label}: {c.detail}" for c in checks]) or "nothing measured"
    excluded = list(dict.fromkeys(e for c in comps for e in c.excluded))  # a run shared by comparisons counts once
    if excluded:
        measured += f" (excluded {len(excluded)} run(s): {'; '.join(excluded)})"
    level = f"α = {ALPHA:g}" + (f", Holm over the {m} comparisons the profile judges" if m > 1 else "")
    if any(c.sequential is not None for c in comps):
        level = (f"α = {ALPHA:g} over every look" + (f" and the {m} comparisons the profile judges (each at α/{m})"
                                                       if m > 1 else "")
                 + (", seeds within a budget" if any(c.budget is not None for c in comps) else ", adaptive seeds"))
    elif m > 1 and j.lacking:
        level += f" ({j.lacking} without a usable result, counted with p = 1)"
    notes = f"the notes: {j.statement[0].lower()}{j.statement[1:].rstrip('.')} ({j.notes_figure})"
    if verdict == stats.SUPPORTED:
        return f"{measured} → supported at {level}, as {notes}."
    if verdict == stats.REFUTED:
        hint = "compare the variant table, check the profile's scale factors or try the paper profile"
        return f"{measured} → refuted at {level}, against {notes}: {hint}."
    if verdict == stats.NOT_JUDGED:
        hint = "see the regime table; judge it at a scale whose models learn (quick or paper)"
        return (f"{measured} → not judged: a model it needs did not learn, so any verdict would be about the scale, "
                f"not {notes}; {hint}.")
    if any((c.budget or {}).get("n_more") for c in comps):
        return f"{measured} → inconclusive at {level} ({notes})."  # the budget's phrase says what would decide it
    return f"{measured} → inconclusive at {level} ({notes}): try {_hint(j, excluded)}."


def _hint(j: Judgement, excluded: list[str]) -> str:
    """What to try after an inconclusive verdict: fix or add runs, or a planned number of seeds."""
    more = "" if j.profile == "paper" else " or the paper profile"
    if any(not c.measurable for c in j.comparisons):
        return ("runs failed or lack the metric; fix the failure (see the runs' `failure`) and rerun" if excluded
                else f"runs are missing; rerun so that every variant has ≥ {MIN_RUNS} seeds")
    open_ = [c for c in j.comparisons if c.verdict == stats.INCONCLUSIVE]
    needed = [c.seeds_needed for c in open_]
    if needed and None not in needed:
        return (f"a new, pre-registered run with --tp2-seeds {max(needed)} (80% power at α/{j.family_size} if the "
                f"true effect is the observed one, the sd at its 90% upper bound from these seeds){more}")
    return f"more seeds{more} (no spread, or the observed effect sits at the threshold: no seed count is planned)"


def _trained_images(runs_by_variant: Mapping[str, list[RunResult]], profile: str) -> int:
    """Training-set size N: from a run without augmentation if any, else the profile (None = CIFAR's 50,000)."""
    for runs in runs_by_variant.values():
        for r in runs:
            if r.ok and r.spec.variant.augmentation == "none" and r.train_images > 0:
                return r.train_images
    per_class = PROFILES[profile].train_per_class if profile in PROFILES else None
    return 50_000 if per_class is None else per_class * 100


def _bug_augments(check, recorded: Mapping[int, int], profile: str) -> dict[int, int]:
    """batch size → images the profile's bug augments there (Profile.bug_augments; absent = one batch)."""
    prof = PROFILES.get(profile)
    sizes = {*check.batch_sizes, *recorded}
    return {b: k for b in sizes if prof is not None and (k := prof.bug_augments(b)) is not None}


def _bug_counts(runs_by_variant: Mapping[str, list[RunResult]]) -> dict[int, int]:
    """batch size → training images recorded by single-batch-bug runs (what the trainer really used)."""
    return {r.spec.variant.batch_size: r.train_images for runs in runs_by_variant.values() for r in runs
            if r.ok and r.spec.variant.augmentation == "single_batch_bug" and r.train_images > 0}


def _n(x: float | None) -> str:
    """Number for sentences: 3 significant digits, a real minus sign."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if math.isinf(x):
        return "−∞" if x < 0 else "∞"
    s = f"{x:.1f}" if abs(x) >= 10 else f"{x:#.3g}"  # '#': keep trailing zeros, -4.00 not -4
    return s.replace("-", "−")



