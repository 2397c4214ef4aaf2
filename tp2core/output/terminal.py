"""The document in the terminal (the pytest summary): each table fitted to the width on its essential columns, or
every column unfitted (``wide``: -v / --tp2-wide). tables.md, results.json and the report keep every column."""

from __future__ import annotations

import textwrap

from . import tables
from .document import Document, Figure, Items, Paragraph, Section, Table, session_document

WIDE_NOTE = "(essential columns; every column with -v or --tp2-wide, and in tables.md)"


def render(document: Document, *, width: int = 120, wide: bool = False, fmt: str = "simple") -> str:
    """The sections one after another, a blank line between; ``wide``: every column in ``fmt`` and lines as they
    are; else essential columns fitted to ``width``, lines wrapped or cut to it, and a note saying so."""
    parts: list[str] = []
    for section in document.sections:
        if parts:
            parts.append("")
        parts += _section(section, width, wide, fmt)
    if not wide:
        parts += ["", tables.abbreviate(WIDE_NOTE, width)]
    return "\n".join(parts)


def _section(section: Section, width: int, wide: bool, fmt: str) -> list[str]:
    caption = section.caption or section.intro or (f"{section.heading}:" if section.heading is not None else None)
    lines = [] if caption is None else [caption if wide else section.short_caption or tables.abbreviate(caption, width)]
    for block in section.blocks:
        lines += _block(block, width, wide, fmt)
    return lines


def _block(block, width: int, wide: bool, fmt: str) -> list[str]:
    if isinstance(block, Table):
        rows = list(block.rows)
        if wide:
            return [tables.render(rows, fmt)]
        return [tables.fit_columns(tables.select_columns(rows, block.essential), width, block.essential or
                                   tuple(rows[0])) if rows else "(none)"]
    if isinstance(block, Items):
        return list(block.lines) if wide else [
            w for line in block.lines for w in textwrap.wrap(line, width, subsequent_indent="  ") or [""]]
    if isinstance(block, Paragraph):
        return [block.text] if wide else textwrap.wrap(block.text, width) or [""]
    if isinstance(block, Figure):
        return [f"figure: {block.file.title} ({block.file.path})"]
    raise TypeError(f"unknown document block {block!r}")


def render_terminal(meta: dict, runs: list, judgements: list, *, width: int = 120, wide: bool = False) -> str:
    """The session document for a terminal ``width`` columns wide: the essential columns, header lines wrapped, each
    table fitted; ``wide``: every column, unfitted (as asked)."""
    return render(session_document(meta, runs, judgements), width=width, wide=wide)


def render_all(meta: dict, runs: list, judgements: list, fmt: str = "github") -> str:
    """The session document with every column, tables in ``fmt`` (tabulate's name), nothing fitted."""
    return render(session_document(meta, runs, judgements), wide=True, fmt=fmt)


SOURCE_LINES = 2  # the dataset-source line of the pytest header: at most this many terminal lines (-v: in full)
FULL_HINT = " (-v: in full)"


def pytest_header(meta: dict, store: str, *, verbose: bool = False, width: int = 120) -> list[str]:
    """tp2's lines of the pytest header: dataset, its source cut to ``SOURCE_LINES`` lines of ``width`` (-v: in
    full, with every place an `auto` dataset was searched for), profile, seeds and store."""
    source = f"tp2 dataset source: {meta['dataset_source']}"
    limit = SOURCE_LINES * width
    if not verbose and len(source) > limit:
        source = source[: limit - len(FULL_HINT) - 1] + "…" + FULL_HINT
    searched = [f"tp2 searched: {place}" for place in meta.get("dataset_searched", ())] if verbose else []
    return [f"tp2 dataset: {meta['dataset_label']}", source, *searched,
            f"tp2 profile: {meta['profile']}; {_design(meta)}; store: {store}"]


def _design(meta: dict) -> str:
    """The design's clause of the header (claims.design.Design.short); the seeds where none is recorded."""
    from ..claims.design import Design

    return Design.from_dict(meta["design"]).short() if meta.get("design") else f"seeds per variant: {meta['seeds']}"
