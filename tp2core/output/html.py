"""A document's blocks (``document.blocks``), two renderings: Markdown (``tables.md``, ``report.md``, images linked)
and a self-contained HTML page (``report.html``: inline CSS, images embedded as base64 data URIs, no script, no
external resource), so the HTML opens offline and can be mailed or attached to a CI run as one file.

A document is a list of blocks, each a tuple whose first item is its kind:
``("h1"|"h2"|"h3"|"p", text)``, ``("ul", [text, …])``, ``("table", rows)`` (rows: list of dicts, rendered with
tabulate), ``("pre", text)``, ``("img", FigureFile)``.
"""

from __future__ import annotations

import base64
import html

from tabulate import tabulate

from .figures import FigureFile

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto; max-width: 1400px;
       padding: 0 1em; color: #1a1a1a; line-height: 1.45; }
h1 { border-bottom: 2px solid #444; padding-bottom: .2em; }
h2 { border-bottom: 1px solid #bbb; margin-top: 2em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.88em; }
th, td { border: 1px solid #ccc; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
tr:nth-child(even) td { background: #fafafa; }
figure { margin: 1em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: 0.9em; color: #444; }
pre { background: #f6f6f6; padding: .6em; overflow-x: auto; }
.note { background: #fff4d6; border-left: 4px solid #e0a800; padding: .4em .8em; }
"""


def render_markdown(blocks: list[tuple]) -> str:
    out: list[str] = []
    for kind, value in blocks:
        if kind in ("h1", "h2", "h3"):
            out.append("#" * int(kind[1]) + " " + value)
        elif kind == "p":
            out.append(value)
        elif kind == "ul":
            out.append("\n".join(f"- {item}" for item in value))
        elif kind == "table":
            out.append(_table(value, "github"))
        elif kind == "pre":
            out.append("```\n" + value + "\n```")
        elif kind == "img":
            out.append(f"![{value.title}]({value.path.name})\n\n*{value.caption}*")
        else:
            raise ValueError(f"unknown report block kind {kind!r}")
    return "\n\n".join(out) + "\n"


def render_html(blocks: list[tuple], title: str) -> str:
    body: list[str] = []
    for kind, value in blocks:
        if kind in ("h1", "h2", "h3"):
            body.append(f"<{kind} id=\"{_anchor(value)}\">{html.escape(value)}</{kind}>")
        elif kind == "p":
            cls = ' class="note"' if value.startswith(("NOTE", "**NOTE")) else ""
            body.append(f"<p{cls}>{_inline(value)}</p>")
        elif kind == "ul":
            body.append("<ul>" + "".join(f"<li>{_inline(item)}</li>" for item in value) + "</ul>")
        elif kind == "table":
            body.append(_table(value, "html"))  # tabulate's "html" format escapes cell text
        elif kind == "pre":
            body.append(f"<pre>{html.escape(value)}</pre>")
        elif kind == "img":
            body.append(_figure(value))
        else:
            raise ValueError(f"unknown report block kind {kind!r}")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def _figure(fig: FigureFile) -> str:
    data = base64.b64encode(fig.path.read_bytes()).decode("ascii")
    return (f"<figure><img src=\"data:image/png;base64,{data}\" alt=\"{html.escape(fig.title, quote=True)}\" "
            f"width=\"{fig.width_px}\" height=\"{fig.height_px}\" data-file=\"{html.escape(fig.path.name)}\">"
            f"<figcaption>{html.escape(fig.caption)}</figcaption></figure>")


def _table(rows: list[dict], fmt: str) -> str:
    if not rows:
        return "(none)"
    keys = list(dict.fromkeys(k for row in rows for k in row))  # claim_rows mixes short and long rows
    return tabulate([[row.get(k, "") for k in keys] for row in rows], headers=keys, tablefmt=fmt,
                    disable_numparse=True)


def _inline(text: str) -> str:
    """Escape, then the only Markdown the report itself writes: **bold** and `code`."""
    out, bold, code = [], False, False
    for i, part in enumerate(html.escape(text).split("**")):
        if i:
            out.append("</strong>" if bold else "<strong>")
            bold = not bold
        pieces = part.split("`")
        for j, piece in enumerate(pieces):
            if j:
                out.append("</code>" if code else "<code>")
                code = not code
            out.append(piece)
    return "".join(out) + ("</code>" if code else "") + ("</strong>" if bold else "")


def _anchor(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")
