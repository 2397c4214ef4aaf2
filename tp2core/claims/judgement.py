"""What judging a claim returns: per-comparison measurements (each keeping what it compares), the verdict and its
sentence. Typed values inside tp2; ``to_dict``/``from_dict`` only at the edges (pytest report transport,
results.json, the CLI).

One verdict system per comparison (issue 28), the session's design's (tp2core.claims.design):
- fixed seeds: ``result`` is compare()'s result, Holm-adjusted over the fixed family — every comparison of every
  claim the profile judges (tp2core.claims.family), ``family_size`` of them; members without usable runs enter
  Holm with p = 1. Its figures: the effect, the Welch interval, the Holm p, n per arm;
- adaptive seeds: ``sequential`` is the design's replay at alpha / family size, ``result`` is None. Its figures:
  the estimate at the stopping look, the repeated confidence interval there, the look's p against its boundary
  level, the seeds used.
``system``, ``estimate``, ``interval``, ``p``, ``seeds`` read whichever the comparison has, so no output shows a
figure of the other system. ``verdict`` decides the pytest outcome, the tables, results.json and ``tp2 report``
alike; ``holm_verdict`` is the same word, kept for readers of results.json and references written before;
``raw_verdict`` (fixed design only) is each comparison on its own at alpha, no multiplicity control.
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
    # comparison's is (its alpha already divided over the family); None under the fixed design (then ``result``)
    sequential: SequentialResult | None = None
    # the one seed plan (issue 28): seeds per arm a new, pre-registered fixed run needs for 80% power at
    # ``plan_alpha`` (alpha / family size: the level a verdict of this family is decided at) if the true effect is
    # the measured one, each arm's sd at its 90% upper bound; None when undefined
    seeds_needed: int | None = None
    plan_alpha: float | None = None
    # budgeted design (issue 29): what the verdict cost — seeds used per variant, ``cost`` (the cost model's
    # CPU-s of the runs it read; a training shared with other comparisons counted in each), why it stopped
    # (``stopped``), and for an undecided one what would decide it (``n_more``, ``variants``, ``cost_more``)
    budget: dict | None = None

    @property
    def measurable(self) -> bool:
        return self.result is not None or bool(self.sequential and self.sequential.stages)

    @property
    def system(self) -> str | None:
        """'Holm' (fixed seeds), 'sequential' (adaptive seeds), or None when nothing was measured."""
        return "sequential" if self.sequential is not None else "Holm" if self.result is not None else None

    @property
    def _stage(self):
        return self.sequential.stages[-1] if self.sequential is not None and self.sequential.stages else None

    @property
    def effect(self) -> float:
        """The estimate of the comparison's system: compare()'s effect, or the stopping look's estimate."""
        if self._stage is not None:
            return self._stage.estimate
        return math.nan if self.result is None else self.result.effect

    estimate = effect

    @property
    def interval(self) -> tuple[float, float, str] | None:
        """(low, high, what it is): the Welch 1 − α interval (fixed), or the repeated CI at the stopping look."""
        if self._stage is not None:
            st = self._stage
            return st.low, st.high, f"repeated {100 * (1 - 2 * st.level):.4g}% CI at look {len(self.sequential.stages)}"
        r = self.result
        return None if r is None else (r.low, r.high, f"{round(100 * (1 - r.alpha))}% CI")

    @property
    def p(self) -> tuple[float, str] | None:
        """(the p the verdict was decided on, what it is): the Holm-adjusted p (fixed), or the stopping look's
        smaller side p, tested against the look's boundary level (sequential)."""
        if self._stage is not None:
            st = self._stage
            return min(st.p_value, st.p_refute), f"look p (boundary {st.level:.2g})"
        r = self.result
        if r is None:
            return None
        return (r.p_adjusted, "Holm p") if r.p_adjusted is not None else (r.decision_p, "p")

    @property
    def seeds(self) -> str:
        """Seeds per arm the verdict read, e.g. '3+3' (against a constant: '3')."""
        if self._stage is not None:
            n_a, n_b = self.sequential.seeds_used["a"], self.sequential.seeds_used["b"]
        else:
            n_a, n_b = self.n_a, self.n_b
        return f"{n_a}+{n_b}" if self.b is not None else f"{n_a}"

    @property
    def raw_verdict(self) -> str:
        """On its own, at alpha (no multiplicity adjustment); the sequential verdict itself under adaptive seeds."""
        if self.sequential is not None:
            return self.verdict
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

    @property
    def robust(self) -> bool | None:
        """False when the exact permutation test disagrees with a supported/refuted verdict (CompareResult.robust)."""
        return None if self.result is None else self.result.robust

    def to_dict(self) -> dict:
        interval, p = self.interval, self.p
        derived = {  # for readers: the figures of the comparison's one verdict system
            "verdict": self.verdict, "robust": self.robust, "system": self.system,
            "estimate": None if self.system is None else self.estimate,
            "interval": None if interval is None else {"low": interval[0], "high": interval[1], "kind": interval[2]},
            "p": None if p is None else {"value": p[0], "kind": p[1]}, "seeds": self.seeds,
            "seeds_plan": {"seeds": self.seeds_needed, "alpha": self.plan_alpha, "power": 0.8,
                           "assumes": "the true effect is the measured one; each arm's sd at its 90% upper bound"}}
        result = None if self.result is None else self.result.to_dict()
        return {"label": self.label, "metric": self.metric, "unit": self.unit, "relation": self.relation,
                "a": self.a, "b": self.b, "constant": self.constant, "n_a": self.n_a, "n_b": self.n_b,
                "result": result, "text": self.text, "excluded": list(self.excluded),
                "epoch1_effect": self.epoch1_effect, "not_judged": self.not_judged, "seeds_needed": self.seeds_needed,
                "plan_alpha": self.plan_alpha, **derived, **self._sequential_dict(), "budget": self.budget}

    def _sequential_dict(self) -> dict:
        """Adaptive seeds: the replay, and its stages / seeds used / why it stopped at the top level for readers."""
        if self.sequential is None:
            return {}
        seq = self.sequential.to_dict()
        return {"sequential": seq, "stages": seq["stages"], "seeds_used": seq["seeds_used"],
                "stopped": (self.budget or {}).get("stopped") or seq["stopped"] or "undecided"}

    @classmethod
    def from_dict(cls, d: dict) -> "ComparisonResult":
        return cls(label=d["label"], metric=d["metric"], unit=d["unit"], relation=d["relation"], a=d["a"],
                   b=d.get("b"), constant=d.get("constant"), n_a=d["n_a"], n_b=d["n_b"],
                   result=None if d.get("result") is None else CompareResult.from_dict(d["result"]),
                   text=d["text"], excluded=tuple(d.get("excluded", ())), epoch1_effect=d.get("epoch1_effect"),
                   not_judged=d.get("not_judged"), seeds_needed=d.get("seeds_needed"),
                   plan_alpha=d.get("plan_alpha"), budget=d.get("budget"),
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
    def system(self) -> str:
        """The verdict system its comparisons were judged by: 'sequential' (adaptive seeds) or 'Holm'."""
        return "sequential" if any(c.sequential is not None for c in self.comparisons) else "Holm"

    def system_text(self) -> str:
        """E.g. 'Holm over the 16 comparisons the profile judges' or 'sequential design, each comparison at α/16'."""
        if self.system == "sequential":
            return f"sequential design over every look, each of the {self.family_size} comparisons at α/{self.family_size}"
        return f"Holm over the {self.family_size} comparison(s) the profile judges"

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
