"""Error control of the budgeted design under three df rules of the two-arm t test (issue 29 exploration).

    PYTHONPATH=. python scripts/explore_df.py                       # 3,000 trials per cell (6,000 per null row)
    PYTHONPATH=. python scripts/explore_df.py --rows boundary       # only the "all at the boundary" rows
    PYTHONPATH=. python scripts/explore_df.py --rechoose hsu        # calibrate_budget's spending choice, Hsu df

Prints a markdown table; writes nothing into docs/ (the budgeted design's defaults are unchanged: this measures
what a df rule would cost before anyone changes one). Same simulation, seeds, families and costs as
scripts/calibrate_budget.py (scripts/budget_families.py: quick's 19 comparisons, the session's cost model), so its
"welch" and "hsu" rows at 2× reproduce that script's figures in docs/statistics.md. For
the chosen design (tp2core.claims.budget: looks LOOKS, spending SPENDING), with the df rule applied to every
look's p-values *and* to the allocation's chance estimates (allocation.chances): welch.degrees_of_freedom —

- welch: Welch–Satterthwaite (today's rule);
- hsu: min(n_a, n_b) − 1, conservative for every sd ratio;
- ratio-bound: Welch–Satterthwaite at the least favourable variance ratio of its 80% confidence interval
  (90% each end, welch.SD_CONFIDENCE, the confidence seed plans already bound an sd with).

Simulated data: normal per-seed values (calibrate_budget's families; quick's measured means and sds from
references/simulated-quick.json, itself measured on simulated CIFAR-format data). One process, one core.
--rows boundary: only the "all at the boundary" rows (faster).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import calibrate_budget as cb  # noqa: E402  (the script beside this one: its families, levels and summaries)
from budget_families import BOUNDARY, MEASURED, MIXED  # noqa: E402

from tp2core.claims import budget  # noqa: E402
from tp2core.claims import budget_calibration as bc  # noqa: E402
from tp2core.claims.calibration import mc_se  # noqa: E402
from tp2core.claims.welch import DF_RULES  # noqa: E402

MEASURED_BUDGETS = (1.0, 1.5, 2.0)


def setup(rows: str):
    """(quick's family and costs, the families, their labels); ``rows`` kept for the command line's sake (every
    metric of quick's family has a truth now: budget_families.sentence_truth)."""
    q = cb.quick()
    fams, labels = cb.families(q)
    return q, fams, labels


def null_rows(rule: str, fam, truths, q, first: float, lv, data, boundary: bool) -> dict:
    st = bc.look_stats(fam, data, budget.LOOKS, rule)
    e = bc.budgeted(fam, q.costs, data, seeds=budget.LOOKS, levels=lv, budget=cb.CHOOSE_AT * first, df=rule, stats=st,
                    trainings=q.trainings)
    out = {"2×": cb.summary(e.code, fam, truths, e.spent, first)}
    if boundary:
        codes = bc.every_look(fam, data, seeds=budget.LOOKS, levels=lv, df=rule)
        out["every look run"] = cb.summary(codes, fam, truths, np.full(len(codes), np.nan), first)
        out["per_comparison"] = np.mean(codes != 0, axis=0)
        out["fixed 3, Holm"] = cb.summary(bc.fixed_holm(fam, data, 3, cb.ALPHA, df=rule), fam, truths,
                                          np.full(len(codes), first), first)
    return out


def compute(trials: int, seed: int, rows: str) -> dict:
    q, fams, labels = setup(rows)
    m, seeds = len(q.comps), budget.LOOKS
    lv = cb.levels_of(budget.SPENDING, m)
    first = bc.run_cost(fams[BOUNDARY][0], q.costs, seeds[0])
    res = {"m": m, "levels": lv, "labels": labels, "rules": {}}
    for rule in DF_RULES:
        r = res["rules"][rule] = {
            "six_sd": bc.first_look_rate(lv[0], trials=trials * 20, seed=seed, df=rule),
            "fixed3": bc.first_look_rate(cb.ALPHA / m / 2, trials=trials * 20, seed=seed, df=rule)}
        for name in (BOUNDARY,) if rows == "boundary" else (BOUNDARY, MIXED):
            fam, truths = fams[name]
            data = bc.draw(truths, seeds[-1], trials * 2, [seed, 2, len(labels[name])])  # calibrate_budget's null draws
            r[name] = null_rows(rule, fam, truths, q, first, lv, data, name == BOUNDARY)
        if rows != "boundary":
            fam, truths = fams[MEASURED]
            data = bc.draw(truths, max(x[-1] for x, _ in ((seeds, 0), *cb.OTHER_LOOKS)), trials, [seed, 1])
            st = bc.look_stats(fam, data, seeds, rule)
            r[MEASURED] = {}
            for b in MEASURED_BUDGETS:
                e = bc.budgeted(fam, q.costs, data, seeds=seeds, levels=lv, budget=b * first, df=rule, stats=st,
                                trainings=q.trainings)
                r[MEASURED][b] = cb.summary(e.code, fam, truths, e.spent, first)
        res["family"], res["truths"] = fams[BOUNDARY]
    return res


def rechoose(rule: str, trials: int, seed: int) -> dict:
    """calibrate_budget's choice of the spending (its CANDIDATES, 6-sd share ≥ TARGET × fixed 3's, then most
    correct over the budgets beyond the first look) with the df ``rule``, and the chosen design's boundary rows."""
    q, fams, labels = setup("all")
    m, seeds = len(q.comps), budget.LOOKS
    first = bc.run_cost(fams[BOUNDARY][0], q.costs, seeds[0])
    fam, truths = fams[MEASURED]
    data = bc.draw(truths, max(x[-1] for x, _ in ((seeds, 0), *cb.OTHER_LOOKS)), trials, [seed, 1])
    st = bc.look_stats(fam, data, seeds, rule)
    fixed3 = bc.first_look_rate(cb.ALPHA / m / 2, trials=trials * 20, seed=seed, df=rule)
    out = {"rule": rule, "fixed3": fixed3, "candidates": {}}
    for sp in cb.CANDIDATES:
        lv = cb.levels_of(sp, m)
        runs = {b: bc.budgeted(fam, q.costs, data, seeds=seeds, levels=lv, budget=b * first, df=rule, stats=st,
                               trainings=q.trainings) for b in cb.MULTIPLES}
        out["candidates"][sp] = {"six_sd": bc.first_look_rate(lv[0], trials=trials * 20, seed=seed, df=rule),
                                 "budgets": {b: cb.summary(e.code, fam, truths, e.spent, first)
                                             for b, e in runs.items()}}
    ok = [sp for sp, c in out["candidates"].items() if c["six_sd"] >= cb.TARGET * fixed3] or list(cb.CANDIDATES)
    out["chosen"] = max(ok, key=lambda sp: np.mean([out["candidates"][sp]["budgets"][b]["correct"]
                                                     for b in cb.CHOOSE_OVER]))
    out["eligible"] = ok
    fam_n, truths_n = fams[BOUNDARY]
    data_n = bc.draw(truths_n, seeds[-1], trials * 2, [seed, 2, len(labels[BOUNDARY])])
    out["boundary"] = null_rows(rule, fam_n, truths_n, q, first, cb.levels_of(out["chosen"], m), data_n, True)
    return out


def render_rechoose(res: dict) -> str:
    lines = ["", f"Spending re-chosen by calibrate_budget's rule with df = {res['rule']} (6-sd at look 1 of fixed 3 "
             f"seeds: {res['fixed3']:.1%}):", "",
             "| spending | 6-sd at look 1 | share of fixed 3 | "
             + " | ".join(f"decided at {b:g}×" for b in cb.MULTIPLES)
             + " |", "| --- | ---: | ---: |" + " ---: |" * len(cb.MULTIPLES)]
    for sp, c in res["candidates"].items():
        mark = " **(chosen)**" if sp == res["chosen"] else "" if sp in res["eligible"] else " (< 90% of fixed)"
        lines.append(f"| {sp}{mark} | {c['six_sd']:.1%} | {c['six_sd'] / res['fixed3']:.0%} | "
                     + " | ".join(f"{c['budgets'][b]['decided']:.2f}" for b in cb.MULTIPLES) + " |")
    b = res["boundary"]
    lines += ["", f"{res['chosen']} with df = {res['rule']}, all at the boundary: P(any false) at 2× "
              f"{_pm(b['2×']['any_false'], b['2×']['trials'])}, every look run "
              f"{_pm(b['every look run']['any_false'], b['every look run']['trials'])}."]
    return "\n".join(lines)


def _pm(x: float, n: int) -> str:
    return f"{x:.2%} ± {mc_se(x, n):.2%}"


def render(res: dict, header: str) -> str:
    m, rules = res["m"], res["rules"]
    lines = [header, "", f"m = {m} comparisons; look levels (one-sided, α/{m}): "
             + ", ".join(f"{x:.2g}" for x in res["levels"]), ""]
    lines += ["| row | " + " | ".join(rules) + " |", "| --- |" + " ---: |" * len(rules)]

    def row(label, fn):
        lines.append(f"| {label} | " + " | ".join(fn(r) for r in rules.values()) + " |")

    for key in ("2×", "every look run", "fixed 3, Holm"):
        row(f"boundary, {key}: P(any false)", lambda r: _pm(r[BOUNDARY][key]["any_false"],
                                                            r[BOUNDARY][key]["trials"]))
    row(f"boundary, every look: per comparison × {m}, mean / max",
        lambda r: f"{m * r[BOUNDARY]['per_comparison'].mean():.1%} / {m * r[BOUNDARY]['per_comparison'].max():.1%}")
    if MIXED in next(iter(rules.values())):
        row("mixed, 2×: P(any false)", lambda r: _pm(r[MIXED]["2×"]["any_false"], r[MIXED]["2×"]["trials"]))
        row(f"mixed, 2×: decided (of {m}) / spent", lambda r: f"{r[MIXED]['2×']['decided']:.2f} ± "
            f"{r[MIXED]['2×']['decided_se']:.2f} / {r[MIXED]['2×']['spent']:.2f}×")
        for b in MEASURED_BUDGETS:
            row(f"quick's measured, {b:g}×: decided / false / spent",
                lambda r, b=b: f"{r[MEASURED][b]['decided']:.2f} ± {r[MEASURED][b]['decided_se']:.2f} / "
                f"{r[MEASURED][b]['false']:.3f} / {r[MEASURED][b]['spent']:.2f}×")
    row("6-sd at look 1 (first_look_rate)", lambda r: f"{r['six_sd']:.1%}")
    row(f"6-sd, fixed 3 seeds at α/{m} (ceiling)", lambda r: f"{r['fixed3']:.1%}")
    worst = np.argsort(-next(iter(rules.values()))[BOUNDARY]["per_comparison"])[:4]
    lines += ["", f"Per comparison × {m} on the boundary, every look run (the {len(worst)} highest under welch):"]
    for j in worst:
        lines.append(f"- {cb._describe(res['family'][j], res['truths'])}: " + ", ".join(
            f"{rule} {m * r[BOUNDARY]['per_comparison'][j]:.1%}" for rule, r in rules.items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3000, help="experiments per measured-effects cell; null "
                        "rows get twice as many, 6-sd shares twenty times (as calibrate_budget)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rows", choices=("all", "boundary"), default="all")
    parser.add_argument("--rechoose", choices=DF_RULES, help="instead: re-choose the spending with this df rule")
    args = parser.parse_args(argv)
    started, cpu = time.perf_counter(), time.process_time()
    res = rechoose(args.rechoose, args.trials, args.seed) if args.rechoose else compute(args.trials, args.seed,
                                                                                         args.rows)
    flags = f"--rechoose {args.rechoose}" if args.rechoose else f"--rows {args.rows}"
    header = (f"`PYTHONPATH=. python scripts/explore_df.py --trials {args.trials} --seed {args.seed} {flags}`: "
              f"{time.perf_counter() - started:.0f} s wall, {time.process_time() - cpu:.0f} s CPU, one core. "
              "Simulated data.")
    print(header + render_rechoose(res) if args.rechoose else render(res, header))
    return 0


if __name__ == "__main__":
    sys.exit(main())
