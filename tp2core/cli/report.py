"""``tp2 report [--store DIR] [--out DIR] [--dataset SPEC] [--profile P]``: the figure report from stored runs.

No training: reads ``Store(root).all()``, keeps one (dataset, profile, precision) — the one asked for, else the most
recent — and judges the family (every claim the profile judges; tp2core.claims.family) by the design the session
recorded with those runs (tp2core.claims.design): the same runs, the same verdict system, hence the same verdicts
as the session. --seeds / --max-seeds override it, and the header says so. Reports the claims whose variants all
have runs, lists runs beyond the design (not judged), and calls ``tp2core.output.report.write_report``.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

from ..data.dataset import dataset_label
from ..errors import Tp2Error
from ..training.precision import PRECISIONS
from ..training.runs import RunResult
from ..recipe.variants import PROFILES

RUN_HINT = "run `pytest benchmarks --tp2-profile smoke` (or `tp2 run …`) first, or pass --store DIR"


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "report",
        help="write report.md, a self-contained report.html and PNG figures from the stored runs",
        description="Build the figure report from what the results store holds (no training).",
    )
    p.add_argument("--store", default=None, metavar="DIR", help="results store (default: $TP2_STORE or .tp2)")
    p.add_argument("--out", default=None, metavar="DIR", help="output directory (default: <store>/report)")
    p.add_argument("--dataset", default=None, metavar="SPEC",
                   help="dataset name or fingerprint (prefix) of stored runs, or a load_dataset spec "
                        "(cifar100, simulated, archive path); also used for the dataset section")
    p.add_argument("--profile", default=None, choices=tuple(PROFILES),
                   help="profile of the runs to report (default: the most recent in the store)")
    p.add_argument("--precision", default=None, choices=tuple(PRECISIONS),
                   help="precision of the runs to report (default: the most recent in the store)")
    p.add_argument("--max-seeds", default=None, type=int, metavar="N",
                   help="override the recorded design: adaptive seeds up to N per arm (pytest --tp2-max-seeds N), "
                        "each comparison by its sequential replay (default: the design the session recorded)")
    p.add_argument("--seeds", default=None, type=int, metavar="N",
                   help="override the recorded design: N fixed seeds per variant, or the first look's seeds with "
                        "--max-seeds (pytest --tp2-seeds; default: the design the session recorded)")
    p.add_argument("--budget", default=None, type=float, metavar="CPU_S",
                   help="override the recorded design: the budgeted design within CPU_S of the cost model (pytest "
                        "--tp2-budget; default: the design the session recorded)")
    p.add_argument("--tensorboard", nargs="?", const="", default=None, metavar="DIR",
                   help="also write TensorBoard event files of the reported runs (scalars per epoch, HParams) to "
                        "DIR (default <out>/tensorboard; needs pip install 'tp2[tensorboard]')")
    p.set_defaults(handler=run_report)


def run_report(args: argparse.Namespace) -> int:
    from ..output.report import write_report
    from ..output.tidy import write_tidy
    from ..session import Options, store_root

    if args.tensorboard is not None:  # before any work: the package is named in the error
        from ..output.tensorboard import require_tensorboard

        require_tensorboard("--tensorboard")
    root = Path(store_root(Options(store=args.store)))
    runs = load_runs(root)
    dataset = None
    if args.dataset and not _matches_stored(runs, args.dataset):
        dataset = _load(args.dataset, runs)
    selected, notes = select_runs(runs, profile=args.profile, precision=args.precision,
                                  dataset=dataset.fingerprint if dataset is not None else args.dataset)
    if dataset is None and args.dataset:
        dataset = _try_load(args.dataset, selected[0].spec.dataset_fingerprint)
    design, design_note = _design(args, root, selected[0])
    judgements, skipped, beyond = judge_all(selected, design)
    if beyond:
        notes.append(f"runs beyond the design ({design.describe()}), listed, not judged: {', '.join(beyond)}")
    if skipped:
        notes.append("claims not reported (no runs of every variant they compare, or not judged at this profile): "
                     + "; ".join(skipped))
    meta = build_meta(selected, dataset, design, design_note)
    out = Path(args.out) if args.out else root / "report"
    paths = write_report(meta=meta, runs=selected, judgements=judgements, out_dir=out, dataset=dataset,
                         notes=notes)
    paths += write_tidy(out, selected, judgements)  # runs/comparisons .csv/.json(/.parquet), as a session writes
    if args.tensorboard is not None:
        from ..output.tensorboard import write_tensorboard

        logdir = Path(args.tensorboard) if args.tensorboard else out / "tensorboard"
        write_tensorboard(logdir, selected)
        paths.append(logdir)
    pngs = [p for p in paths if p.suffix == ".png"]
    print(f"tp2 report: {len(selected)} runs, {len(judgements)} claims, {len(pngs)} figures → {out}/")
    for p in paths:
        print(f"  {p}")
    return 0


def load_runs(root: Path) -> list[RunResult]:
    """Every stored run; a missing or empty store is a user error naming the directory and what to run."""
    if not root.is_dir():
        raise Tp2Error(f"no results store at {root}/: {RUN_HINT}.")
    from ..store.database import Store

    runs = Store(str(root)).all()
    if not runs:
        raise Tp2Error(f"the results store {root}/ holds no runs: {RUN_HINT}.")
    return runs


def _group_key(run: RunResult) -> tuple[str, str, str, str]:
    """Runs are only ever reported together within one dataset, profile and precision."""
    return run.spec.dataset_name, run.spec.dataset_fingerprint, run.spec.profile, run.spec.precision


def _describe(key: tuple[str, str, str, str], runs: list[RunResult]) -> str:
    precision = "" if key[3] == "float32" else f" / {key[3]}"
    return f"{key[0]} (fp {key[1][:12]}) / {key[2]}{precision}: {len(runs)} runs"


def _matches_stored(runs: list[RunResult], spec: str) -> bool:
    return any(_dataset_matches(r, spec) for r in runs)


def _dataset_matches(run: RunResult, spec: str) -> bool:
    spec_l = spec.lower()
    return run.spec.dataset_name == spec or (len(spec_l) >= 6 and run.spec.dataset_fingerprint.startswith(spec_l))


def select_runs(runs: list[RunResult], *, profile: str | None = None, dataset: str | None = None,
                precision: str | None = None) -> tuple[list[RunResult], list[str]]:
    """Runs of one (dataset, profile, precision), one per (variant, seed), and notes on what was chosen or left out.

    ``dataset``: a dataset name or fingerprint (prefix ≥ 6 hex digits). With several groups left, the one with
    the most recent run wins and a note says so.
    """
    groups: dict[tuple[str, str, str, str], list[RunResult]] = defaultdict(list)
    for r in runs:
        groups[_group_key(r)].append(r)
    stored = "; ".join(_describe(k, v) for k, v in sorted(groups.items()))
    cand = {k: v for k, v in groups.items()
            if (profile is None or k[2] == profile) and (precision is None or k[3] == precision)
            and (dataset is None or _dataset_matches(v[0], dataset))}
    if not cand:
        asked = ", ".join(x for x in (f"dataset {dataset!r}" if dataset else "",
                                      f"profile {profile!r}" if profile else "",
                                      f"precision {precision!r}" if precision else "") if x)
        raise Tp2Error(f"the store has no runs of {asked}; it holds: {stored}. Pass --dataset/--profile/"
                       "--precision matching one of those, or run that profile first.")
    notes: list[str] = []
    key = max(cand, key=lambda k: max(r.created for r in cand[k]))
    if len(cand) > 1:
        others = "; ".join(_describe(k, v) for k, v in sorted(cand.items()) if k != key)
        notes.append(f"the store holds several datasets/profiles/precisions; reporting the most recent, "
                     f"{_describe(key, cand[key])} (also stored: {others}). "
                     "Choose with --dataset/--profile/--precision.")
    latest: dict[tuple[str, int], RunResult] = {}
    for r in sorted(cand[key], key=lambda r: r.created):
        latest[(r.spec.variant.name, r.spec.seed)] = r  # newest wins: older settings/recipe of the same cell
    dropped = len(cand[key]) - len(latest)
    if dropped:
        notes.append(f"{dropped} older run(s) of the same (variant, seed) with other settings (threads, "
                     "recipe version) left out; the newest of each is reported.")
    return sorted(latest.values(), key=lambda r: (r.spec.variant.name, r.spec.seed)), notes


def _design(args: argparse.Namespace, root: Path, run: RunResult):
    """(Design, where it came from): the one the session recorded with these runs (Store.latest_design), or with
    --seeds / --max-seeds that override — said in the header; without either, the profile's default."""
    from ..claims.design import Design, chosen
    from ..store.database import Store

    recorded = Store(str(root)).latest_design(run.spec.dataset_fingerprint, run.spec.profile, run.spec.precision)
    profile = PROFILES[run.spec.profile]
    base = Design.from_dict(recorded["design"]) if recorded else chosen(profile)
    if args.seeds is None and args.max_seeds is None and args.budget is None:
        if recorded:
            return base, None
        return base, (f"no design recorded with these runs (a tp2 from before issue 28, or `tp2 run` only): "
                      f"judged by the {run.spec.profile} profile's default, {base.describe()}")
    seeds = args.seeds or (base.seeds if args.max_seeds is not None else None)
    design = chosen(profile, seeds=seeds, max_seeds=args.max_seeds, budget=args.budget) if (
        args.budget is not None or seeds is not None or args.max_seeds is not None) else base
    was = f"the session recorded {base.describe()}" if recorded else "no design was recorded"
    return design, f"design overridden by the command line: {design.describe()} ({was})"


def judge_all(runs: list[RunResult], design=None) -> tuple[list, list[str], list[str]]:
    """Judgements of every claim the profile judges whose variants all have runs, by ``design`` (claims.design;
    None: the profile's default fixed seeds) over the fixed family (tp2core.claims.family: members without runs
    count with p = 1, as in any pytest session); the claims left out, with why; the runs beyond the design."""
    from ..claims.catalog import CLAIMS
    from ..claims.design import chosen
    from ..claims.family import judge_family, members
    from ..output.tables import group_runs

    dataset, profile = runs[0].spec.dataset_name, runs[0].spec.profile
    design = design or chosen(PROFILES[profile])
    by_variant, beyond = design.reads(group_runs(runs))
    judged = {c.name for c in members(CLAIMS, profile)}
    family = judge_family(CLAIMS, by_variant, dataset=dataset, profile=profile, design=design)
    complete = {c.name for c in CLAIMS if all(v in by_variant for v in c.variants)}
    skipped = [f"{c.name} (missing {', '.join(v for v in c.variants if v not in by_variant)})" for c in CLAIMS
               if c.name in judged and c.name not in complete]
    skipped += [f"{c.name} (not judged at the {profile} profile)" for c in CLAIMS if c.name not in judged]
    return [j for j in family if j.claim in complete], skipped, beyond


def build_meta(runs: list[RunResult], dataset=None, design=None, design_note: str | None = None) -> dict:
    """The header facts (as Tp2Session.meta() gives them in a pytest session) rebuilt from stored runs."""
    from ..output.meta import SessionMeta, design_fields

    latest = max(runs, key=lambda r: r.created)
    name, fp, profile, precision = _group_key(latest)
    seeds = sorted({r.spec.seed for r in runs})
    simulated = name == "simulated" or bool(dataset is not None and dataset.simulated)
    label = dataset.label if dataset is not None else dataset_label(name, fp, simulated)
    source = dataset.source if dataset is not None else "as recorded with the stored runs"
    return SessionMeta(name, label, source, fp, simulated, profile, len(seeds), seeds, precision,
                       latest.environment, design_note=design_note, **design_fields(design)).to_dict()


def _load(spec: str, runs: list[RunResult]):
    """--dataset that names no stored run: load it and match the runs by its fingerprint."""
    from ..data.load import load_dataset

    try:
        return load_dataset(spec, download=False)
    except Tp2Error as exc:
        names = sorted({f"{r.spec.dataset_name} (fp {r.spec.dataset_fingerprint[:12]})" for r in runs})
        raise Tp2Error(f"--dataset {spec!r} names no stored run (stored datasets: {', '.join(names)}) and "
                       f"cannot be loaded: {exc}") from None


def _try_load(spec: str, fingerprint: str):
    """The dataset for the report's dataset section, when ``spec`` loads to the runs' data; else None."""
    from ..data.load import SPECS, load_dataset

    if spec not in SPECS and not Path(spec).expanduser().exists():
        return None  # a stored name or fingerprint: write_report finds the data by name if it can
    try:
        ds = load_dataset(spec, download=False)
    except Tp2Error:
        return None
    return ds if ds.fingerprint == fingerprint else None
