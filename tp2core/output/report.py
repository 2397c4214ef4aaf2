"""``report.md`` + self-contained ``report.html`` + PNG figures, from runs and judgements already measured
(no training). Called at the end of ``pytest benchmarks --tp2-report DIR`` (tp2core.output.session_files) and by
``tp2 report`` (tp2core.cli.report, which reads the store).

Layout: the session document (tp2core.output.document: header, then its sections with the claims first — claims,
variants, regime, attribution with its figure) → one section per claim with its figure → learning curves →
gradient-norm mechanism → throughput → the dataset (EDA).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..claims import metrics
from ..data.dataset import SIMULATED_NOTE
from ..fileio import atomic_write_text
from . import tables
from . import figures as rf
from ..errors import Tp2Error
from . import document as doc
from .document import session_document
from .meta import with_environment
from .html import render_html, render_markdown
from ..training.runs import RunResult

if TYPE_CHECKING:
    from ..data.dataset import Dataset

REPORT_MD = "report.md"
REPORT_HTML = "report.html"
EDA_PNG = "eda-samples.png"
EDA_CLASSES = tuple(range(0, 100, 10))  # 10 fine classes, one per 10 labels, for the sample grid


def write_report(*, meta: dict, runs: list[RunResult], judgements: list[dict], out_dir: str | Path,
                 dataset: Dataset | None = None, find_dataset: bool = True, notes: Sequence[str] = ()) -> list[Path]:
    """Write the report into ``out_dir``; return the written paths (report.md, report.html, then the PNGs).

    ``dataset``: the Dataset the runs used, for the EDA section; None = load it by ``meta["dataset"]`` when
    ``find_dataset`` (it must have the runs' fingerprint), else the section says why it is missing.
    ``notes``: lines shown near the top (e.g. which of several stored profiles was chosen).
    """
    out = _report_dir(out_dir)
    meta = with_environment(meta, runs)
    by_variant = tables.group_runs(runs)
    document = session_document(meta, runs, judgements, title=_title(meta),
                                header=_header(meta, runs, len(by_variant), len(judgements), notes),
                                if_empty=IF_EMPTY)
    header, *shared = document.sections
    shared.sort(key=lambda s: s.key != "claims")  # the report leads with the verdicts
    sections = [header, *(_extend(s, out) for s in shared)]
    sections += [_claim_section(j, by_variant, out) for j in sorted(judgements, key=lambda j: j.claim)]
    if stages := rf.sequential_stages(out / "sequential-stages.png", judgements):  # adaptive seeds only
        sections.append(doc.Section("stages", "Adaptive seeds: where each comparison stopped", (doc.Figure(stages),)))
    for heading, filename, draw, missing in RUN_FIGURES:
        fig = draw(out / filename, by_variant)
        sections.append(doc.Section(Path(filename).stem, heading,
                                    (doc.Figure(fig) if fig else doc.Paragraph(missing),)))
    sections.append(doc.Section("dataset", "The dataset", _dataset_section(meta, dataset, find_dataset, out)))
    if provenance := doc.provenance_section(meta):
        sections.append(provenance)
    document = replace(document, sections=tuple(sections))

    md_path, html_path = out / REPORT_MD, out / REPORT_HTML
    blocks = doc.blocks(document)
    atomic_write_text(md_path, render_markdown(blocks))
    atomic_write_text(html_path, render_html(blocks, title=document.title))
    return [md_path, html_path] + [b.file.path for s in sections for b in s.blocks if isinstance(b, doc.Figure)]


# The sections drawn from every run: heading, file, figure function (None when nothing to draw), text instead.
RUN_FIGURES = (
    ("Learning curves", "learning-curves.png", rf.learning_curves,
     "No successful run recorded a per-epoch history."),
    ("Mechanism: gradient norms per layer", "gradient-norms.png", rf.gradient_norms,
     "No successful run recorded gradient norms."),
    ("Throughput", "throughput.png", rf.throughput, "No successful run recorded its throughput."),
)


def _report_dir(out_dir: str | Path) -> Path:
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise Tp2Error(f"cannot create the report directory {out}: {exc}; pass another --out DIR.") from None
    return out


# The report says why a section is empty where the session files leave it out (document.IF_EMPTY).
IF_EMPTY = {"claims": "No claim was judged (no claim had runs of every variant it compares).",
            "variants": "No runs."}


def _title(meta: dict) -> str:
    return f"tp2 report — {meta.get('dataset', '?')}, {meta.get('profile', '?')} profile"


def _header(meta: dict, runs: list[RunResult], variants: int, judged: int, notes: Sequence[str]) -> doc.Section:
    """The simulated-data warning, the facts list (dataset, profile, hardware, counts), then the notes."""
    warning = [doc.Paragraph(f"**{SIMULATED_NOTE}**")] if meta.get("simulated") else []
    failed = sum(not r.ok for r in runs)
    facts = doc.Items(tuple([line for line in tables.header_lines(meta) if not line.startswith("NOTE")] + [
        f"runs: {len(runs)} ({failed} failed) over {variants} variants; claims judged: {judged}",
        f"generated: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} (from stored results, "
        "no training)",
    ]))
    return doc.Section("header", None, (*warning, facts, *(doc.Paragraph(f"NOTE: {n}") for n in notes)))


def _extend(section: doc.Section, out: Path) -> doc.Section:
    """A shared section with the report's own blocks: the attribution figure below its table."""
    if section.key != "attribution":
        return section
    table = next(b for b in section.blocks if isinstance(b, doc.Table))
    fig = rf.attribution(out / "attribution.png", list(table.rows))
    return replace(section, blocks=section.blocks + ((doc.Figure(fig),) if fig else ()))


def _claim_section(j, by_variant: Mapping[str, list[RunResult]], out: Path) -> doc.Section:
    blocks: list[doc.Block] = [doc.Items((
        f"statement: {j.statement}",
        f"notes' figure: {j.notes_figure}",
        f"verdict ({j.system_text()}; also the pytest outcome): "
        f"**{j.verdict}**",
    ))]
    blocks.append(doc.Paragraph(j.sentence))
    if j.checks:
        blocks.append(doc.Table(tuple({"check": c.label, "verdict": c.verdict, "detail": c.detail}
                                      for c in j.checks)))
    panels = claim_panels(j)
    if not panels:
        blocks.append(doc.Paragraph("No figure: this claim compares no variants."))
    else:
        blocks.append(doc.Figure(rf.claim_figure(out / f"claim-{_slug(j.claim)}.png", j, panels, by_variant)))
    return doc.Section(f"claim:{j.claim}", f"Claim {j.claim}: {j.verdict}", tuple(blocks))


def claim_panels(j) -> list[tuple[str, list[str], list[float]]]:
    """(metric, variants, reference constants) per metric the judgement's comparisons compare — each comparison
    result names its a, b, constant and metric, so no catalogue is needed to redraw it."""
    panels: dict[str, tuple[list[str], list[float]]] = {}
    for c in j.comparisons:
        names, constants = panels.setdefault(c.metric, ([], []))
        for v in (c.a, c.b):
            if v is not None and v not in names:
                names.append(v)
        if c.constant is not None:
            constants.append(10 ** c.constant if c.metric in metrics.LOG_METRICS else c.constant)
    return [(m, names, consts) for m, (names, consts) in panels.items()]


def _dataset_section(meta: dict, dataset: Dataset | None, find_dataset: bool, out: Path) -> tuple[doc.Block, ...]:
    if dataset is None:
        dataset, why = (_find_dataset(meta) if find_dataset else (None, "not requested (find_dataset=False)"))
        if dataset is None:
            return (doc.Paragraph(f"Dataset section skipped: the dataset could not be loaded — {why}. Pass it with "
                                  "`tp2 report --dataset SPEC` (cifar100, simulated or an archive path)."),)
    blocks: list[doc.Block] = []
    fp = meta.get("dataset_fingerprint")
    if fp and dataset.fingerprint != fp:
        blocks.append(doc.Paragraph(f"NOTE: this dataset's fingerprint {dataset.fingerprint[:12]} differs from the "
                                    f"runs' {fp[:12]}: the runs were trained on other data."))
    blocks.append(doc.Paragraph(f"{dataset.label}; source: {dataset.source or '?'}"))
    try:
        from ..data import eda

        info = eda.dataset_info(dataset)
        blocks.append(doc.Table(tuple(count_rows(info, _profile_subset(dataset, meta.get("profile"),
                                                                       eda.dataset_info)))))
        blocks.append(doc.Paragraph("Training-set pixel mean per channel (R, G, B; pixels in [0, 1]): "
                                    + ", ".join(f"{v:.3f}" for v in info.get("channel_mean", []))
                                    + "; std: " + ", ".join(f"{v:.3f}" for v in info.get("channel_std", []))))
        path = out / EDA_PNG
        eda.sample_grid_png(dataset, path, list(EDA_CLASSES))
        from PIL import Image

        with Image.open(path) as im:
            width, height = im.size
        blocks.append(doc.Figure(rf.FigureFile(path, f"Sample images of {dataset.name}", "Training images of 10 "
                                               "fine classes (rows), as stored (uint8, 32×32 px).", width, height)))
    except Exception as exc:  # the report must not fail on its last, optional section
        blocks.append(doc.Paragraph(f"Dataset summary incomplete: {type(exc).__name__}: {exc}"))
    return tuple(blocks)


def _find_dataset(meta: dict):
    """(Dataset, "") when the runs' dataset loads by name with their fingerprint, else (None, why)."""
    name = meta.get("dataset")
    if name not in ("cifar100", "simulated"):
        return None, f"the runs' dataset {name!r} has no loadable name (an archive given by path)"
    try:
        from ..data.load import load_dataset

        ds = load_dataset(name, download=False)
    except Exception as exc:  # missing archive, import error: explained in the report instead
        return None, f"{type(exc).__name__}: {exc}"
    if meta.get("dataset_fingerprint") and ds.fingerprint != meta["dataset_fingerprint"]:
        return None, (f"{name!r} loads with fingerprint {ds.fingerprint[:12]}, but the runs used "
                      f"{meta['dataset_fingerprint'][:12]}")
    return ds, ""


def _profile_subset(dataset, profile: str | None, dataset_info) -> tuple[str, dict] | None:
    """(description, dataset_info) of the per-class subset the profile trains on; None when it uses all."""
    from ..recipe.variants import PROFILES

    prof = PROFILES.get(profile)
    if prof is None or (prof.train_per_class, prof.test_per_class) == (None, None):
        return None
    sub = dataset.subset(prof.train_per_class, prof.test_per_class)
    return f"used by profile {profile} (first k per class)", dataset_info(sub)


def count_rows(info: Mapping, subset: tuple[str, dict] | None = None) -> list[dict]:
    """Images and per-class counts per split (eda.dataset_info "splits"), whole dataset then the used subset."""
    rows = []
    for what, part in [("whole dataset", info)] + ([subset] if subset else []):
        for split, c in part["splits"].items():
            rows.append({"data": what, "split": "validation (test split)" if split == "test" else split,
                         "images": f"{c['images']:,}", "classes present": c["classes"],
                         "images per class (min–max)": f"{c['per_class_min']}–{c['per_class_max']}"})
    return rows


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c == "-" else "-" for c in name.lower())
