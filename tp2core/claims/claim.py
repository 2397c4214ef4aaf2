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
from dataclasses import dataclass, field

import numpy as np

from . import stats
from .checks import CHECK_TYPES
from ..errors import ConfigError, require
from ..recipe import plan
from ..training.backend import BACKENDS
from ..training.precision import PRECISIONS
from .judgement import DEFAULT_EXPECTATION, ComparisonResult, Expectation, Judgement
from .metrics import LOG_METRICS, METRIC_LABELS, METRICS, UNITS, excluded_runs, metric_value, metric_values
from ..training.runs import RunResult
from ..recipe.variants import PROFILES, VARIANTS

__all__ = ["Claim", "Comparison", "ComparisonResult", "Expectation", "Judgement", "judge", "metric_value",
           "metric_values"]

MIN_RUNS = 2  # usable runs per variant needed for a spread, hence a CI
OPT_IN_PRECISIONS = tuple(p for p in PRECISIONS if p != "float32")
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

    @property
    def variants(self) -> tuple[str, ...]:
        return (self.a,) if self.b is None else (self.a, self.b)

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
    """One conclusion of the notes, as comparisons and exact checks, with per-(dataset, profile) expectations."""

    name: str  # slug id, e.g. "more-epochs-help" (pytest -k selects on it)
    statement: str  # one sentence, in English
    notes_figure: str  # the notes' numbers, e.g. "22% → 0.8%"
    comparisons: tuple[Comparison, ...] = ()
    checks: tuple = ()  # exact deterministic facts (tp2core.claims.checks), e.g. AugmentedShareCheck
    # "dataset/profile" → expectation; "dataset/profile/<backend>" or "dataset/profile/<precision>" for a
    # configuration measured to differ (another backend's initial weights, an opt-in precision's numerics)
    expect: Mapping[str, Expectation] = field(default_factory=dict)
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
        require(isinstance(self.expect, Mapping), "expect", "a mapping 'dataset/profile' → Expectation", self.expect)
        for key, value in self.expect.items():
            parts = str(key).split("/")
            require(isinstance(key, str) and len(parts) in (2, 3) and parts[0] != "" and parts[1] in PROFILES
                     and (len(parts) == 2 or parts[2] in BACKENDS + OPT_IN_PRECISIONS), "expect",
                     f"keyed 'dataset/profile', 'dataset/profile/backend' or 'dataset/profile/precision' with "
                     f"profile one of {tuple(PROFILES)}, backend one of {BACKENDS} and precision one of "
                     f"{OPT_IN_PRECISIONS}, e.g. 'simulated/quick'", key)
            require(isinstance(value, Expectation), f"expect[{key!r}]", "an Expectation", value)
        require(isinstance(self.ratios, tuple), "ratios", "a tuple of ratio names like 'steps:model4/model3'",
                self.ratios)
        for r in self.ratios:
            try:
                plan.ratio_value(r, "paper")
            except (ValueError, ConfigError) as exc:
                raise ValueError(f"'ratios' must name known ratios of known variants ({exc})") from None
        object.__setattr__(self, "expect", dict(self.expect))  # own copy: the claim stays immutable

    @property
    def variants(self) -> tuple[str, ...]:
        """Every variant the claim needs, in first-mention order."""
        return tuple(dict.fromkeys(v for c in self.comparisons for v in c.variants))

    def expectation(
        self, dataset: str, profile: str, backend: str | None = None, precision: str | None = None
    ) -> Expectation:
        """The most specific entry: the opt-in precision's, else the backend's (Keras backends draw other
        initial weights for a seed), else the (dataset, profile) entry, else "supported"."""
        for qualifier in (precision, backend):
            if qualifier is not None and f"{dataset}/{profile}/{qualifier}" in self.expect:
                return self.expect[f"{dataset}/{profile}/{qualifier}"]
        return self.expect.get(f"{dataset}/{profile}", DEFAULT_EXPECTATION)


# --- judging ---------------------------------------------------------------------------------------------------


def judge(
    claim: Claim,
    runs_by_variant: Mapping[str, list[RunResult]],
    *,
    dataset: str,
    profile: str,
    seed: int = 0,
) -> Judgement:
    """Judge ``claim`` on the runs of one (dataset, profile). ``seed`` seeds the bootstrap.

    Runs of another dataset, profile or variant than the key they are filed under are a caller bug (mixing
    them would silently compare unlike things) and raise ConfigError.
    """
    require(isinstance(claim, Claim), "claim", "a Claim", claim)
    for variant, runs in runs_by_variant.items():
        for r in runs:
            got = (r.spec.variant.name, r.spec.dataset_name, r.spec.profile)
            require(got == (variant, dataset, profile), f"runs_by_variant[{variant!r}]",
                     f"runs of ({variant!r}, {dataset!r}, {profile!r}) only", got)
    comps = tuple(_compare(c, runs_by_variant, seed) for c in claim.comparisons)
    n_train = _trained_images(runs_by_variant, profile)
    checks = tuple(ch.evaluate(n_train, recorded=_bug_counts(runs_by_variant)) for ch in claim.checks)
    verdict = stats.combine([c.verdict for c in comps] + [c.verdict for c in checks])
    backend, precision = (_only({getattr(r.spec, key) for runs in runs_by_variant.values() for r in runs})
                          for key in ("backend", "precision"))
    expected = claim.expectation(dataset, profile, backend, precision)
    key = f"{dataset}/{profile}" + (f"/{precision}" if precision in OPT_IN_PRECISIONS else "")
    sentence = _sentence(comps, checks, verdict, expected, key, profile)
    return Judgement(claim.name, claim.statement, claim.notes_figure, dataset, profile, verdict, expected,
                     comps, checks, sentence)


def _compare(c: Comparison, runs_by_variant: Mapping[str, list[RunResult]], seed: int) -> ComparisonResult:
    unit, label = UNITS[c.metric], c.describe()
    runs_a = list(runs_by_variant.get(c.a, []))
    runs_b = list(runs_by_variant.get(c.b, [])) if c.b is not None else []
    a = metric_values(runs_a, c.metric)
    b = metric_values(runs_b, c.metric) if c.b is not None else None
    excluded = tuple(excluded_runs(c.a, runs_a, c.metric) + (excluded_runs(c.b, runs_b, c.metric) if c.b else []))
    n_b = 0 if b is None else b.size
    short = [v for v, arr in ((c.a, a), (c.b, b)) if arr is not None and arr.size < MIN_RUNS]
    if short:
        parts = [f"{v}: {(a if v == c.a else b).size} of {len(runs_by_variant.get(v, []))} runs usable" for v in short]
        text = f"{label}: not measurable ({'; '.join(parts)}, need ≥ {MIN_RUNS})"
        return ComparisonResult(label, c.metric, unit, c.relation, math.nan, (-math.inf, math.inf), math.nan,
                                a.size, n_b, stats.INCONCLUSIVE, text, excluded)
    if b is not None:
        effect = stats.mean_difference(a, b)
        ci = stats.bootstrap_ci(a, b, seed=seed)
        p = stats.probability_of_improvement(a, b)
    else:
        effect = float(np.mean(a)) - c.constant
        lo, hi = stats.bootstrap_ci(a, statistic="mean", seed=seed)
        ci = (lo - c.constant, hi - c.constant)
        p = stats.probability_of_improvement(a, [c.constant])
    verdict = stats.verdict(ci, c.relation, threshold=c.threshold, margin=c.margin)
    epoch1 = None
    if c.metric == "first_layer_grad_norm" and b is not None:
        a1, b1 = metric_values(runs_a, c.metric, "epoch1"), metric_values(runs_b, c.metric, "epoch1")
        epoch1 = stats.mean_difference(a1, b1) if a1.size and b1.size else None
    text = _measured_text(c, effect, ci, p, a.size, n_b, epoch1)
    return ComparisonResult(label, c.metric, unit, c.relation, effect, ci, p, a.size, n_b, verdict, text,
                            excluded, epoch1)


def _measured_text(c: Comparison, effect: float, ci, p: float, n_a: int, n_b: int, epoch1) -> str:
    """E.g. 'model1 − model0 = −18.2 pts [95% CI −19.0, −17.3], P(A>B)=0.00 over 3+3 seeds'."""
    unit = UNITS[c.metric]
    rhs = c.b if c.b is not None else f"{_n(c.constant)} {unit}"
    prefix = "" if c.metric == "val_accuracy" else f"{METRIC_LABELS[c.metric]}: "
    ratio = f" (×{10 ** effect:.3g})" if c.metric in LOG_METRICS else ""
    unit_txt = " pts" if unit == "pts" else ""
    text = (f"{prefix}{c.a} − {rhs} = {_n(effect)}{unit_txt}{ratio} [95% CI {_n(ci[0])}, {_n(ci[1])}], "
            f"P(A>{'B' if c.b else rhs})={p:.2f} over {n_a}{'+' + str(n_b) if c.b else ''} seeds")
    if c.relation == "equivalent":
        text += f", margin ±{_n(c.margin)}{unit_txt}"
    elif c.threshold:
        text += f", threshold {_n(c.threshold)}{unit_txt}"
    if epoch1 is not None:
        text += f"; after epoch 1: {_n(epoch1)} (×{10 ** epoch1:.3g})"
    return text


def _only(values: set):
    """The one value all runs share, else None."""
    return next(iter(values)) if len(values) == 1 else None


def _sentence(comps, checks, verdict: str, expected: Expectation, key: str, profile: str) -> str:
    measured = "; ".join([c.text for c in comps] + [f"{c.label}: {c.detail}" for c in checks]) or "nothing measured"
    excluded = list(dict.fromkeys(e for c in comps for e in c.excluded))  # a run shared by comparisons counts once
    if excluded:
        measured += f" (excluded {len(excluded)} run(s): {'; '.join(excluded)})"
    if verdict == expected.verdict:
        return f"{measured} → {verdict} (expected {expected.verdict})."
    if verdict == stats.INCONCLUSIVE and any(math.isnan(c.effect) for c in comps):
        hint = ("runs failed or lack the metric; fix the failure (see the runs' `failure`) and rerun"
                if excluded else f"runs are missing; rerun so that every variant has ≥ {MIN_RUNS} seeds")
    elif verdict == stats.INCONCLUSIVE:
        seeds = max([c.n_a for c in comps] + [c.n_b for c in comps] + [2])
        more = "or the paper profile" if profile != "paper" else "(already the paper profile)"
        hint = f"try more seeds (--tp2-seeds {max(10, 2 * seeds)}) {more}"
    elif expected.verdict == stats.INCONCLUSIVE:
        hint = f"the result is clearer than expected on {key}; update the claim's expect[{key!r}]"
    else:
        hint = (f"on {key} the data point the other way ({expected.reason}); compare the variant table, "
                "check the profile's scale factors or try the paper profile")
    return f"{measured} → {verdict}, expected {expected.verdict}: {hint}."


def _trained_images(runs_by_variant: Mapping[str, list[RunResult]], profile: str) -> int:
    """Training-set size N: from a run without augmentation if any, else the profile (None = CIFAR's 50,000)."""
    for runs in runs_by_variant.values():
        for r in runs:
            if r.ok and r.spec.variant.augmentation == "none" and r.train_images > 0:
                return r.train_images
    per_class = PROFILES[profile].train_per_class if profile in PROFILES else None
    return 50_000 if per_class is None else per_class * 100


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



