"""What judging a claim returns: per-comparison measurements (each keeping what it compares), the verdict and its
sentence. Typed values inside tp2; ``to_dict``/``from_dict`` only at the edges (pytest report transport,
results.json, the CLI).

Three verdicts of one claim, from strictest family to none:
- ``verdict``: the pytest outcome, each comparison judged at alpha / ``family_size`` (Bonferroni over every
  comparison of the claims collected in the session — known at collection, so a worker can decide alone);
- ``holm_verdict``: the tables' "verdict (Holm)", set by the controller once every judgement has arrived
  (``claim.adjust_session``); Holm is uniformly more powerful than Bonferroni, so it never says less;
- ``raw_verdict``: each comparison on its own at alpha (no multiplicity control), shown for reference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from . import stats
from .checks import CheckResult
from .compare import CompareResult

ALPHA = 0.05  # family-wise error of a session's verdicts (README: "How claims are judged")


@dataclass(frozen=True)
class ComparisonResult:
    """One comparison: what it compares (a, b or constant, metric) and what it measured. ``result`` is None when
    it was not measurable (an arm with fewer than two usable runs): then it stays inconclusive and outside the
    Holm family."""

    label: str
    metric: str
    unit: str
    relation: str
    a: str  # variant name
    b: str | None  # variant name, or None when compared with `constant`
    constant: float | None  # in the metric's effect unit (log10 for log metrics)
    n_a: int  # usable runs of a
    n_b: int  # usable runs of b (0 against a constant)
    result: CompareResult | None  # compare()'s result; Holm-adjusted (p_adjusted set) after adjust_session
    text: str  # the measured phrase used in the sentence
    excluded: tuple[str, ...] = ()  # failed / incomplete runs left out, one phrase each
    epoch1_effect: float | None = None  # grad-norm metric only: the same effect at the end of epoch 1
    # the unmet premise, e.g. "model3 did not learn at this scale (2.77%, chance 1%)": the comparison was not
    # tested (result None) and its verdict is "not judged"; None when every variant it needs learned
    not_judged: str | None = None

    @property
    def measurable(self) -> bool:
        return self.result is not None

    @property
    def effect(self) -> float:
        return math.nan if self.result is None else self.result.effect

    @property
    def ci(self) -> tuple[float, float]:
        return (-math.inf, math.inf) if self.result is None else (self.result.low, self.result.high)

    @property
    def raw_verdict(self) -> str:
        """On its own, at alpha (no multiplicity adjustment)."""
        return self.at_alpha(self.result.alpha) if self.result is not None else self.at_alpha(ALPHA)

    @property
    def verdict(self) -> str:
        """Holm-adjusted once the controller adjusted the session, else the raw verdict."""
        if self.not_judged is not None:
            return stats.NOT_JUDGED
        return stats.INCONCLUSIVE if self.result is None else self.result.verdict

    def at_alpha(self, alpha: float) -> str:
        if self.not_judged is not None:
            return stats.NOT_JUDGED
        return stats.INCONCLUSIVE if self.result is None else self.result.at_alpha(alpha)

    def seeds_needed(self, alpha: float) -> int | None:
        """Seeds per arm a new, pre-registered run needs for 80% power at level ``alpha`` (at the observed effect
        and spread, this claim's threshold or margin); None when undefined (tp2core.claims.welch.seeds_for_power)."""
        from .compare import POWER
        from .welch import seeds_for_power

        r = self.result
        if r is None:
            return None
        return seeds_for_power(r.effect, r.sd_a, r.sd_b, r.relation, threshold=r.threshold, margin=r.margin,
                               alpha=alpha, power=POWER)

    def to_dict(self) -> dict:
        return {"label": self.label, "metric": self.metric, "unit": self.unit, "relation": self.relation,
                "a": self.a, "b": self.b, "constant": self.constant, "n_a": self.n_a, "n_b": self.n_b,
                "result": None if self.result is None else self.result.to_dict(), "text": self.text,
                "excluded": list(self.excluded), "epoch1_effect": self.epoch1_effect, "not_judged": self.not_judged,
                "verdict": self.verdict}  # derived; for readers of results.json

    @classmethod
    def from_dict(cls, d: dict) -> "ComparisonResult":
        return cls(label=d["label"], metric=d["metric"], unit=d["unit"], relation=d["relation"], a=d["a"],
                   b=d.get("b"), constant=d.get("constant"), n_a=d["n_a"], n_b=d["n_b"],
                   result=None if d.get("result") is None else CompareResult.from_dict(d["result"]),
                   text=d["text"], excluded=tuple(d.get("excluded", ())), epoch1_effect=d.get("epoch1_effect"),
                   not_judged=d.get("not_judged"))


@dataclass(frozen=True)
class Judgement:
    """A claim's verdict on one (dataset, profile), with everything a table or report needs."""

    claim: str
    statement: str
    notes_figure: str
    dataset: str
    profile: str
    verdict: str  # the pytest outcome: comparisons at ALPHA / family_size (Bonferroni), combined with the checks
    comparisons: tuple[ComparisonResult, ...]
    checks: tuple[CheckResult, ...]
    sentence: str
    family_size: int = 1  # comparisons in the session's family (Bonferroni divisor of the pytest outcome)
    holm_verdict: str | None = None  # the table's verdict after Holm over the session (controller); None before

    @property
    def raw_verdict(self) -> str:
        """Each comparison on its own at ALPHA, combined with the checks (no multiplicity control)."""
        return stats.combine([c.raw_verdict for c in self.comparisons] + [c.verdict for c in self.checks])

    def adjusted(self, comparisons: tuple[ComparisonResult, ...]) -> "Judgement":
        """This judgement with Holm-adjusted comparisons and the claim verdict they combine to."""
        holm = stats.combine([c.verdict for c in comparisons] + [c.verdict for c in self.checks])
        return replace(self, comparisons=comparisons, holm_verdict=holm)

    def to_dict(self) -> dict:
        """Plain JSON types only, for transport on pytest reports and results.json."""
        return {
            "claim": self.claim, "statement": self.statement, "notes_figure": self.notes_figure,
            "dataset": self.dataset, "profile": self.profile, "verdict": self.verdict,
            "raw_verdict": self.raw_verdict, "holm_verdict": self.holm_verdict, "family_size": self.family_size,
            "comparisons": [c.to_dict() for c in self.comparisons],
            "checks": [c.to_dict() for c in self.checks], "sentence": self.sentence,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Judgement":
        return cls(
            claim=d["claim"], statement=d["statement"], notes_figure=d["notes_figure"], dataset=d["dataset"],
            profile=d["profile"], verdict=d["verdict"],
            comparisons=tuple(ComparisonResult.from_dict(c) for c in d["comparisons"]),
            checks=tuple(CheckResult.from_dict(c) for c in d["checks"]), sentence=d["sentence"],
            family_size=d.get("family_size", 1), holm_verdict=d.get("holm_verdict"),
        )
