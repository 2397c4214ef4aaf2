"""What a session judges, fixed before any run and recorded with its runs (issue 28): the design.

A ``Design`` is the seeds per variant of the fixed design (verdicts: Holm over the family) or the looks of the
adaptive one (first, step, max_seeds; verdicts: each comparison's sequential replay at alpha / m), with alpha.
``reads`` is the one rule for which stored runs a judgement reads — seeds 0 … ``judged_seeds`` − 1 — so a full
session, a ``-k`` session and ``tp2 report`` judge the same runs whatever else the store holds; runs beyond the
design are listed, never judged.

A session records its design in the store beside its runs (``record`` → Store.record_design), keyed by the runs'
dataset fingerprint, profile and precision, with the family it judged; ``tp2 report`` reads it back, so with no
flags it judges exactly what the session judged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..errors import ConfigError
from .judgement import ALPHA
from .sequential import STEP, SequentialDesign, adaptive_design


@dataclass(frozen=True)
class Design:
    """Fixed seeds (``max_seeds`` None) or adaptive looks at seeds, seeds + step, …, max_seeds per arm."""

    seeds: int  # fixed: seeds per variant; adaptive: seeds per arm at the first look
    max_seeds: int | None = None  # adaptive: seeds per arm at the last look (--tp2-max-seeds); None = fixed
    step: int = STEP  # adaptive: seeds per arm added between looks
    alpha: float = ALPHA  # family-wise error of the session's verdicts

    def __post_init__(self) -> None:
        if not isinstance(self.seeds, int) or isinstance(self.seeds, bool) or self.seeds < 1:
            raise ConfigError(f"'seeds' must be a positive int (got {self.seeds!r}); e.g. --tp2-seeds 3.")
        if not (isinstance(self.alpha, float) and 0 < self.alpha < 0.5):
            raise ConfigError(f"'alpha' must be a float in (0, 0.5) (got {self.alpha!r}).")
        if self.max_seeds is not None:
            self.sequential  # noqa: B018 — validates first/step/max_seeds, naming the argument

    @property
    def adaptive(self) -> bool:
        return self.max_seeds is not None

    @property
    def sequential(self) -> SequentialDesign | None:
        """The adaptive design's looks (claims.sequential), None for fixed seeds."""
        if self.max_seeds is None:
            return None
        seq = adaptive_design(self.seeds, self.max_seeds, max_option="--max-seeds", seeds_option="--seeds")
        return seq if seq.step == self.step else SequentialDesign(self.seeds, self.max_seeds, self.step)

    @property
    def judged_seeds(self) -> int:
        """Seeds per variant a judgement may read: 0 … this − 1."""
        return self.max_seeds if self.max_seeds is not None else self.seeds

    @property
    def system(self) -> str:
        """The verdict system every comparison of the session is judged by."""
        return "sequential" if self.adaptive else "Holm"

    def reads(self, runs_by_variant: Mapping[str, Iterable]) -> tuple[dict[str, list], list[str]]:
        """(runs the judgement reads, by variant; one phrase per run beyond the design, e.g. 'model0 seed 9')."""
        kept: dict[str, list] = {}
        beyond: list[str] = []
        for variant, runs in runs_by_variant.items():
            for r in runs:
                if r.spec.seed < self.judged_seeds:
                    kept.setdefault(variant, []).append(r)
                else:
                    beyond.append(f"{variant} seed {r.spec.seed}")
        return kept, sorted(beyond)

    def describe(self) -> str:
        if self.sequential is None:
            return f"fixed: {self.seeds} seeds per variant, Holm over the family at α = {self.alpha:g}"
        return f"{self.sequential.describe()}, α = {self.alpha:g} over the family (each comparison at α/m)"

    def to_dict(self) -> dict:
        out = {"kind": "adaptive" if self.adaptive else "fixed", "seeds": self.seeds, "alpha": self.alpha}
        if self.sequential is not None:
            out |= {"first": self.seeds, "step": self.step, "max_seeds": self.max_seeds,
                    "looks": list(self.sequential.looks)}
        return out

    @classmethod
    def from_dict(cls, d: Mapping) -> "Design":
        try:
            return cls(seeds=int(d["seeds"]), max_seeds=d.get("max_seeds"), step=int(d.get("step", STEP)),
                       alpha=float(d.get("alpha", ALPHA)))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"a recorded design must have 'seeds' (and 'max_seeds', 'step', 'alpha' when "
                              f"adaptive) (got {dict(d)!r}: {exc}); rerun the session to record it.") from None


def record(design: Design, *, dataset: str, fingerprint: str, profile: str, precision: str,
           family: Iterable[str]) -> dict:
    """What the store keeps of a session's judgement: the design, its key (dataset, profile, precision) and the
    family's claims (Store.record_design)."""
    return {"dataset": dataset, "fingerprint": fingerprint, "profile": profile, "precision": precision,
            "design": design.to_dict(), "family": sorted(family)}
