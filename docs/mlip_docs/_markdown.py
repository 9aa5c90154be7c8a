"""Small helpers to write Markdown tables safely from code data."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

__all__ = ["cell", "code", "table"]


def cell(text: object) -> str:
    """Text safe inside a Markdown table cell (pipes escaped, newlines folded)."""
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def code(text: object) -> str:
    """Inline code that survives pipes and backticks inside table cells.

    A pipe inside a backtick span stays a literal ``\\|`` in Python-Markdown (mkdocs),
    mistune (nbconvert, nbgrader feedback) and JupyterLab disagree on it, so code with a pipe
    is written as ``<code>`` HTML with ``&#124;``: every renderer shows ``str | None``.
    """
    raw = str(text).replace("\n", " ").strip()
    if "|" in raw:
        return "<code>" + html.escape(raw, quote=False).replace("|", "&#124;") + "</code>"
    value = cell(raw)
    fence = "``" if "`" in value else "`"
    pad = " " if "`" in value else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A GitHub-style Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(value) for value in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"
