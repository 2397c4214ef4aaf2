"""End of a claim-suite session: tables, report files, references and the gate (no pytest import)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from . import gate
from . import tables
from ..errors import Tp2Error


@dataclass
class Outcome:
    lines: list[str] = field(default_factory=list)  # printed in the terminal summary
    failed: bool = False  # the session must fail (missing cells, gate problems)


def finish(collector, dataset=None) -> Outcome:
    """Print/write what the session measured; apply --tp2-gate / --tp2-update-references."""
    from ..store.database import atomic_write_text

    out = Outcome()
    runs = list(collector.runs.values())
    judgements = list(collector.judgements.values())
    meta = dict(collector.meta)
    if runs and not meta.get("environment"):
        meta["environment"] = runs[0].environment
    if not runs and not judgements:
        out.lines.append("tp2: no runs were reported (nothing selected, or every test crashed).")
    else:
        out.lines.append(tables.render_all(meta, runs, judgements, fmt="simple"))
    missing = collector.missing()
    if missing:
        out.failed = True
        out.lines.append(f"tp2: MISSING (collected but never reported — crashed worker or interrupted run): "
                         f"{', '.join(missing)}")

    report_dir = collector.report_dir()
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(report_dir / "tables.md", _markdown(meta, runs, judgements, missing))
        atomic_write_text(report_dir / "results.json", collector.results_json())
        if runs:
            from .benchjson import benchmark_document

            atomic_write_text(report_dir / "benchmarks.json", json.dumps(benchmark_document(runs), indent=1))
        out.lines.append(f"tp2: tables and results written to {report_dir}/ (tables.md, results.json, benchmarks.json)")
    except OSError as exc:
        out.lines.append(f"tp2: could not write the report to {report_dir}: {exc}; pass --tp2-report DIR.")
        out.failed = True

    options = collector.options
    if options.gate and not options.update_references:  # updating writes the file instead of gating on it
        problems = gate.compare(gate.load_reference(options.gate), meta, runs, judgements)
        if problems:
            out.failed = True
            out.lines.append(f"tp2 gate FAILED against {options.gate}:")
            out.lines += [f"  - {p}" for p in problems]
        else:
            out.lines.append(f"tp2 gate passed against {options.gate} ({len(runs)} runs, {len(judgements)} claims).")
    if options.update_references:
        if missing or not runs:
            raise Tp2Error("refusing to write a reference from an incomplete session "
                           f"(missing: {', '.join(missing) or 'all runs'}); rerun until every cell is present.")
        path = Path(options.gate or gate.default_reference_path(
            meta["dataset"], meta["profile"], precision=meta.get("precision", "float32")))
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(gate.build_reference(meta, runs, judgements), indent=1, sort_keys=True) + "\n")
        out.lines.append(f"tp2: reference written to {path}")
    if options.report_dir:  # figures cost seconds: only when a report directory was asked for
        _write_full_report(meta, runs, judgements, report_dir, out, dataset)
    return out


def _markdown(meta, runs, judgements, missing) -> str:
    text = "# tp2 results\n\n" + "\n".join(f"- {line}" for line in tables.header_lines(meta)) + "\n\n"
    text += "## Variants\n\n" + tables.render(tables.variant_rows(runs)) + "\n"
    if judgements:
        text += "\n## Claims\n\n" + tables.render(tables.claim_rows(judgements)) + "\n"
    if missing:
        text += "\n## Missing\n\n" + "\n".join(f"- {m}" for m in missing) + "\n"
    return text


def _write_full_report(meta, runs, judgements, report_dir: Path, out: Outcome, dataset=None) -> None:
    """The figures report (tp2core.output.report), when that module is available."""
    try:
        from .report import write_report
    except ImportError:
        return
    try:
        paths = write_report(meta=meta, runs=runs, judgements=judgements, out_dir=report_dir, dataset=dataset)
        out.lines.append(f"tp2: report written: {report_dir / 'report.html'} ({len(paths)} files)")
    except Tp2Error as exc:
        out.lines.append(f"tp2: report not written: {exc}")
    except Exception as exc:  # a figure bug must not hide the tables and results already written above
        out.failed = True
        out.lines.append(f"tp2: report failed ({type(exc).__name__}: {exc}); tables and results.json are intact.")
