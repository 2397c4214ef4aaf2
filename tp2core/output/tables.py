"""The tables' rows — header lines, variant, regime, claim and attribution rows — and fitting a table to a width.

Inputs are typed values (RunResult, tp2core.claims.judgement.Judgement). The rows are the document's content
(tp2core.output.document puts them in order; output.terminal and output.html render it); results.json carries the
attribution rows as they are.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict

from tabulate import tabulate

from ..claims.regime import LEARNED_MULTIPLE
from ..data.dataset import SIMULATED_NOTE
from ..training.precision import PRECISIONS, describe
from ..training.runs import RunResult
from ..recipe.variants import PROFILES, get_variant
from ..provenance import describe_code


def header_lines(meta: dict) -> list[str]:
    """Lines naming dataset, profile, seeds, hardware and library versions (every table starts with these)."""
    env = meta.get("environment") or {}
    versions = ", ".join(
        f"{k} {env[k]}" for k in ("python", "tensorflow", "keras", "numpy", "jax", "torch") if env.get(k)
    )
    lines = [
        f"dataset: {meta.get('dataset_label', meta.get('dataset', '?'))}",
        f"dataset source: {meta.get('dataset_source') or '?'}",
        f"profile: {meta.get('profile', '?')} — {PROFILES[meta['profile']].description}"
        if meta.get("profile") in PROFILES
        else f"profile: {meta.get('profile', '?')}",
        f"seeds: {meta.get('seeds', '?')} per variant ({_seed_list(meta.get('seed_values'))}); {_design(meta)}",
        f"precision: {_precision(meta.get('precision'))}",
        f"hardware: {_hardware(env)}; backend {env.get('keras_backend', env.get('backend', '?'))}; "
        f"{env.get('intra_op_threads', '?')} thread(s) per run; op determinism "
        f"{env.get('op_determinism', '?')}",
        f"versions: {versions or '?'}",
    ]
    if meta.get("design_note"):
        lines.append(f"design: {meta['design_note']}")
    if meta.get("provenance"):  # SessionMeta.provenance; the distributions themselves: the Provenance section
        lines.append(f"code: {describe_code(meta['provenance'])}")
    if meta.get("simulated"):
        lines[:0] = [SIMULATED_NOTE, "verdicts on simulated data are the proxy's, not the notes' test: a refuted claim "
                                     "here is reported, never failing the run (it fails on real data)"]
    return lines


def _design(meta: dict) -> str:
    """'design fixed: 3 seeds per variant, Holm …' from the meta's recorded design (absent: older documents)."""
    from ..claims.design import Design

    return f"design {Design.from_dict(meta['design']).describe()}" if meta.get("design") else "design: ?"


def _precision(name: str | None) -> str:
    return describe(name) if name in PRECISIONS else str(name or "?")


def _hardware(env: dict) -> str:
    """'CPU (Intel Xeon, 2 cores)' or 'GPU (NVIDIA H100)'."""
    if env.get("gpus"):
        return f"GPU ({', '.join(env['gpus'])})"
    cpu = env.get("cpu")
    cores = env.get("cpu_count")
    detail = ", ".join(x for x in (cpu, f"{cores} cores" if cores else None) if x)
    return f"{env.get('device', '?')} ({detail})" if detail else env.get("device", "?")


def _seed_list(values) -> str:
    return ", ".join(str(v) for v in values) if values else "?"


def group_runs(runs: list[RunResult]) -> dict[str, list[RunResult]]:
    """Runs by variant name, each list sorted by seed, duplicates (same identity) dropped."""
    seen: set[str] = set()
    grouped: dict[str, list[RunResult]] = defaultdict(list)
    for run in runs:
        if run.identity in seen:
            continue
        seen.add(run.identity)
        grouped[run.spec.variant.name].append(run)
    return {k: sorted(v, key=lambda r: r.spec.seed) for k, v in sorted(grouped.items())}


def variant_rows(runs: list[RunResult]) -> list[dict]:
    """One row per variant: accuracy mean ± sd over ok seeds, what was trained, time, throughput.

    Runs from several devices (CPU, a GPU, XLA on/off: a store shared between machines) are never averaged
    together: each variant then gets one row per device, with a ``device`` column (docs/reliability.md A10).
    """
    mixed = len({_device(r) for r in runs}) > 1
    rows = []
    for name, group in group_runs(runs).items():
        for device in sorted({_device(r) for r in group}) if mixed else [None]:
            row = _variant_row(name, [r for r in group if device is None or _device(r) == device])
            rows.append({"variant": row.pop("variant"), "device": device, **row} if mixed else row)
    return rows


def _device(run: RunResult) -> str:
    env = run.environment or {}
    return f"{env.get('device', '?')}{' + XLA' if env.get('jit_compile') else ''}"


def _variant_row(name: str, group: list[RunResult]) -> dict:
    ok = [r for r in group if r.ok and r.val_accuracy is not None]
    accs = [100 * r.val_accuracy for r in ok]
    trained = group[0].spec.variant
    return {
        "variant": name,
        "n": f"{len(ok)}/{len(group)}",
        "val acc % (mean ± sd)": _mean_sd(accs),
        "min–max %": f"{min(accs):.2f}–{max(accs):.2f}" if accs else "—",
        "notes %": _notes_figure(name),
        "epochs": trained.epochs,
        "input": _input(trained),
        "widths": "-".join(str(u) for u in trained.hidden_units),
        "batch": trained.batch_size,
        "aug": trained.augmentation,
        "validation": trained.validation,  # clean held-out images, or augmented + originals as the notes did
        "train imgs": group[0].train_images,
        "s/run": f"{statistics.fmean(r.train_seconds for r in group):.1f}",
        "img/s": _fmt_int(statistics.median(r.images_per_second for r in ok if r.images_per_second))
        if any(r.images_per_second for r in ok)
        else "—",
        "seeds": ",".join(str(r.spec.seed) for r in group),
        "scale vs notes": _scale_note(group[0]),
        "failed": "; ".join(f"seed {r.spec.seed}: {r.failure}" for r in group if not r.ok) or "",
    }


def _input(variant) -> str:
    """'32×32', or '16×16 (pooled)' where the profile average-pools the image (a scale lever, not the notes')."""
    side = 32 // getattr(variant, "input_pool", 1)
    return f"{side}×{side}" + (" (pooled)" if side != 32 else "")


LEARNED_COLUMN = f"learned (≥ {LEARNED_MULTIPLE:g}× chance)"  # one name: the rows' key and the essential column


def regime_rows(runs: list[RunResult]) -> list[dict]:
    """One row per variant: where training left it (tp2core.claims.regime) — mean train and validation accuracy
    beside chance and the notes' figure, whether it learned (the guard's test), the epoch of its best mean
    validation accuracy — so a reader sees each model's phase (still climbing, at its peak, or past it)."""
    from ..claims.regime import regime

    rows = []
    for ln in regime(runs):
        pct = (lambda x: "—" if x is None else f"{100 * x:.2f}")
        rows.append({
            "variant": ln.variant, "n": str(ln.n), "train acc %": pct(ln.train_accuracy),
            "val acc %": pct(ln.val_accuracy),
            "chance %": f"{100 * ln.chance:.3g}", "notes %": _notes_figure(ln.variant),
            LEARNED_COLUMN: {True: "yes", False: "NO", None: "—"}[ln.learned],
            "best val epoch": "—" if ln.best_epoch is None else f"{ln.best_epoch} of {ln.epochs}",
        })
    return rows


def _notes_figure(name: str) -> str:
    try:
        acc = get_variant(name).notes_val_accuracy
    except Exception:  # a variant from another tp2 version in an old store
        return "?"
    return "—" if acc is None else f"{100 * acc:.2f}"


def _scale_note(run: RunResult) -> str:
    profile = PROFILES.get(run.spec.profile)
    try:
        return profile.scale_note(get_variant(run.spec.variant.name)) if profile else "?"
    except Exception:
        return "?"


def _mean_sd(values: list[float]) -> str:
    if not values:
        return "— (no successful run)"
    if len(values) == 1:
        return f"{values[0]:.2f} (n=1)"
    return f"{statistics.fmean(values):.2f} ± {statistics.stdev(values):.2f}"


def _fmt_int(value: float) -> str:
    return f"{value:,.0f}"


def claim_rows(judgements: list) -> list[dict]:
    """One row per claim comparison (Judgement values), in its one verdict system (``system``: Holm over the fixed
    family, or the sequential design under adaptive seeds — never a figure of the other): the estimate, its
    interval, the p the verdict was decided on, the verdict (also the pytest outcome), the seeds it read and, when
    inconclusive, the seeds per arm a new pre-registered run needs. Holm rows add the raw p and the exact
    permutation p, flagged where it disagrees with a verdict (robust: false); sequential rows why they stopped."""
    rows = []
    for j in sorted(judgements, key=lambda j: j.claim):
        comps = j.comparisons or ()
        for i, c in enumerate(comps):
            interval, p, r = c.interval, c.p, c.result
            rows.append(
                {
                    "claim": j.claim if i == 0 else "",
                    "notes": j.notes_figure if i == 0 else "",
                    "comparison": c.label,
                    "system": c.system or "—",
                    "effect": _num(c.effect if c.measurable else None) + (f" {c.unit}" if c.unit else ""),
                    "interval": f"[{_num(interval[0])}, {_num(interval[1])}] ({interval[2]})" if interval else "—",
                    "p": f"{_p(p[0])} ({p[1]})" if p else "—",
                    "verdict": _verdict(c),
                    "raw p": _p(r.decision_p) if r else "—",
                    "perm. p": _perm(r) if r else "—",
                    "seeds": c.seeds if c.measurable else "—",
                    "seeds needed": _seeds(c) if c.verdict == "inconclusive" else "—",
                    "claim verdict": j.verdict if i == 0 else "",
                    **_sequential_cells(c),
                }
            )
        for check in j.checks or ():
            rows.append({"claim": j.claim if not comps else "", "comparison": check.label,
                         "verdict": check.verdict, "claim verdict": j.verdict if not comps else ""})
    return rows


def _sequential_cells(c) -> dict:
    """Adaptive seeds (--tp2-max-seeds): why it stopped, e.g. 'decided at look 2 of 4'."""
    s = c.sequential
    if s is None:
        return {}
    return {"stopped": f"{s.stopped or 'undecided'} at look {len(s.stages)} of {len(s.looks)}"}


def _verdict(c) -> str:
    """The comparison's verdict; a not-judged one says which model did not learn or has no usable run (the regime
    table has the rest)."""
    if c.not_judged is None:
        return c.verdict
    who = re.findall(r"(\S+) did not learn", c.not_judged)  # claims.regime.Learning.why_not's wording
    missing = re.findall(r"(\S+) has no usable run", c.not_judged)
    parts = ([f"{', '.join(who)} did not learn"] if who else []) + ([f"{', '.join(missing)} has no usable run"]
                                                                      if missing else [])
    return f"not judged: {'; '.join(parts)}"


def _p(p: float | None) -> str:
    return "—" if p is None else f"{p:.2g}"


def _perm(r) -> str:
    """The exact permutation p (decision_p's counterpart), flagged when no split of these seeds could reach α at
    all, and when it disagrees with a supported/refuted verdict (``robust`` false: the verdict rests on the t
    model alone)."""
    if r.permutation_p is None:
        return "—"
    if r.min_permutation_p > r.alpha:
        return f"{_p(r.permutation_p)} (min {_p(r.min_permutation_p)} > α)"
    return _p(r.permutation_p) + (" — disagrees (robust: false)" if r.robust is False else "")


def _seeds(c) -> str:
    """The one seed plan (ComparisonResult.seeds_needed) with what it assumes, or why there is none."""
    if not c.measurable:
        return "rerun (not measurable)"
    if c.seeds_needed is None:
        return "— (no spread, effect at the threshold, or > 1000)"
    return (f"{c.seeds_needed} (80% power at α/m = {c.plan_alpha:.3g} if the true effect is {_num(c.effect)}; "
            f"sd at its 90% bound)")


def attribution_rows(judgements: list) -> list[dict]:
    """One row per factor of model4 − model3 (and model5's data, and the notes' validation): the arm's effect on
    validation accuracy with its interval and Holm verdict, from that factor's claim (claims.catalog.ATTRIBUTION).
    Factors whose claim was not judged are left out."""
    from ..claims.catalog import ATTRIBUTION

    by_claim = {j.claim: j for j in judgements}
    rows = []
    for factor, claim in ATTRIBUTION:
        j = by_claim.get(claim)
        if j is None or not j.comparisons:
            continue
        c = j.comparisons[0]
        interval = c.interval
        rows.append({"factor": factor, "arm": c.label, "effect (pts)": _num(c.effect if c.measurable else None),
                     "interval": f"[{_num(interval[0])}, {_num(interval[1])}] ({interval[2]})" if interval else "—",
                     "seeds": c.seeds, "verdict": _verdict(c), "system": c.system or "—"})
    return rows


def _num(value) -> str:
    if value is None:
        return "—"
    try:
        return f"{float(value):.3g}" if abs(float(value)) < 1000 else f"{float(value):,.0f}"
    except (TypeError, ValueError):
        return str(value)


def render(rows: list[dict], fmt: str = "github") -> str:
    if not rows:
        return "(none)"
    return tabulate(rows, headers="keys", tablefmt=fmt, disable_numparse=True)


# --- terminal layout: essential columns, fitted to the terminal's width (files keep every column; output.terminal) -
VARIANT_ESSENTIAL = ("variant", "device", "n", "val acc % (mean ± sd)", "validation", "notes %", "s/run")
REGIME_ESSENTIAL = ("variant", "train acc %", "val acc %", "chance %", "notes %", LEARNED_COLUMN,
                    "best val epoch")
REGIME_TITLE = "Regime (did each model learn? a comparison is judged only on models that did):"
CLAIM_ESSENTIAL = ("claim", "comparison", "system", "effect", "interval", "verdict", "seeds", "stopped")
ATTRIBUTION_ESSENTIAL = ("factor", "effect (pts)", "interval", "verdict")
MIN_CELL = 8  # characters: an abbreviated cell never gets narrower than this


def select_columns(rows: list[dict], keep: tuple[str, ...] | None) -> list[dict]:
    """Rows restricted to the ``keep`` columns (in the rows' order); ``keep=None`` keeps every column. A column no
    row fills is dropped either way (check rows lack most claim columns)."""
    names = [k for k in dict.fromkeys(k for r in rows for k in r) if keep is None or k in keep]
    names = [k for k in names if any(str(r.get(k, "")).strip() for r in rows)] or names
    return [{k: r.get(k, "") for k in names} for r in rows]


def fit_columns(rows: list[dict], width: int, essential: tuple[str, ...], fmt: str = "simple") -> str:
    """``render(rows)`` in at most ``width`` columns: drop non-essential columns from the right, then abbreviate the
    widest columns' cells with '…' (never below MIN_CELL), then — if still too wide — cut each line."""
    rows = [dict(r) for r in rows]

    def widest() -> int:
        return max((len(line) for line in render(rows, fmt).splitlines()), default=0)

    while widest() > width and len(rows[0]) > 1:
        extra = [k for k in rows[0] if k not in essential]
        if not extra:
            break
        for r in rows:
            r.pop(extra[-1])
    while widest() > width:
        lengths = sorted(((max(len(str(r[k])) for r in rows), k) for k in rows[0]), reverse=True)
        (longest, column), runner_up = lengths[0], (lengths[1][0] if len(lengths) > 1 else 0)
        if longest <= MIN_CELL:
            break
        # water-filling: the widest column down to the next widest at most, so long columns share the cut
        cut = min(longest - 1, max(MIN_CELL, runner_up, longest - (widest() - width)))
        for r in rows:
            r[column] = abbreviate(str(r[column]), cut)
    return "\n".join(line[:width] for line in render(rows, fmt).splitlines())


def abbreviate(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
