"""Simulate the verdict rules of tp2core.claims.compare and write docs/statistics.md (issue 13, item 4).

    PYTHONPATH=. python scripts/calibrate_stats.py                       # 100,000 trials per cell, seed 0
    PYTHONPATH=. python scripts/calibrate_stats.py --trials 20000 --out /tmp/statistics.md

Normal data; every relation; 2, 3, 5, 10 seeds per arm; two arms with sds 1:1 and 1:3, or one arm against a
constant. The simulation runs the same code as compare() (tp2core.claims.welch.evaluate, via
tp2core.claims.calibration.welch_method).
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import time
from pathlib import Path

import numpy as np
import scipy

from tp2core.claims import budget_calibration as budget_cal
from tp2core.claims import calibration as cal
from tp2core.claims import permutation
from tp2core.claims import sequential_calibration as seq_cal

ROOT = Path(__file__).resolve().parent.parent


def _pct(rate: float, trials: int) -> str:
    return f"{rate:.2%} ± {cal.mc_se(rate, trials):.2%}"


def _flag(row: dict, trials: int) -> str:
    limit = row["promise"] + 3 * cal.mc_se(row["promise"], trials)
    worst = max(row["false_supported"], row["false_refuted"])
    return "ok" if worst <= row["promise"] else ("ok (within MC error)" if worst <= limit else "**above**")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100_000, help="simulated experiments per cell")
    parser.add_argument("--seed", type=int, default=0, help="seed of numpy's default_rng (per cell: [seed, cell, k])")
    parser.add_argument("--bootstrap-trials", type=int, default=1000,
                        help="experiments per cell for the old percentile bootstrap (slow: one call each)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "statistics.md")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = cal.simulate(trials=args.trials, seed=args.seed)
    extra = {
        "margins": cal.simulate(cal.MARGIN_CELLS, trials=args.trials, seed=args.seed, with_power=False),
        "families": [(f, *cal.family_error(f, trials=args.trials, seed=args.seed)) for f in cal.FAMILIES],
        "skew": cal.simulate(cal.SKEW_CELLS, trials=args.trials, seed=args.seed, with_power=False),
        "quantised": [(n, rule, *cal.quantised_rates(n, rule, trials=args.trials, seed=args.seed))
                      for n in (2, 3, 5) for rule in cal.QUANTISED_RULES],
        "plans": [(d, cal.seed_plans(d, trials=args.trials, seed=args.seed)) for d in (0.5, 1.0)],
        "skewness": reference_skewness(trials=2000, seed=args.seed),
    }
    old_cells = [c for c in cal.CELLS if c.relation == "greater" and c.sd_ratio in (1, None)]
    old_rows = cal.simulate(old_cells, trials=args.bootstrap_trials, seed=args.seed, method=cal.bootstrap_method,
                            with_power=False)
    seconds = time.perf_counter() - started
    command = "PYTHONPATH=. python scripts/calibrate_stats.py" + "".join(
        f" --{k.replace('_', '-')} {v}" for k, v in (("trials", args.trials), ("seed", args.seed),
                                                      ("bootstrap_trials", args.bootstrap_trials)))
    text = render(rows, old_rows, args, command, seconds, extra)
    old = args.out.read_text() if args.out.exists() else ""
    for start, end in ((seq_cal.START, seq_cal.END), (budget_cal.START, budget_cal.END)):  # the sections written
        if kept := seq_cal.block_of(old, start, end):  # by scripts/calibrate_sequential.py and calibrate_budget.py
            text = seq_cal.splice(text, kept, start, end)
    args.out.write_text(text)
    print(f"wrote {args.out} in {seconds:.0f} s")
    bad = cal.excesses(rows + extra["margins"], args.trials)
    print("\n".join(bad) if bad else "every false-verdict rate within its promise + 3 MC s.e.")
    return 0


def reference_skewness(*, trials: int, seed: int) -> dict:
    """Per-seed accuracies in references/*.json (``values``) of every variant with ≥ 3 seeds: their pooled-residual
    skewness, and its 90% range under each noise row at that design (the same group sizes)."""
    import json

    groups, names, files = [], [], sorted((ROOT / "references").glob("*.json"))
    for path in files:
        data = json.loads(path.read_text())
        for name, v in (data.get("variants") or {}).items():
            if isinstance(v, dict) and isinstance(v.get("values"), list) and len(v["values"]) >= 3:
                groups.append(np.asarray(v["values"], dtype=float))
                names.append(f"{path.stem}: {name}")
    design_n = int(np.median([g.size for g in groups])) if groups else 3
    sizes = [g.size for g in groups] or [3] * 30
    ranges = {k: cal.skewness_reference(k, sizes, trials=trials, seed=seed) for k in cal.NOISES}
    return {"files": [p.name for p in files], "observed": cal.pooled_skewness(groups), "ranges": ranges,
            "groups": len(groups), "with_three": sorted({n.split(":")[0] for n in names}), "design_n": design_n}


def render_extra(extra: dict, trials: int) -> list[str]:
    """The issue-22 sections: margins, families, skew, quantised accuracies, seed plans, the references' skewness."""
    return [*_margins(extra["margins"], trials), *_families(extra["families"], trials), *_skew(extra["skew"], trials),
            *_quantised(extra["quantised"], trials), *_plans(extra["plans"], trials),
            *_resemblance(extra["skewness"])]


def _section(title: str, intro: str, columns: str, aligns: str) -> list[str]:
    """A section's heading, its paragraph and its table head ('a | b' and '---: | ---')."""
    return ["", f"## {title}", "", intro, "", f"| {columns} |", f"| {aligns} |"]


def _margins(rows: list[dict], trials: int) -> list[str]:
    out = _section("Equivalence at every margin",
                   f"Normal data, {trials:,} experiments per cell; true effect on the margin (both verdicts false). The "
                   "refute side is Bonferroni over the two ways out, so a tiny margin (where both ways are open) stays "
                   "within 2.5%; a wide margin makes it conservative (about 1.25%).",
                   "design | margin (sd_diff) | seeds/arm | false supported | false refuted | any false | promise |",
                   "--- | ---: | ---: | ---: | ---: | ---: | ---: | ---")
    for r in rows:
        c = r["cell"]
        out.append(f"| {c.design} | {c.margin:g} | {c.n} | {_pct(r['false_supported'], trials)} | "
                   f"{_pct(r['false_refuted'], trials)} | {r['false_supported'] + r['false_refuted']:.2%} | "
                   f"≤ 2.5% each, 5% any | {_flag(r, trials)} |")
    return out


def _families(rows: list, trials: int) -> list[str]:
    out = _section("Families mixing directional and equivalence comparisons",
                   f"Every member on its boundary (so any verdict is false), independent, {trials:,} experiments; "
                   "Holm over decision_p, as every reader applies it over the profile's family.",
                   "family | FWER under Holm | any verdict without adjustment | promise |", "--- | ---: | ---: | ---: | ---")
    limit = 0.05 + 3 * cal.mc_se(0.05, trials)
    for f, fwer, raw in rows:
        flag = "ok" if fwer <= 0.05 else "ok (within MC error)" if fwer <= limit else "**above**"
        out.append(f"| {f.name} | {_pct(fwer, trials)} | {raw:.2%} | ≤ 5% | {flag} |")
    return out


def _skew(rows: list[dict], trials: int) -> list[str]:
    out = _section("Skewed and heavy-tailed seed noise",
                   f"\"greater\" at threshold 0.5 sd_diff, true effect on it, {trials:,} experiments; noise scaled to "
                   "mean 0, sd 1 in each arm (same shape in both arms, so with equal spreads a difference of means is "
                   "symmetric and the skew cancels; against a constant or with unequal spreads it does not).",
                   "noise | design | seeds/arm | false supported | false refuted | promise |",
                   "--- | --- | ---: | ---: | ---: | ---: | ---")
    for r in rows:
        c = r["cell"]
        out.append(f"| {c.noise} | {c.design} | {c.n} | {_pct(r['false_supported'], trials)} | "
                   f"{_pct(r['false_refuted'], trials)} | ≤ 2.5% | {_flag(r, trials)} |")
    return out + ["", "Cells **above** here are the t test's known weakness under right skew at 2–10 seeds against "
                  "a constant or an arm with a larger spread: the mean of a few skewed draws is skewed, so one tail of "
                  "t is too light. tp2 keeps t (the exact permutation test cannot reach α below 4 seeds per arm) and, "
                  "from 4 seeds per arm, marks every supported/refuted verdict whose exact permutation p is ≥ α as "
                  "`robust: false` in the tables and results.json."]


def _quantised(rows: list, trials: int) -> list[str]:
    out = _section("Quantised accuracies: the spread floor",
                   f"Both arms' true accuracy 25%, true seed sd 0.005 pts, each accuracy rounded to 0.01 pts (10,000 "
                   f"validation images), \"greater\" at 0, {trials:,} experiments. The claims floor each arm's sd at "
                   "the binomial standard error of its accuracy on the profile's validation images (here 0.43 pts).",
                   "seeds/arm | rule | false supported | false refuted", "---: | --- | ---: | ---:")
    return out + [f"| {n} | {rule} | {_pct(sup, trials)} | {_pct(ref, trials)} |" for n, rule, sup, ref in rows]


def _plans(rows: list, trials: int) -> list[str]:
    out = _section("Seed plans from a 3+3 pilot",
                   f"Normal data (sd 1), true effect d beyond threshold 0, {trials:,} pilots of 3+3 seeds of which the "
                   "inconclusive ones plan a new run for 80% power (α = 0.05). \"Delivers\": the share of plans whose "
                   "true power at the planned n is ≥ 80% (a plan aimed the wrong way, or no plan at all, does not).",
                   "true d | plan | delivers | median seeds/arm | no plan (> 1000)", "---: | --- | ---: | ---: | ---:")
    out += [f"| {d:g} | {kind} | {v['delivers']:.1%} | {v['median']:.0f} | {v['none']:.1%} |"
            for d, plans in rows for kind, v in plans.items()]
    return out + ["", "The tables plan for the observed effect with the sd at its 90% upper bound and say so (\"if the "
                  "true effect is X; sd at its 90% bound\"): the figure delivers 80% power in about 90% of pilots *when "
                  "the true effect is the one stated* (third row), and only as often as the pilot's effect is right "
                  "otherwise (second row). Before issue 22 the plan took the observed effect and sd at face value "
                  "(first row).", ""]


def _resemblance(sk: dict) -> list[str]:
    """Which noise row the references' per-seed accuracies resemble (their pooled skewness against each row's)."""
    out = ["## Which row the real data resemble", ""]
    if math.isnan(sk["observed"]):
        return out + [f"references/ ({', '.join(sk['files'])}) hold no variant with per-seed values of ≥ 3 seeds, so "
                      "the pooled skewness of per-seed accuracies is not measurable from them (rerun this script after "
                      "`--tp2-update-references` has stored a profile with ≥ 3 seeds)."]
    ranges = "; ".join(f"{k}: {lo:.2f} to {hi:.2f}" for k, (lo, hi) in sk["ranges"].items())
    like = [k for k, (lo, hi) in sk["ranges"].items() if lo <= sk["observed"] <= hi] or ["none of the rows"]
    reading = (": so few seeds cannot tell these apart, so read quick's verdicts against the most skewed of them — the "
               "lognormal rows' excesses (against a constant, or with unequal spreads, at 2–5 seeds) may apply; from 4 "
               "seeds per arm the permutation cross-check (`robust: false`) flags a verdict they would change."
               if len(like) > 1 else ": the rows of that noise above apply to quick's verdicts.")
    return out + [f"references/ store each variant's per-seed validation accuracies (`values`). Pooled over the "
                  f"{sk['groups']} variants with ≥ 3 seeds ({', '.join(sk['with_three'])}), the skewness of the "
                  f"within-variant residuals is **{sk['observed']:.2f}**. At that design ({sk['groups']} variants × "
                  f"{sk['design_n']} seeds) the statistic falls, 90% of the time, in: {ranges}. The real data resemble "
                  f"**{', '.join(like)}**{reading} Smoke references (2 seeds a variant, accuracies at chance, quantised "
                  "to 0.2 pts on 500 images) give no skewness; they are the quantised-accuracy row, which the floor "
                  "covers."]


def render(rows, old_rows, args, command: str, seconds: float, extra: dict) -> str:
    d = ", ".join(f"{x:g}" for x in cal.DISTANCES)
    out = [
        "# How tp2 judges a comparison, and how often it is wrong",
        "",
        f"*Generated by `{command}` ({seconds:.0f} s on {platform.machine()}, Python "
        f"{platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}). Do not edit by hand: "
        "rerun the command.*",
        "",
        "**What a verdict promises (one promise, every relation).** Each comparison is judged with a Welch t "
        "interval of the difference of means (a one-sample t interval against a constant). \"greater\"/\"less\": the "
        "95% interval must lie entirely beyond the threshold for \"supported\", entirely on the other side for "
        "\"refuted\". \"equivalent\": the 95% interval must lie inside ±margin for \"supported\" (TOST at 2.5%), the "
        "97.5% interval wholly outside it for \"refuted\" (the two ways out share 2.5%). With the true effect on the "
        "threshold or margin, each false verdict occurs at most 2.5% of the time and any false verdict at most 5%. "
        "`decision_p` = 2·min(p_value, p_refute) is below α exactly when a verdict is reached; Holm over the "
        "decision_p of every comparison the profile judges — one fixed family for the pytest outcome, the tables, "
        "results.json and `tp2 report` — keeps the chance of any false verdict in the family ≤ 5%. No verdict "
        "rests on zero spread: each arm's sd is floored at the metric's resolution (accuracies: the binomial "
        "standard error on the validation images), and with no spread at all the comparison is inconclusive "
        "with the reason. The promise assumes independent seeds and roughly normal seed-to-seed noise; the "
        "tables below show where it holds at 2–10 seeds, at every margin, in mixed families, and under skewed noise.",
        "",
        "## False verdicts at the boundary, and power",
        "",
        f"Normal data, {args.trials:,} simulated experiments per cell (seed {args.seed}); `± x` is one Monte-Carlo "
        "standard error. Effects are in units of sd_diff, the sd of one seed's difference (√(1 + ratio²) for two "
        f"arms, 1 against a constant). Directional threshold: ±{cal.THRESHOLD:g} sd_diff (\"greater\" +, "
        f"\"less\" −); boundary = true effect on the threshold. Equivalence boundary: true effect = margin = "
        f"{cal.BOUNDARY_MARGIN:g} sd_diff (a wide margin is the worst case). Power = share \"supported\" when the "
        f"true effect is {d} sd_diff beyond the threshold in the claimed direction, or, for equivalence, when it is "
        f"0 and the margin is {d} sd_diff. *ok (within MC error)*: above the promise by less than 3 standard "
        "errors of the promise.",
        "",
        "| relation | design | seeds/arm | false supported | false refuted | promise | "
        + " | ".join(f"power at {x:g}" for x in cal.DISTANCES) + " | |",
        "| --- | --- | ---: | ---: | ---: | ---: | " + " | ".join("---:" for _ in cal.DISTANCES) + " | --- |",
    ]
    for r in rows:
        c = r["cell"]
        out.append(f"| {c.relation} | {c.design} | {c.n} | {_pct(r['false_supported'], args.trials)} | "
                   f"{_pct(r['false_refuted'], args.trials)} | ≤ {r['promise']:.1%} | "
                   + " | ".join(f"{p:.1%}" for p in r["power"]) + f" | {_flag(r, args.trials)} |")
    flagged = [f"{r['cell'].relation}, {r['cell'].design}, {r['cell'].n} seeds"
               for r in rows if _flag(r, args.trials) == "**above**"]
    out += [
        "",
        "Cells **above** their promise by more than 3 standard errors: "
        + ("; ".join(flagged) if flagged else "none") + ". "
        "Welch's t is an approximation (the Welch–Satterthwaite df): with unequal spreads at 3–5 seeds its "
        "one-sided error can be a few tenths of a point above 2.5% (about 3% at sd ratios 5–10 in spot checks), "
        "and TOST inherits it. With equal spreads it is conservative at 2–3 seeds, which costs power. The "
        "exactly conservative alternative (Hsu: the same interval with df = min(n_a, n_b) − 1) roughly halves "
        "the power at 2–3 seeds, so tp2 keeps Welch and shows the excess here.",
        "",
        "## The old rule, for contrast: percentile bootstrap",
        "",
        f"`tp2core.claims.stats.bootstrap_ci` (percentile, 999 resamples), same cells and verdict rule, "
        f"{args.bootstrap_trials:,} experiments per cell:",
        "",
        "| relation | design | seeds/arm | false supported | false refuted | promise | |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in old_rows:
        c = r["cell"]
        out.append(f"| {c.relation} | {c.design} | {c.n} | {_pct(r['false_supported'], args.bootstrap_trials)} | "
                   f"{_pct(r['false_refuted'], args.bootstrap_trials)} | ≤ {r['promise']:.1%} | "
                   f"{_flag(r, args.bootstrap_trials)} |")
    out += ["", "## How few seeds can say anything: the exact permutation floor", "",
            "Every two-arm comparison also reports its exact permutation p (`permutation_p`, on decision_p's "
            "scale): directional claims test \"a − threshold and b are exchangeable\" two-sided; equivalence doubles "
            "the smaller of the permutation TOST p and the permutation p of lying outside ±margin. With n_a + n_b seeds there are C(n_a + n_b, n_a) splits, so p can "
            "never go below the floor below (`min_permutation_p`); where the floor is above α = 0.05, no data can "
            "make the permutation test significant, and a t verdict at that n rests on the normal model alone.",
            "", "| seeds/arm | splits | floor (every relation) | can reach 0.05 |", "| ---: | ---: | ---: | --- |"]
    for n in range(2, 11):
        two = permutation.min_pvalue(n, n, sides=2)
        out.append(f"| {n} | {math.comb(2 * n, n):,} | {two:.3g} | {'yes' if two <= 0.05 else 'no'} |")
    out += render_extra(extra, args.trials)
    out += ["", "## Details", "", *DETAILS]
    return "\n".join(out) + "\n"


DETAILS = [
    "- **API.** `tp2core.claims.compare(a, b, relation, *, threshold=0.0, margin=None, alpha=0.05, resolution=None)`; "
    "`a` per-seed values (≥ 2), `b` per-seed values (≥ 2) or one number; `resolution` floors each arm's sd (one "
    "number or one per arm). Booleans, strings and values whose variance overflows raise ValueError naming the "
    "argument; no result holds a NaN. Log-ratio metrics (gradient norms, images/s) are passed as log10 values.",
    "- **p-values.** `p_value`: the claimed side (H0 effect ≤ threshold for \"greater\", ≥ for \"less\"; the TOST p "
    "for \"equivalent\"); `p_refute`: the other side (for \"equivalent\" 2·min of the one-sided p's of lying above "
    "+margin or below −margin). Supported ⇔ p_value < α/2, refuted ⇔ p_refute < α/2, every relation; "
    "`decision_p` = 2·min(p_value, p_refute).",
    "- **Multiplicity.** The family is every comparison of every claim the profile judges "
    "(`tp2core.claims.family`), fixed by the catalogue and the profile — never by `-k` or by which runs are "
    "stored. Holm runs over its decision_p's; a member without a usable result (no runs, too few, a premise that "
    "failed) enters with p = 1. The claim test judges the whole family from the store (the collected claims' runs "
    "trained or waited for first), so a full run, a `-k` run and `tp2 report` on one store give the same verdicts "
    "(tests/test_family_readers.py). Holm bounds the chance of any verdict on a comparison whose true effect is on "
    "its boundary; for sign errors its control is established for independent comparisons (Shaffer 1980).",
    "- **Zero spread.** A comparison with no seed-to-seed spread left (every seed identical, no resolution given) "
    "reaches no verdict: p_value = p_refute = 1 and `spread_note` says why. Accuracy comparisons floor each arm's "
    "sd at the binomial standard error of its mean accuracy on the profile's validation images (smoke: 500, "
    "quick: 5,000, paper: 10,000; fewer with a class subset).",
    "- **Robustness.** From 4 seeds per arm the exact permutation test can reach α; a supported/refuted verdict whose "
    "permutation p is ≥ α is marked `robust: false` (results.json) and \"disagrees\" (tables).",
    "- **Seeds needed.** For an inconclusive comparison: seeds per arm for 80% power at α/m (m = the family) if the "
    "true effect is the observed one, with each arm's sd (floored) raised to its one-sided 90% upper confidence "
    "bound (χ² with the pilot's Welch df). Tables state the effect the figure assumes. Noncentral t with the "
    "Welch–Satterthwaite df at equal n (TOST: the Bonferroni lower bound of its power). None when there is no "
    "spread, the effect sits exactly on the threshold/margin, or more than 1000 seeds would be needed.",
]

if __name__ == "__main__":
    sys.exit(main())
