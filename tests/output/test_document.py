"""One document model (issue 24.4): the session's output is built once as sections and rendered per format, so a
section added in one place (document.SECTIONS) reaches the terminal, tables.md, report.md and report.html."""

from __future__ import annotations

import pytest

from tp2core.output import document, report, session_files, terminal
from tp2core.output.document import Items, Paragraph, Section, Table

from runs_factory import make_run, meta

MARK = "stage-b-sequential-7f3a"  # a cell value no other output contains


def stages_section(runs, judgements, missing) -> Section:
    """A new section, as issue 24 asks for (the sequential stages): one builder, nothing else."""
    return Section("stages", "Stages", (Table(({"stage": MARK, "runs": str(len(runs))},), ("stage",)),))


@pytest.fixture
def with_stages(monkeypatch):
    monkeypatch.setattr(document, "SECTIONS", document.SECTIONS + (stages_section,))


def _inputs():
    return {**meta(), "environment": make_run().environment}, [make_run("model0", s, 0.2) for s in (0, 1)], []


class TestSessionDocument:
    def test_sections_in_order_and_empty_ones_left_out(self):
        """header, variants, regime (runs), then missing; no claims or attribution without judgements."""
        m, runs, judgements = _inputs()
        doc = document.session_document(m, runs, judgements, ["model1 seed 0"])
        assert [s.key for s in doc.sections] == ["header", "variants", "regime", "missing"]
        assert doc.sections[-1].blocks == (Items(("model1 seed 0",)),)

    def test_an_empty_section_shows_the_formats_placeholder(self):
        """No runs: the session files' variant table reads '(none)'; the report says 'No runs.'."""
        doc = document.session_document(meta(), [], [])
        assert [(s.key, s.blocks) for s in doc.sections[1:]] == [("variants", (Paragraph("(none)"),))]
        doc = document.session_document(meta(), [], [], if_empty=report.IF_EMPTY)
        assert [s.key for s in doc.sections[1:]] == ["variants", "claims"]


class TestOnePlace:
    def test_a_new_section_appears_in_every_format(self, with_stages, tmp_path):
        """A section added to SECTIONS only is printed in the terminal (fitted and wide) and written to tables.md,
        report.md and report.html, with its heading."""
        m, runs, judgements = _inputs()
        fitted = terminal.render_terminal(m, runs, judgements, width=80)
        wide = terminal.render_terminal(m, runs, judgements, wide=True)
        tables_md = session_files.markdown(m, runs, judgements, missing=[])
        report.write_report(meta=m, runs=runs, judgements=judgements, out_dir=tmp_path, find_dataset=False)
        outputs = {"terminal": fitted, "terminal --tp2-wide": wide, "tables.md": tables_md,
                   "report.md": (tmp_path / "report.md").read_text(),
                   "report.html": (tmp_path / "report.html").read_text()}
        headings = {"terminal": "Stages:", "terminal --tp2-wide": "Stages:", "tables.md": "## Stages",
                    "report.md": "## Stages", "report.html": '<h2 id="stages">Stages</h2>'}
        lacking = [name for name, text in outputs.items() if MARK not in text or headings[name] not in text]
        assert not lacking, f"the new section is missing from: {', '.join(lacking)}"

    def test_the_terminal_keeps_the_new_sections_essential_columns(self, with_stages):
        """Fitted: the section's essential column only; wide: every column."""
        m, runs, judgements = _inputs()
        stages = lambda text: text.split("Stages:")[1]  # noqa: E731
        assert "runs" not in stages(terminal.render_terminal(m, runs, judgements, width=80))
        assert "runs" in stages(terminal.render_terminal(m, runs, judgements, wide=True))
