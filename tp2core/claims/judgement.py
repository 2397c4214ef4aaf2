"""What judging a claim returns: the expectation it is held to, per-comparison measurements, the verdict and
its sentence. Plain values with a JSON round trip (``to_dict``/``from_dict``), for pytest report transport."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from . import stats
from .checks import CheckResult
from ..errors import require

DEFAULT_REASON = "the notes' conclusion (no measured expectation recorded for this dataset/profile)"


@dataclass(frozen=True)
class Expectation:
    """The verdict a claim should get on one (dataset, profile), and why."""

    verdict: str  # "supported" | "refuted" | "inconclusive"
    reason: str  # one sentence: why this verdict is expected here (measured how, when)

    def __post_init__(self) -> None:
        require(self.verdict in stats.VERDICTS, "verdict", f"one of {stats.VERDICTS}", self.verdict)
        require(isinstance(self.reason, str) and self.reason.strip() != "", "reason", "a non-empty string", self.reason)


DEFAULT_EXPECTATION = Expectation(stats.SUPPORTED, DEFAULT_REASON)


@dataclass(frozen=True)
class ComparisonResult:
    """What one comparison measured. Effects/CIs are in ``unit``; NaN/±inf mean 'not measurable'."""

    label: str
    metric: str
    unit: str
    relation: str
    effect: float  # mean(a) - mean(b), or mean(a) - constant
    ci: tuple[float, float]  # bootstrap CI of the effect (stats.bootstrap_ci)
    p_a_gt_b: float  # P(A > B) (or P(A > constant)); NaN if not measurable
    n_a: int  # usable runs of a
    n_b: int  # usable runs of b (0 when compared with a constant)
    verdict: str
    text: str  # the measured phrase used in the sentence
    excluded: tuple[str, ...] = ()  # failed / incomplete runs left out, one phrase each
    epoch1_effect: float | None = None  # grad-norm metric only: the same effect at the end of epoch 1

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update(effect=_enc(self.effect), ci=[_enc(x) for x in self.ci], p_a_gt_b=_enc(self.p_a_gt_b),
                 epoch1_effect=_enc(self.epoch1_effect), excluded=list(self.excluded))
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ComparisonResult":
        lo, hi = d["ci"]
        return cls(**{**d, "effect": _dec(d["effect"]), "ci": (_dec(lo, -math.inf), _dec(hi, math.inf)),
                      "p_a_gt_b": _dec(d["p_a_gt_b"]), "excluded": tuple(d["excluded"]),
                      "epoch1_effect": d.get("epoch1_effect")})


@dataclass(frozen=True)
class Judgement:
    """A claim's verdict on one (dataset, profile), with everything a table or report needs."""

    claim: str
    statement: str
    notes_figure: str
    dataset: str
    profile: str
    verdict: str
    expected: Expectation
    comparisons: tuple[ComparisonResult, ...]
    checks: tuple[CheckResult, ...]
    sentence: str

    @property
    def passed(self) -> bool:
        return self.verdict == self.expected.verdict

    def to_dict(self) -> dict:
        """Plain JSON types only (non-finite floats become None) for transport on pytest reports."""
        return {
            "claim": self.claim, "statement": self.statement, "notes_figure": self.notes_figure,
            "dataset": self.dataset, "profile": self.profile, "verdict": self.verdict,
            "expected": asdict(self.expected), "passed": self.passed,
            "comparisons": [c.to_dict() for c in self.comparisons],
            "checks": [c.to_dict() for c in self.checks], "sentence": self.sentence,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Judgement":
        return cls(
            claim=d["claim"], statement=d["statement"], notes_figure=d["notes_figure"], dataset=d["dataset"],
            profile=d["profile"], verdict=d["verdict"], expected=Expectation(**d["expected"]),
            comparisons=tuple(ComparisonResult.from_dict(c) for c in d["comparisons"]),
            checks=tuple(CheckResult.from_dict(c) for c in d["checks"]), sentence=d["sentence"],
        )


def _enc(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _dec(x: float | None, default: float = math.nan) -> float:
    return default if x is None else float(x)
