"""The session's output, built once as a document and rendered per format (issue 24.4).

``session_document(meta, runs, judgements, missing)`` returns the header and the sections every output shows —
variants, regime, claims, attribution, missing — in order; each format has one renderer:
``terminal.render`` (the pytest summary: essential columns fitted to the width, or every column), and
``html.render_markdown`` / ``html.render_html`` over ``blocks(document)`` (tables.md, report.md, report.html).
results.json stays the data document (``Controller.results_json``). The report is this document with the claims
first, the attribution figure, and its own sections after — one per claim, the run figures, the dataset
(``report.write_report``).

Adding a section: one builder in ``SECTIONS``. Adding a format: one renderer of ``Document``, and the line that
writes it (``session_files``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Union

from . import tables, verdict_costs

if TYPE_CHECKING:
    from .figures import FigureFile


# --- the block vocabulary -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Paragraph:
    text: str  # Markdown inline: **bold** and `code` only


@dataclass(frozen=True)
class Items:
    lines: tuple[str, ...]  # a bullet list in Markdown/HTML; plain lines in the terminal


@dataclass(frozen=True)
class Table:
    rows: tuple[dict, ...]
    essential: tuple[str, ...] | None = None  # the terminal's columns when fitted to its width; None: every column


@dataclass(frozen=True)
class Figure:
    file: FigureFile  # Markdown links it, HTML embeds it, the terminal names it


Block = Union[Paragraph, Items, Table, Figure]


@dataclass(frozen=True)
class Section:
    """One part of the document: a heading (None: the header, shown without one), an intro line and its blocks.

    ``intro``: a paragraph under the heading (Markdown/HTML). ``caption``: the one line the terminal prints instead
    of both (default: the intro, else ``"<heading>:"``); ``short_caption``: the same where columns are fitted to
    the width (default: the caption cut to the width)."""

    key: str
    heading: str | None
    blocks: tuple[Block, ...]
    intro: str | None = None
    caption: str | None = None
    short_caption: str | None = None


@dataclass(frozen=True)
class Document:
    title: str  # the Markdown/HTML page's h1; the terminal has pytest's own
    sections: tuple[Section, ...]


# --- the session's sections, in order -------------------------------------------------------------------------------
# Each builder: (runs, judgements, missing) → its Section, with no blocks when it has nothing to show (then it is
# left out, or shows a placeholder: session_document's ``if_empty``).
SectionBuilder = Callable[[list, list, Sequence[str]], Section]


def variants_section(runs: list, judgements: list, missing: Sequence[str]) -> Section:
    return Section("variants", "Variants", _table(tables.variant_rows(runs), tables.VARIANT_ESSENTIAL) if runs else ())


def regime_section(runs: list, judgements: list, missing: Sequence[str]) -> Section:
    return Section("regime", "Regime", _table(tables.regime_rows(runs), tables.REGIME_ESSENTIAL) if runs else (),
                   intro=tables.REGIME_TITLE)


def claims_section(runs: list, judgements: list, missing: Sequence[str]) -> Section:
    return Section("claims", "Claims", _table(tables.claim_rows(judgements), tables.CLAIM_ESSENTIAL)
                   if judgements else ())


def attribution_section(runs: list, judgements: list, missing: Sequence[str]) -> Section:
    rows = tables.attribution_rows(judgements)  # only the factors whose claim was judged
    return Section("attribution", "Attribution", _table(rows, tables.ATTRIBUTION_ESSENTIAL) if rows else (),
                   caption="Attribution (each factor alone, from model3 / model4):",
                   short_caption="Attribution (each factor alone):")


def cost_section(runs: list, judgements: list, missing: Sequence[str]) -> Section:
    """Budgeted design only: what each verdict cost (output.verdict_costs)."""
    rows = verdict_costs.cost_rows(judgements)
    return Section("cost", "What each verdict cost", _table(rows, verdict_costs.COST_ESSENTIAL) if rows else (),
                   intro=verdict_costs.summary(judgements) if rows else None)


def missing_section(runs: list, judgements: list, missing: Sequence[str]) -> Section:
    """Cells and claims collected but never reported (the terminal says so on its own line: it passes none)."""
    return Section("missing", "Missing", (Items(tuple(missing)),) if missing else ())


SECTIONS: tuple[SectionBuilder, ...] = (variants_section, regime_section, claims_section, attribution_section,
                                        cost_section, missing_section)
IF_EMPTY = {"variants": "(none)"}  # the session files' placeholders: no runs, and the variant table reads "(none)"


def provenance_section(meta: dict) -> Section | None:
    """tables.md and the report (not the terminal): the commit and every installed distribution with its version
    (meta["provenance"], tp2core.provenance); None when the meta has none (e.g. an older results.json)."""
    prov = meta.get("provenance")
    if not prov:
        return None
    from ..provenance import describe_code

    dists = ", ".join(f"{name} {version}" for name, version in (prov.get("distributions") or {}).items())
    return Section("provenance", "Provenance", (Paragraph(f"Code: {describe_code(prov)}."),
                                                 Paragraph(f"Installed distributions: {dists or 'none recorded'}.")))


def _table(rows: list[dict], essential: tuple[str, ...]) -> tuple[Block, ...]:
    return (Table(tuple(rows), essential),)


def session_document(meta: dict, runs: list, judgements: list, missing: Sequence[str] = (), *,
                     title: str = "tp2 results", header: Section | None = None,
                     if_empty: Mapping[str, str] = IF_EMPTY) -> Document:
    """The header (``header_lines(meta)``, or the one given) and every section of ``SECTIONS`` with something to
    show; a section with nothing shows ``if_empty[key]`` as a paragraph, or is left out when it has no entry."""
    sections = [header or Section("header", None, (Items(tuple(tables.header_lines(meta))),))]
    for build in SECTIONS:
        section = build(runs, judgements, missing)
        if not section.blocks and section.key in if_empty:
            section = replace(section, blocks=(Paragraph(if_empty[section.key]),))
        if section.blocks:
            sections.append(section)
    return Document(title, tuple(sections))


# --- Markdown and HTML: html.py's block tuples ----------------------------------------------------------------------
def blocks(document: Document) -> list[tuple]:
    """The document as ``html.render_markdown`` / ``html.render_html`` blocks: h1 title, then each section's h2 and
    its blocks."""
    out: list[tuple] = [("h1", document.title)]
    for section in document.sections:
        if section.heading is not None:
            out.append(("h2", section.heading))
        if section.intro is not None:
            out.append(("p", section.intro))
        out += [_block(b) for b in section.blocks]
    return out


def _block(block: Block) -> tuple:
    if isinstance(block, Paragraph):
        return ("p", block.text)
    if isinstance(block, Items):
        return ("ul", list(block.lines))
    if isinstance(block, Table):
        return ("table", list(block.rows))
    if isinstance(block, Figure):
        return ("img", block.file)
    raise TypeError(f"unknown document block {block!r}: expected Paragraph, Items, Table or Figure")
