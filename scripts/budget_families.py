"""quick's family as calibrate_budget.py and explore_df.py simulate it (issue 29): its comparisons, their costs in
the session's cost model, and per-seed truths — measured, mixed (some moved onto their boundary) or all on the
boundary. Simulated data: the truths are quick's means and sds on simulated CIFAR-format data
(references/simulated-quick.json).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import NamedTuple

import numpy as np

from tp2core.claims import budget_calibration as bc
from tp2core.claims.metrics import CLOCK_METRICS

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "references" / "simulated-quick.json"
NULLS = {"model2": "model0", "model5": "model4", "model4-bugaug": "model4"}  # mixed family: a's mean set to b's
NULL_EQUIVALENT = "model2-bugaug"  # mixed family: its mean set to model2's + the margin (2 pts)
MEASURED, MIXED, BOUNDARY = "quick's measured effects", "mixed", "boundary"  # the families (labels: res["labels"])
_CI = (r"{a} − {b}(?: pts)? = (?P<effect>\S+)(?: pts)?(?: \([^)]*\))? \[95% CI (?P<lo>[^,\]]+), (?P<hi>[^\]]+?)\], "
       r"p = \S+ over (?P<na>\d+)(?:\+(?P<nb>\d+))? seeds")  # a comparison's figures in a reference sentence


class Quick(NamedTuple):
    comps: list  # quick's family (tp2core.claims.claim.Comparison), catalogue order
    claims: list  # the claim name of each
    costs: dict  # variant → reference CPU-s it adds (recipe.costs.record_cost)
    trainings: dict  # variant → the training recording it (recipe.costs.training)
    budget: float  # quick's default budget, CPU-s (Profile.budget)


def quick() -> Quick:
    """quick's family (tp2core.claims.family), its costs in the session's cost model and its default budget."""
    from tp2core.claims.catalog import CLAIMS
    from tp2core.claims.family import members
    from tp2core.recipe.costs import record_cost, training
    from tp2core.recipe.variants import PROFILES

    profile = PROFILES["quick"]
    pairs = [(c.name, k) for c in members(CLAIMS, profile) for k in c.comparisons]
    variants = dict.fromkeys(v for _, k in pairs for v in k.variants)
    return Quick([k for _, k in pairs], [n for n, _ in pairs], {v: record_cost(v, profile) for v in variants},
                 {v: training(v) for v in variants}, float(profile.budget))


def sentence_truth(c, sentence: str) -> tuple[float, float | None, float]:
    """(mean of a, mean of b or None, per-seed sd) of a comparison on a metric whose per-seed values the reference
    does not store, from its sentence in references/simulated-quick.json: "a − b = effect … [95% CI lo, hi], p = …
    over n_a+n_b seeds". sd = the CI's half-width / t₀.₉₇₅(df) / √(1/n_a + 1/n_b), with df = n_a + n_b − 2 (Welch's
    df for equal sds, the sds taken equal) or, against a constant, half-width / t₀.₉₇₅(n_a − 1) × √n_a; b's mean 0
    (these metrics are log10: the effect is a log ratio), a's the effect (+ the constant)."""
    from scipy.stats import t as student_t

    b = c.b if c.b else f"{c.constant:.2f}"
    got = re.search(_CI.format(a=re.escape(c.a), b=re.escape(b)), sentence)
    if got is None:
        raise SystemExit(f"no '{c.a} − {b} = … [95% CI …] … over n seeds' in the reference sentence {sentence!r}")
    num = {k: float(v.replace("−", "-")) for k, v in got.groupdict().items() if v is not None}
    half = (num["hi"] - num["lo"]) / 2
    if c.b:
        df, scale = num["na"] + num["nb"] - 2, np.sqrt(1 / num["na"] + 1 / num["nb"])
        return num["effect"], 0.0, half / student_t.ppf(0.975, df) / scale
    return c.constant + num["effect"], None, half / student_t.ppf(0.975, num["na"] - 1) * np.sqrt(num["na"])


def families(q: Quick) -> tuple[dict, dict]:
    """(family key → (family of SimComparison, truths stream → (mean, sd)), family key → its label)."""
    doc = json.loads(REFERENCE.read_text())
    ref, said = doc["variants"], doc["measured"]
    mixed_means = {v: r["mean"] for v, r in ref.items()}
    for a, b in NULLS.items():
        mixed_means[a] = mixed_means[b]
    mixed_means[NULL_EQUIVALENT] = mixed_means["model2"] + 2.0
    out = {MEASURED: [], MIXED: [], BOUNDARY: []}
    truths = {name: {} for name in out}
    for j, (c, claim) in enumerate(zip(q.comps, q.claims)):
        keys = ((c.a, c.metric), (c.b, c.metric) if c.b else c.constant)
        if c.metric == "val_accuracy":
            for v in c.variants:
                truths[MEASURED][(v, c.metric)] = (ref[v]["mean"], ref[v]["sd"])
                truths[MIXED][(v, c.metric)] = (mixed_means[v], ref[v]["sd"])
            sds = (ref[c.a]["sd"], ref[c.b]["sd"] if c.b else None)
        else:
            ma, mb, sd = sentence_truth(c, said[claim]["sentence"])
            for name in (MEASURED, MIXED):
                truths[name][keys[0]] = (ma, sd)
                if c.b:
                    truths[name][keys[1]] = (mb, sd)
            sds = (sd, sd if c.b else None)
        clock = c.metric in CLOCK_METRICS  # judged at the first look only, as the session does
        sim = bc.SimComparison(c.relation, c.threshold, c.margin, c.variants, keys, clock)
        out[MEASURED].append(sim)
        out[MIXED].append(sim)
        # at the boundary: independent streams per comparison, effect on the threshold (or the margin)
        edge = c.margin if c.relation == "equivalent" else c.threshold
        nkeys = ((j, "a"), (j, "b") if c.b else 0.0)
        truths[BOUNDARY][nkeys[0]] = (edge, sds[0])
        if c.b:
            truths[BOUNDARY][nkeys[1]] = (0.0, sds[1])
        out[BOUNDARY].append(bc.SimComparison(c.relation, c.threshold, c.margin, c.variants, nkeys, clock))
    m, nulls = len(q.comps), sum(c.correct(truths[MIXED]) is None for c in out[MIXED])
    labels = {MEASURED: MEASURED, MIXED: f"mixed: {nulls} at the boundary, {m - nulls} real",
              BOUNDARY: f"all {m} at the boundary"}
    return {name: (out[name], truths[name]) for name in out}, labels
