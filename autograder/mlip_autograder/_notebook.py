"""Reading submissions: which cells are system checks, and restoring locked cells.

A *system-check cell* is a graded nbgrader cell whose code calls ``system_check("ID", "NAME")``
or ``hidden_check("ID", "NAME")``. Those cells are never executed in the sandbox: the judge
decides their points and writes their outputs. Every other code cell runs in the sandbox, after
locked and test cells have been restored from the instructor's source (as nbgrader's
``OverwriteCells`` does), so editing a test cell gains nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlip.errors import InputError

__all__ = [
    "CheckCell",
    "check_cells",
    "grade_cells",
    "load_notebook",
    "restore_locked_cells",
    "source_text",
    "tampering",
    "trusted_setup",
    "unit_test_cells",
]

_CHECK_CALL = re.compile(
    r"""\b(system_check|hidden_check)\(\s*["']([\w.-]+)["']\s*,\s*["']([\w.-]+)["']"""
)


@dataclass(frozen=True)
class CheckCell:
    """One system-check cell: where it is, which check it names, how many points it carries."""

    index: int
    grade_id: str
    assignment: str
    check: str
    public: bool
    points: float


def source_text(cell: dict[str, Any]) -> str:
    """A cell's source as one string (nbformat allows a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _nbgrader(cell: dict[str, Any]) -> dict[str, Any]:
    metadata = cell.get("metadata", {})
    data = metadata.get("nbgrader", {}) if isinstance(metadata, dict) else {}
    return data if isinstance(data, dict) else {}


def load_notebook(path: Path) -> dict[str, Any]:
    """A notebook as plain JSON; :class:`InputError` with one line when it is not a notebook."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise InputError(
            f"{path.name}: not a readable notebook ({type(error).__name__})"
        ) from error
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise InputError(f"{path.name}: not a notebook (no list of cells)")
    for cell in data["cells"]:
        if not isinstance(cell, dict) or "cell_type" not in cell:
            raise InputError(f"{path.name}: not a notebook (a cell has no type)")
    return data


def grade_cells(notebook: dict[str, Any]) -> dict[int, tuple[str, float]]:
    """Graded code cells by index: ``{index: (grade_id, points)}`` (solution cells excluded)."""
    cells: dict[int, tuple[str, float]] = {}
    for index, cell in enumerate(notebook.get("cells", [])):
        meta = _nbgrader(cell)
        if cell.get("cell_type") == "code" and meta.get("grade") and not meta.get("solution"):
            cells[index] = (str(meta.get("grade_id", index)), float(meta.get("points", 0) or 0))
    return cells


def check_cells(notebook: dict[str, Any]) -> list[CheckCell]:
    """Every system-check cell of ``notebook``, in order."""
    found: list[CheckCell] = []
    graded = grade_cells(notebook)
    for index, cell in enumerate(notebook.get("cells", [])):
        if index not in graded:
            continue
        match = _CHECK_CALL.search(source_text(cell))
        if match is None:
            continue
        kind, assignment, check = match.groups()
        grade_id, points = graded[index]
        found.append(CheckCell(index, grade_id, assignment, check, kind == "system_check", points))
    return found


def unit_test_cells(notebook: dict[str, Any]) -> list[int]:
    """Graded code cells that are not system checks: the notebook's unit tests, by index."""
    checks = {cell.index for cell in check_cells(notebook)}
    return [index for index in grade_cells(notebook) if index not in checks]


def trusted_setup(source: dict[str, Any]) -> str:
    """Instructor code the judge may run itself before a unit test: the source notebook's locked
    cells that are neither graded nor solutions (imports, ``system = load_system(...)``) and the
    top-level imports of its other code cells (``import math`` above a solution).

    Taken from the instructor's source only, never from a submission: this code runs in the
    judge's process, where the verdict is decided.
    """
    import ast

    parts: list[str] = []
    for cell in source.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        meta = _nbgrader(cell)
        text = source_text(cell)
        if meta.get("locked") and not meta.get("grade") and not meta.get("solution"):
            parts.append(text)
            continue
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        parts += [
            ast.unparse(node) for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)
        ]
    return "\n".join(parts) + "\n"


def tampering(submitted: dict[str, Any], source: dict[str, Any]) -> str | None:
    """Why ``submitted`` was tampered with (a graded cell duplicated or deleted), else None."""
    seen: dict[str, int] = {}
    for cell in submitted.get("cells", []):
        grade_id = _nbgrader(cell).get("grade_id")
        if grade_id is not None:
            seen[str(grade_id)] = seen.get(str(grade_id), 0) + 1
    duplicated = sorted(name for name, count in seen.items() if count > 1)
    if duplicated:
        return (
            f"cell {duplicated[0]!r} appears {seen[duplicated[0]]} times: graded cells must "
            "not be copied (start again from the release copy and keep each cell once)"
        )
    for cell in source.get("cells", []):
        meta = _nbgrader(cell)
        if meta.get("grade") and str(meta.get("grade_id")) not in seen:
            return (
                f"graded cell {meta.get('grade_id')!r} is missing: graded cells must not be "
                "deleted (copy it back from the release copy)"
            )
    return None


def restore_locked_cells(submitted: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``submitted`` whose locked and test cells carry the source's code again.

    Cells are matched by ``grade_id``; solution cells keep the student's code.
    """
    originals: dict[str, dict[str, Any]] = {}
    for cell in source.get("cells", []):
        meta = _nbgrader(cell)
        if (
            "grade_id" in meta
            and (meta.get("locked") or meta.get("grade"))
            and not meta.get("solution")
        ):
            originals[str(meta["grade_id"])] = cell
    restored = json.loads(json.dumps(submitted))
    for cell in restored["cells"]:
        grade_id = _nbgrader(cell).get("grade_id")
        original = originals.get(str(grade_id)) if grade_id is not None else None
        if original is not None:
            cell["source"] = source_text(original)
            cell["cell_type"] = original.get("cell_type", cell["cell_type"])
            cell.setdefault("metadata", {})["nbgrader"] = dict(_nbgrader(original))
    return restored
