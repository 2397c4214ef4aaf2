"""The steps that end a claim-suite session, each a function of plain arguments returning (lines, failed).

``Controller.finish`` calls them in order: terminal tables, the session files (tables.md, results.json,
benchmarks.json, the tidy runs/comparisons tables), the gate, the references, the figures report. No pytest import.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import gate, tables
from .document import blocks, session_document
from ..errors import Tp2Error
from ..fileio import atomic_write_text

Step = tuple[list[str], bool]  # lines for the terminal summary; whether the session must fail


def terminal_tables(meta: dict, runs: list, judgements: list, width: int = 120, wide: bool = False) -> list[str]:
    if not runs and not judgements:
        return ["tp2: no runs were reported (nothing selected, or every test crashed)."]
    from .terminal import render_terminal

    return [render_terminal(meta, runs, judgements, width=width, wide=wide)]


def write_session_files(report_dir: Path, meta: dict, runs: list, judgements: list, missing: list[str],
                        results_json: str, reused: dict | None = None) -> Step:
    """tables.md, results.json, benchmarks.json and the tidy exports (output.tidy; ``reused``: identity → bool)."""
    from .benchjson import benchmark_document
    from .tidy import write_tidy

    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(report_dir / "tables.md", markdown(meta, runs, judgements, missing))
        atomic_write_text(report_dir / "results.json", results_json)
        if runs:
            atomic_write_text(report_dir / "benchmarks.json", json.dumps(benchmark_document(runs), indent=1))
        tidy = write_tidy(report_dir, runs, judgements, reused)
    except OSError as exc:
        return [f"tp2: could not write the report to {report_dir}: {exc}; pass --tp2-report DIR."], True
    kinds = "/".join(sorted({p.suffix[1:] for p in tidy}, key=("csv", "json", "parquet").index))
    return [f"tp2: tables and results written to {report_dir}/ (tables.md, results.json, benchmarks.json, "
            f"runs and comparisons as {kinds})"], False


def apply_gate(reference_path: str, meta: dict, runs: list, judgements: list) -> Step:
    problems = gate.compare(gate.load_reference(reference_path), meta, runs, judgements)
    if problems:
        return [f"tp2 gate FAILED against {reference_path}:"] + [f"  - {p}" for p in problems], True
    return [f"tp2 gate passed against {reference_path} ({len(runs)} runs, {len(judgements)} claims)."], False


def write_reference(path: str | None, meta: dict, runs: list, judgements: list, missing: list[str]) -> Step:
    """--tp2-update-references: the reference file from a complete session (never from a partial one)."""
    if missing or not runs:
        raise Tp2Error("refusing to write a reference from an incomplete session "
                       f"(missing: {', '.join(missing) or 'all runs'}); rerun until every cell is present.")
    target = Path(path or gate.default_reference_path(
        meta["dataset"], meta["profile"], precision=meta.get("precision", "float32")))
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, json.dumps(gate.build_reference(meta, runs, judgements), indent=1, sort_keys=True) + "\n")
    return [f"tp2: reference written to {target}"], False


def write_tensorboard(directory: str, runs: list) -> Step:
    """--tp2-tensorboard DIR: every run's event files (output.tensorboard); the ones already there are kept."""
    from .tensorboard import write_tensorboard as write

    written = write(directory, runs)
    return [f"tp2: TensorBoard: {len(written)} runs written to {directory}/ (the others were there already); "
            f"view with `tensorboard --logdir {directory}`"], False


def write_figures(report_dir: Path, meta: dict, runs: list, judgements: list, dataset=None) -> Step:
    from .report import write_report

    try:
        paths = write_report(meta=meta, runs=runs, judgements=judgements, out_dir=report_dir, dataset=dataset)
    except Tp2Error as exc:
        return [f"tp2: report not written: {exc}"], False
    except Exception as exc:  # a figure bug must not hide the tables and results already written
        return [f"tp2: report failed ({type(exc).__name__}: {exc}); tables and results.json are intact."], True
    return [f"tp2: report written: {report_dir / 'report.html'} ({len(paths)} files)"], False


def attribution(judgements: list) -> list[dict]:
    """The attribution table's rows for results.json."""
    return tables.attribution_rows(judgements)


def markdown(meta: dict, runs: list, judgements: list, missing: list[str]) -> str:
    """tables.md: the session document (output.document) in Markdown, every column."""
    from dataclasses import replace

    from .document import provenance_section
    from .html import render_markdown

    document = session_document(meta, runs, judgements, missing)
    if section := provenance_section(meta):
        document = replace(document, sections=document.sections + (section,))
    return render_markdown(blocks(document))
