"""What each verdict cost (issue 29): under the budgeted design every comparison records the seeds its last look
read, the cost model's CPU-s of those runs and why it stopped (ComparisonResult.budget). One table row per
comparison, and a summary — the CPU-s of every training the verdicts read, each counted once (a training shared by
several records, or by several comparisons, once), per decided claim."""

from __future__ import annotations

from ..claims.stats import REFUTED, SUPPORTED
from ..recipe.costs import UNIT, record_cost, training
from ..recipe.variants import PROFILES

COST_ESSENTIAL = ("claim", "comparison", "verdict", "seeds", f"cost ({UNIT})", "stopped")


def cost_rows(judgements: list) -> list[dict]:
    """One row per comparison judged by the budgeted design (none under another design)."""
    return [{"claim": j.claim, "comparison": c.label, "verdict": c.verdict, "seeds": c.seeds,
             f"cost ({UNIT})": f"{c.budget['cost']:,.0f}", "stopped": c.budget["stopped"]}
            for j in judgements for c in j.comparisons if c.budget is not None]


def spent(judgements: list) -> dict | None:
    """{"spent": CPU-s of every training the verdicts read (each once), "decided": claims supported or refuted,
    "claims": claims judged, "per_decided": spent / decided (None when none is decided), "unit"}; None when no
    comparison was judged by the budgeted design."""
    seeds: dict[str, int] = {}
    for j in judgements:
        for c in j.comparisons:
            for v, n in ((c.budget or {}).get("seeds_used") or {}).items():
                seeds[v] = max(seeds.get(v, 0), int(n))
    if not seeds:
        return None
    profile = PROFILES[judgements[0].profile]
    by_training: dict[str, list[str]] = {}
    for v in seeds:
        by_training.setdefault(training(v), []).append(v)
    cost = sum(max(seeds[v] for v in vs) * sum(record_cost(v, profile) for v in vs) for vs in by_training.values())
    decided = sum(j.verdict in (SUPPORTED, REFUTED) for j in judgements)
    return {"spent": cost, "decided": decided, "claims": len(judgements),
            "per_decided": cost / decided if decided else None, "unit": UNIT}


def summary(judgements: list) -> str | None:
    """E.g. '2,080 CPU-s of the cost model read by the verdicts; 7 of 16 claims decided: 297 CPU-s per decided
    claim'."""
    s = spent(judgements)
    if s is None:
        return None
    per = f"{s['per_decided']:,.0f} {UNIT} per decided claim" if s["decided"] else "no claim decided"
    return (f"{s['spent']:,.0f} {UNIT} of the cost model read by the verdicts (each training once); "
            f"{s['decided']} of {s['claims']} claims decided: {per}")
