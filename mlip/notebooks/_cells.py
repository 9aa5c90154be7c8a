"""Reading notebook JSON: sources, nbgrader metadata, and which cells are graded how.

A *system-check cell* is a graded nbgrader code cell whose source calls
``system_check("ID", "NAME")`` or ``hidden_check("ID", "NAME")`` with literal names; every other
graded code cell (not a solution) is a *unit test*. The points story, ``mlip check`` and the
judge all ask :func:`check_call`, so they cannot disagree about a cell.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from mlip.errors import InputError

__all__ = [
    "CheckCell",
    "cell_role",
    "check_call",
    "check_cells",
    "grade_cells",
    "load_notebook",
    "nbgrader_meta",
    "source_text",
    "unit_test_cells",
]

_CHECK_CALL = re.compile(
    r"""\b(system_check|hidden_check)\(\s*["']([\w.-]+)["']\s*,\s*["']([\w.-]+)["']"""
)
_CELL_TYPES = frozenset({"code", "markdown", "raw"})


def source_text(cell: dict[str, Any]) -> str:
    """A cell's source as one string (notebook JSON may store it as a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def nbgrader_meta(cell: dict[str, Any]) -> dict[str, Any]:
    """The cell's nbgrader metadata (empty for ordinary cells or malformed metadata)."""
    metadata = cell.get("metadata")
    meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return meta if isinstance(meta, dict) else {}


def load_notebook(path: Path) -> dict[str, Any]:
    """Parse a notebook's JSON, with one clear message for every way it can be unusable."""
    if not path.is_file():
        raise InputError(f"notebook {path.name} is missing from {path.parent}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{path.name} is not a text file; restore the notebook") from None
    except json.JSONDecodeError as error:
        raise InputError(
            f"{path.name} is not valid notebook JSON (line {error.lineno}, column {error.colno}: "
            f"{error.msg}); undo your last edit outside Jupyter or restore the notebook"
        ) from None
    except OSError as error:
        raise InputError(f"{path.name}: not a readable notebook ({error.strerror})") from None
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list) or not all(
        isinstance(cell, dict) and cell.get("cell_type") in _CELL_TYPES for cell in cells
    ):
        raise InputError(f"{path.name} is JSON but not a Jupyter notebook (no valid 'cells')")
    return data


def check_call(source: str) -> tuple[bool, str, str] | None:
    """``(public, assignment, check)`` when ``source`` calls a system check, else None."""
    match = _CHECK_CALL.search(source)
    if match is None:
        return None
    kind, assignment, check = match.groups()
    return kind == "system_check", assignment, check


def cell_role(cell: dict[str, Any]) -> Literal["check", "test", "code", "text"]:
    """``check`` (a system-check cell), ``test`` (a graded unit test), ``code`` or ``text``."""
    if cell.get("cell_type") != "code":
        return "text"
    meta = nbgrader_meta(cell)
    if meta.get("grade") and not meta.get("solution"):
        return "check" if check_call(source_text(cell)) else "test"
    return "code"


def grade_cells(notebook: dict[str, Any]) -> dict[int, tuple[str, float]]:
    """Graded code cells by index: ``{index: (grade_id, points)}`` (solution cells excluded)."""
    cells: dict[int, tuple[str, float]] = {}
    for index, cell in enumerate(notebook.get("cells", [])):
        if cell_role(cell) in {"check", "test"}:
            meta = nbgrader_meta(cell)
            cells[index] = (str(meta.get("grade_id", index)), float(meta.get("points", 0) or 0))
    return cells


@dataclass(frozen=True)
class CheckCell:
    """One system-check cell: where it is, which check it names, how many points it carries."""

    index: int
    grade_id: str
    assignment: str
    check: str
    public: bool
    points: float


def check_cells(notebook: dict[str, Any]) -> list[CheckCell]:
    """Every system-check cell of ``notebook``, in order."""
    found: list[CheckCell] = []
    for index, (grade_id, points) in grade_cells(notebook).items():
        call = check_call(source_text(notebook["cells"][index]))
        if call is not None:
            public, assignment, check = call
            found.append(CheckCell(index, grade_id, assignment, check, public, points))
    return found


def unit_test_cells(notebook: dict[str, Any]) -> list[int]:
    """Graded code cells that are not system checks: the notebook's unit tests, by index."""
    checks = {cell.index for cell in check_cells(notebook)}
    return [index for index in grade_cells(notebook) if index not in checks]
