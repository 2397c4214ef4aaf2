"""The figures of one claim comparison that tools read (JUnit properties, tidy exports): effect, unit, interval,
the p its verdict was decided on (and which p that is), seeds per arm — read from a ``ComparisonResult`` here
and nowhere else in the exports, so a change in how comparisons carry their verdict touches one module.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figures:
    """One comparison as plain values; None where it has no such figure (not measurable, not judged)."""

    verdict: str
    effect: float | None  # in ``unit``
    unit: str
    low: float | None  # the interval the verdict rests on
    high: float | None
    level: str | None  # the interval's confidence, e.g. "95%" or "98.4% repeated"
    p: float | None  # the p the verdict was decided on
    p_kind: str  # which p: "Holm-adjusted over 31 comparisons", "sequential: one-sided at look 2 of 4, level …"
    seeds_a: int
    seeds_b: int  # 0 against a constant

    @property
    def interval(self) -> str:
        if self.low is None:
            return "—"
        return f"[{self.low:.4g}, {self.high:.4g}] ({self.level})"

    @property
    def seeds_per_arm(self) -> str:
        return f"{self.seeds_a}+{self.seeds_b}" if self.seeds_b else f"{self.seeds_a}"


def figures(comparison) -> Figures:
    """A ``claims.judgement.ComparisonResult``'s figures: the sequential replay's last look when the comparison
    was decided by adaptive seeds, else Holm's adjusted p (or the unadjusted decision p before adjustment)."""
    c, r = comparison, comparison.result
    sequential = getattr(c, "sequential", None)
    if sequential is not None and sequential.stages:
        last = sequential.stages[-1]
        p_kind = (f"sequential: the smaller one-sided p at look {len(sequential.stages)} of {len(sequential.looks)}, "
                  f"tested at nominal level {last.level:.3g}")
        return Figures(c.verdict, last.estimate, c.unit, last.low, last.high,
                       f"{100 * (1 - 2 * last.level):.3g}% repeated", min(last.p_value, last.p_refute), p_kind,
                       sequential.seeds_used["a"], sequential.seeds_used.get("b", 0))
    if r is None:
        why = "not judged" if c.not_judged else "not measurable"
        return Figures(c.verdict, None, c.unit, None, None, None, None, why, c.n_a, c.n_b)
    if r.p_adjusted is not None:
        p, p_kind = r.p_adjusted, f"Holm-adjusted decision p over a family of {r.family_size}"
    else:
        p, p_kind = r.decision_p, "unadjusted decision p"
    return Figures(c.verdict, r.effect, c.unit, r.low, r.high, f"{round(100 * (1 - r.alpha))}%", p, p_kind,
                   c.n_a, c.n_b)
