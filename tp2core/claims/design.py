"""What a session judges, fixed before any run and recorded with its runs (issue 28): the design.

A ``Design`` is the seeds per variant of the fixed design (verdicts: Holm over the family), the looks of the
adaptive one (first, step, max_seeds; verdicts: each comparison's sequential replay at alpha / m), or a budget
(issue 29: the budgeted design's looks, tp2core.claims.budget; which comparison gets each look is the allocation
over the whole family, replayed from the stored runs by tp2core.claims.budgeted), with alpha.
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
from ..recipe.costs import UNIT
from .budget import BudgetDesign
from .judgement import ALPHA
from .sequential import STEP, SequentialDesign, adaptive_design
from .spending import label


def check_budget(budget: object, name: str = "--tp2-budget") -> float:
    """A budget is a finite number of the cost model's CPU-seconds > 0."""
    import math

    if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not math.isfinite(budget) or budget <= 0:
        raise ConfigError(f"{name} must be a number of CPU-seconds > 0 (got {budget!r}); e.g. {name} 2100. "
                          f"Give --tp2-seeds N instead for a fixed number of seeds.")
    return float(budget)


@dataclass(frozen=True)
class Design:
    """Fixed seeds (``max_seeds`` and ``budget`` None), adaptive looks at seeds, seeds + step, …, max_seeds per
    arm, or a budget: the budgeted design's looks (``seeds`` = its first), each look of the family allocated while
    it fits ``budget`` reference CPU-seconds of the cost model (tp2core.recipe.costs)."""

    seeds: int  # fixed: seeds per variant; adaptive and budgeted: seeds per arm at the first look
    max_seeds: int | None = None  # adaptive: seeds per arm at the last look (--tp2-max-seeds); None = fixed
    step: int = STEP  # adaptive: seeds per arm added between looks
    alpha: float = ALPHA  # family-wise error of the session's verdicts
    budget: float | None = None  # budgeted: the cost model's CPU-seconds allowed (--tp2-budget); None = no budget

    def __post_init__(self) -> None:
        if not isinstance(self.seeds, int) or isinstance(self.seeds, bool) or self.seeds < 1:
            raise ConfigError(f"'seeds' must be a positive int (got {self.seeds!r}); e.g. --tp2-seeds 3.")
        if not (isinstance(self.alpha, float) and 0 < self.alpha < 0.5):
            raise ConfigError(f"'alpha' must be a float in (0, 0.5) (got {self.alpha!r}).")
        if self.max_seeds is not None:
            self.sequential  # noqa: B018 — validates first/step/max_seeds, naming the argument
        if self.budget is not None:
            check_budget(self.budget, "'budget'")
            if self.max_seeds is not None:
                raise ConfigError("'budget' and 'max_seeds' are two designs: give one (--tp2-budget spends seeds "
                                  "where they decide; --tp2-max-seeds gives every comparison the same looks).")
            if self.seeds != self.budgeted.looks[0]:
                raise ConfigError(f"a budgeted design's first look is {self.budgeted.looks[0]} seeds per arm (got "
                                  f"seeds={self.seeds}); --tp2-seeds N asks for a fixed design instead.")

    @property
    def adaptive(self) -> bool:
        return self.max_seeds is not None

    @property
    def budgeted(self) -> BudgetDesign | None:
        """The budgeted design's looks and spending (claims.budget), None unless a budget is set."""
        return None if self.budget is None else BudgetDesign()

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
        if self.budgeted is not None:
            return self.budgeted.looks[-1]
        return self.max_seeds if self.max_seeds is not None else self.seeds

    @property
    def system(self) -> str:
        """The verdict system every comparison of the session is judged by."""
        return "sequential" if self.adaptive or self.budget is not None else "Holm"

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
        if self.budgeted is not None:
            b = self.budgeted
            return (f"budgeted: looks at {', '.join(map(str, b.looks))} seeds per arm ({label(b.spending)} spending), "
                    f"each further look where it most likely decides per CPU-s, within {self.budget:,.0f} {UNIT} of "
                    f"the cost model; α = {self.alpha:g} over the family (each comparison at α/m)")
        if self.sequential is None:
            return f"fixed: {self.seeds} seeds per variant, Holm over the family at α = {self.alpha:g}"
        return f"{self.sequential.describe()}, α = {self.alpha:g} over the family (each comparison at α/m)"

    def short(self) -> str:
        """One clause for the pytest header, e.g. 'budget 2,100 CPU-s (3…20 seeds per arm)'."""
        if self.budgeted is not None:
            return f"budget {self.budget:,.0f} {UNIT} ({self.seeds}…{self.judged_seeds} seeds per arm)"
        if self.adaptive:
            return f"adaptive seeds ({self.seeds}…{self.max_seeds} per arm)"
        return f"seeds per variant: {self.seeds}"

    def to_dict(self) -> dict:
        kind = "budgeted" if self.budget is not None else "adaptive" if self.adaptive else "fixed"
        out = {"kind": kind, "seeds": self.seeds, "alpha": self.alpha}
        if self.budgeted is not None:
            out |= {"budget": self.budget, "unit": UNIT, "looks": list(self.budgeted.looks),
                    "spending": self.budgeted.spending}
        if self.sequential is not None:
            out |= {"first": self.seeds, "step": self.step, "max_seeds": self.max_seeds,
                    "looks": list(self.sequential.looks)}
        return out

    @classmethod
    def from_dict(cls, d: Mapping) -> "Design":
        try:
            budget = d.get("budget")
            return cls(seeds=int(d["seeds"]), max_seeds=d.get("max_seeds"), step=int(d.get("step", STEP)),
                       alpha=float(d.get("alpha", ALPHA)), budget=None if budget is None else float(budget))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"a recorded design must have 'seeds' (and 'max_seeds', 'step', 'alpha' when "
                              f"adaptive) (got {dict(d)!r}: {exc}); rerun the session to record it.") from None


def check_options(*, seeds: int | None, max_seeds: int | None, budget: float | None) -> None:
    """A budget is a number of CPU-s > 0, and one design only: a budget with seeds or max seeds is a usage error."""
    if budget is None:
        return
    check_budget(budget)
    if seeds is not None or max_seeds is not None:
        raise ConfigError("--tp2-budget and --tp2-seeds/--tp2-max-seeds choose different designs: give one "
                          "(--tp2-budget spends seeds where they decide; --tp2-seeds N is a fixed design).")


def chosen(profile, *, seeds: int | None = None, max_seeds: int | None = None, budget: float | None = None
           ) -> Design:
    """The design the options choose — the one rule for the session and ``tp2 report``: adaptive up to
    ``max_seeds`` when given; fixed ``seeds`` when given; else budgeted at ``budget`` or the profile's
    (Profile.budget); else the profile's fixed seeds."""
    check_options(seeds=seeds, max_seeds=max_seeds, budget=budget)
    if budget is None and seeds is None and max_seeds is None:
        budget = profile.budget
    if budget is not None:
        return Design(seeds=BudgetDesign().looks[0], budget=check_budget(budget))
    return Design(seeds=seeds or profile.seeds, max_seeds=max_seeds)


def record(design: Design, *, dataset: str, fingerprint: str, profile: str, precision: str,
           family: Iterable[str]) -> dict:
    """What the store keeps of a session's judgement: the design, its key (dataset, profile, precision) and the
    family's claims (Store.record_design)."""
    return {"dataset": dataset, "fingerprint": fingerprint, "profile": profile, "precision": precision,
            "design": design.to_dict(), "family": sorted(family)}
