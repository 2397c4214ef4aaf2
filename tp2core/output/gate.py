"""The accuracy gate: compare a session with a committed reference (`references/<dataset>-<profile>.json`).

Regression gating, separate from judging claims: the session fails when a claim's verdict (the pytest outcome)
differs from the one recorded, when a variant's mean accuracy leaves its reference band, or
when a cell or claim in the reference is missing (crashed worker, skipped test, zero tests).

Band: mean_ref ± max(K_SE · sd_ref · √(2/n_ref), FLOOR_POINTS) accuracy points — K_SE standard errors of a
difference of two means with the reference's seed-to-seed spread, and never tighter than FLOOR_POINTS, so
version drift (another TensorFlow, another BLAS) that moves results by less than the seed noise passes,
while a real regression does not. Not exact equality: bitwise results only hold on identical software.
"""

from __future__ import annotations

import datetime
import json
import math
import statistics
from pathlib import Path

from ..claims.regime import LEARNED_MULTIPLE
from ..errors import Tp2Error
from ..training.runs import RunResult

FORMAT = 1
K_SE = 4.0  # standard errors of the difference of means
FLOOR_POINTS = 2.0  # accuracy points: the narrowest band, whatever the seed spread


def default_reference_path(
    dataset: str, profile: str, root: str | Path = "references", precision: str = "float32"
) -> Path:
    """references/<dataset>-<profile>.json; other precisions than the recipe's get their own file."""
    suffix = "" if precision == "float32" else f"-{precision}"
    return Path(root) / f"{dataset}-{profile}{suffix}.json"


def band(mean: float, sd: float, n: int) -> tuple[float, float]:
    half = max(K_SE * sd * math.sqrt(2.0 / max(n, 1)), FLOOR_POINTS)
    return (round(mean - half, 4), round(mean + half, 4))


def _accuracies(runs: list[RunResult]) -> dict[str, list[float]]:
    """variant → validation accuracies (%) of its ok runs, in seed order."""
    out: dict[str, list[float]] = {}
    for r in sorted(runs, key=lambda r: r.spec.seed):
        if r.ok and r.val_accuracy is not None:
            out.setdefault(r.spec.variant.name, []).append(100.0 * r.val_accuracy)
    return out


def build_reference(meta: dict, runs: list[RunResult], judgements: list) -> dict:
    """A reference from this session: per-variant mean/sd/band and per-seed values, cells, claim verdicts (the
    pytest outcome; the gate compares these), and what was measured — the Holm verdict and the sentence — with date
    and environment."""
    variants = {}
    for name, accs in sorted(_accuracies(runs).items()):
        mean = statistics.fmean(accs)
        sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
        variants[name] = {"mean": round(mean, 4), "sd": round(sd, 4), "n": len(accs), "band": band(mean, sd, len(accs)),
                          "values": [round(a, 4) for a in accs]}  # per seed, in seed order (issue 22: skewness)
    return {
        "format": FORMAT,
        "dataset": meta.get("dataset"),
        "dataset_fingerprint": meta.get("dataset_fingerprint"),
        "profile": meta.get("profile"),
        "precision": meta.get("precision", "float32"),
        "seeds": meta.get("seed_values"),
        "environment": meta.get("environment", {}),
        "tolerance": {"k_se": K_SE, "floor_points": FLOOR_POINTS},
        "variants": variants,
        "cells": sorted(f"{r.spec.variant.name} seed {r.spec.seed}" for r in runs if r.ok),
        "claims": {j.claim: j.verdict for j in sorted(judgements, key=lambda j: j.claim)},
        "measured": {j.claim: {"holm_verdict": j.holm_verdict, "family_size": j.family_size, "sentence": j.sentence}
                     for j in sorted(judgements, key=lambda j: j.claim)},
        "date": datetime.date.today().isoformat(),
    }


def load_reference(path: str | Path) -> dict:
    """Read a reference; a missing, corrupt or foreign-format file is a loud error (never a silent pass)."""
    path = Path(path)
    if not path.is_file():
        raise Tp2Error(
            f"gate reference {path} does not exist; create it from a trusted session with "
            f"--tp2-update-references (it is written to {path})."
        )
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise Tp2Error(f"gate reference {path} is not valid JSON ({exc}); restore it from git or regenerate it "
                       f"with --tp2-update-references.") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise Tp2Error(f"gate reference {path} has format {data.get('format') if isinstance(data, dict) else '?'}, "
                       f"expected {FORMAT}; regenerate it with --tp2-update-references.")
    return data


def claim_mismatch(reference: dict, claim: str, verdict: str) -> str | None:
    """Why a claim's verdict fails the gate (one sentence), or None when it matches the reference."""
    ref = reference.get("claims", {}).get(claim)
    if ref is None:
        return (f"claim {claim}: {verdict}, but the reference has no verdict for it; record one with "
                "--tp2-update-references.")
    if ref != verdict:
        return f"claim {claim}: verdict flipped from {ref} to {verdict}."
    return None


def compare(reference: dict, meta: dict, runs: list[RunResult], judgements: list) -> list[str]:
    """Problems (empty = gate passes). Each names the variant/cell/claim and the numbers."""
    problems = []
    if reference.get("dataset_fingerprint") and meta.get("dataset_fingerprint") not in (
        None,
        reference["dataset_fingerprint"],
    ):
        return [
            f"incomparable: the reference was made on dataset {reference.get('dataset')} "
            f"(fp {reference['dataset_fingerprint'][:12]}), this session used {meta.get('dataset')} "
            f"(fp {str(meta.get('dataset_fingerprint'))[:12]}); gate against the matching reference file."
        ]
    if reference.get("profile") != meta.get("profile"):
        return [f"incomparable: reference profile {reference.get('profile')!r}, session profile {meta.get('profile')!r}."]
    ref_precision, precision = reference.get("precision", "float32"), meta.get("precision", "float32")
    if ref_precision != precision:
        return [f"incomparable: the reference was made at precision {ref_precision!r}, this session ran "
                f"{precision!r}; gate against a reference made at {precision!r} (--tp2-update-references "
                f"--tp2-gate FILE) or run --tp2-precision {ref_precision}."]
    if not runs:
        return ["no run results in this session (zero tests, all skipped or all crashed): the gate never passes empty."]
    accs = _accuracies(runs)
    for name, ref in reference.get("variants", {}).items():
        got = accs.get(name)
        if not got:
            problems.append(f"variant {name}: no successful run in this session (reference mean {ref['mean']:.2f}%).")
            continue
        mean = statistics.fmean(got)
        lo, hi = ref["band"]
        if not lo <= mean <= hi:
            problems.append(
                f"variant {name}: mean val accuracy {mean:.2f}% left its reference band [{lo:.2f}, {hi:.2f}] "
                f"(reference {ref['mean']:.2f} ± {ref['sd']:.2f}, n={ref['n']})."
            )
    problems += _not_learning(runs)
    have_cells = {f"{r.spec.variant.name} seed {r.spec.seed}" for r in runs if r.ok}
    missing = [c for c in reference.get("cells", []) if c not in have_cells]
    if missing:
        problems.append(f"missing cells (crashed, failed or not run): {', '.join(missing)}.")
    verdicts = {j.claim: j.verdict for j in judgements}
    for claim, ref_verdict in reference.get("claims", {}).items():
        if claim not in verdicts:
            problems.append(f"claim {claim}: missing from this session (reference verdict {ref_verdict}).")
        elif mismatch := claim_mismatch(reference, claim, verdicts[claim]):
            problems.append(mismatch)
    return problems


def _not_learning(runs: list[RunResult]) -> list[str]:
    """A variant trained on k classes (the learn probe) must have learned — mean validation accuracy ≥
    LEARNED_MULTIPLE × chance (100/k %), the one definition (tp2core.claims.regime) — whatever its band: with 50
    validation images a band from 2 seeds is wide, and a trainer that learns nothing must fail the gate however
    the seeds fall."""
    problems = []
    for name, got in _accuracies([r for r in runs if r.spec.variant.classes]).items():
        classes = next(r.spec.variant.classes for r in runs if r.spec.variant.name == name)
        floor = LEARNED_MULTIPLE * 100.0 / classes
        if statistics.fmean(got) < floor:
            problems.append(f"variant {name}: mean val accuracy {statistics.fmean(got):.2f}% is under "
                            f"{LEARNED_MULTIPLE:g}× chance ({floor:.1f}% on {classes} classes): the trainer did not "
                            f"learn.")
    return problems
