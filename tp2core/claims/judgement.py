"""What judging a claim returns: per-comparison measurements (each keeping what it compares), the verdict and its
sentence. Typed values inside tp2; ``to_dict``/``from_dict`` only at the edges (pytest report transport,
results.json, the CLI).

Two verdicts of one claim:
- ``verdict``: Holm over the fixed family — every comparison of every claim the profile judges
  (tp2core.claims.family), ``family_size`` of them — decides the pytest outcome, the tables, results.json and
  ``tp2 report`` alike (issue 22); members without usable runs enter Holm with p = 1. ``holm_verdict`` is the same
  word, kept for readers of results.json and references written before;
- ``raw_verdict``: each comparison on its own at alpha (no multiplicity control), shown for reference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from . import stats
from .checks import CheckResult
from .compare import CompareResult
from .sequential import SequentialResult

ALPHA = 0.05  # family-wise error of a session's verdicts (README: "How claims are judged")


@dataclass(frozen=True)
class ComparisonResult:
    """One comparison: what it compares (a, b or constant, metric) and what it measured. ``result`` is None when
    it was not measurable (an arm with fewer than two usable runs) or not judged: then it stays inconclusive (or
    not judged) and enters the Holm family with p = 1, so it never rejects and the family stays fixed."""

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
    # adaptive seeds (--tp2-max-seeds): the sequential design's replay on these runs, whose verdict this
    # comparison's is (its alpha already divided over the family); None under the fixed design
    sequential: SequentialResult | None = None

    @property
    def measurable(self) -> bool:
        return self.result is not None

    @property
    def effect(self) -> float:
        return math.nan if self.result is None else self.result.effect

    @property
    def raw_verdict(self) -> str:
        """On its own, at alpha (no multiplicity adjustment)."""
        return self.at_alpha(self.result.alpha) if self.result is not None else self.at_alpha(ALPHA)

    @property
    def verdict(self) -> str:
        """Holm-adjusted once the controller adjusted the session, else the raw verdict."""
        if self.not_judged is not None:
            return stats.NOT_JUDGED
        if self.sequential is not None:
            return self.sequential.verdict
        return stats.INCONCLUSIVE if self.result is None else self.result.verdict

    def at_alpha(self, alpha: float) -> str:
        if self.not_judged is not None:
            return stats.NOT_JUDGED
        return stats.INCONCLUSIVE if self.result is None else self.result.at_alpha(alpha)

    def seeds_needed(self, alpha: float) -> int | None:
        """Seeds per arm a new, pre-registered run needs for 80% power at level ``alpha`` if the true effect is the
        observed one, with each arm's sd (floored at its resolution) raised to its 90% upper confidence bound from
        these seeds; None when undefined (tp2core.claims.welch.seeds_for_power)."""
        from .compare import POWER
        from .welch import seeds_for_power

        r = self.result
        if r is None or r.se == 0:
            return None
        sd_b = None if r.sd_b is None else max(r.sd_b, r.resolution[1])
        return seeds_for_power(r.effect, max(r.sd_a, r.resolution[0]), sd_b, r.relation, threshold=r.threshold,
                               margin=r.margin, alpha=alpha, power=POWER, pilot_df=r.df)

    @property
    def robust(self) -> bool | None:
        """False when the exact permutation test disagrees with a supported/refuted verdict (CompareResult.robust)."""
        return None if self.result is None else self.result.robust

    def to_dict(self) -> dict:
        return {"label": self.label, "metric": self.metric, "unit": self.unit, "relation": self.relation,
                "a": self.a, "b": self.b, "constant": self.constant, "n_a": self.n_a, "n_b": self.n_b,
                "result": None if self.result is None else self.result.to_dict(), "text": self.text,
                "excluded": list(self.excluded), "epoch1_effect": self.epoch1_effect, "not_judged": self.not_judged,
                "verdict": self.verdict, "robust": self.robust,  # verdict and robust derived; for readers
                **self._sequential_dict()}

    def _sequential_dict(self) -> dict:
        """Adaptive seeds: the replay, and its stages / seeds used / why it stopped at the top level for readers."""
        if self.sequential is None:
            return {}
        seq = self.sequential.to_dict()
        return {"sequential": seq, "stages": seq["stages"], "seeds_used": seq["seeds_used"],
                "stopped": seq["stopped"] or "undecided"}

    @classmethod
    def from_dict(cls, d: dict) -> "ComparisonResult":
        return cls(label=d["label"], metric=d["metric"], unit=d["unit"], relation=d["relation"], a=d["a"],
                   b=d.get("b"), constant=d.get("constant"), n_a=d["n_a"], n_b=d["n_b"],
                   result=None if d.get("result") is None else CompareResult.from_dict(d["result"]),
                   text=d["text"], excluded=tuple(d.get("excluded", ())), epoch1_effect=d.get("epoch1_effect"),
                   not_judged=d.get("not_judged"),
                   sequential=None if d.get("sequential") is None else SequentialResult.from_dict(d["sequential"]))


@dataclass(frozen=True)
class Judgement:
    """A claim's verdict on one (dataset, profile), with everything a table or report needs."""

    claim: str
    statement: str
    notes_figure: str
    dataset: str
    profile: str
    verdict: str  # Holm over the fixed family (comparisons) combined with the checks: pytest outcome and tables
    comparisons: tuple[ComparisonResult, ...]
    checks: tuple[CheckResult, ...]
    sentence: str
    family_size: int = 1  # comparisons in the fixed Holm family (every comparison the profile judges)
    holm_verdict: str | None = None  # = verdict once adjusted over the family (claim.adjust_session); None before
    lacking: int = 0  # family members without a usable result (no runs, not measurable, not judged): p = 1

    @property
    def raw_verdict(self) -> str:
        """Each comparison on its own at ALPHA, combined with the checks (no multiplicity control)."""
        return stats.combine([c.raw_verdict for c in self.comparisons] + [c.verdict for c in self.checks])

    def adjusted(self, comparisons: tuple[ComparisonResult, ...], family_size: int, lacking: int) -> "Judgement":
        """This judgement with Holm-adjusted comparisons and the claim verdict they combine to (sentence not
        rebuilt: tp2core.claims.claim.adjust_session does that)."""
        holm = stats.combine([c.verdict for c in comparisons] + [c.verdict for c in self.checks])
        return replace(self, comparisons=comparisons, verdict=holm, holm_verdict=holm, family_size=family_size,
                       lacking=lacking)

    def to_dict(self) -> dict:
        """Plain JSON types only, for transport on pytest reports and results.json."""
        return {
            "claim": self.claim, "statement": self.statement, "notes_figure": self.notes_figure,
            "dataset": self.dataset, "profile": self.profile, "verdict": self.verdict,
            "raw_verdict": self.raw_verdict, "holm_verdict": self.holm_verdict, "family_size": self.family_size,
            "lacking": self.lacking,
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
            family_size=d.get("family_size", 1), holm_verdict=d.get("holm_verdict"), lacking=d.get("lacking", 0),
        )
