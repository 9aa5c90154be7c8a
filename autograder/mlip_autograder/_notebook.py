"""Reading submissions: which cells are system checks, and restoring locked cells.

Which cell is what comes from :mod:`mlip.notebooks` (re-exported here), the one place that
reads notebooks for ``mlip check``, ``mlip submit`` and the judge. A *system-check cell* is a
graded nbgrader cell whose code calls ``system_check("ID", "NAME")`` or
``hidden_check("ID", "NAME")``. Those cells are never executed in the sandbox: the judge
decides their points and writes their outputs. Every other code cell runs in the sandbox, after
locked and test cells have been restored from the instructor's source (as nbgrader's
``OverwriteCells`` does), so editing a test cell gains nothing.
"""

from __future__ import annotations

import json
from typing import Any

from mlip.notebooks import (
    CheckCell,
    check_cells,
    grade_cells,
    load_notebook,
    source_text,
    unit_test_cells,
)
from mlip.notebooks import nbgrader_meta as _nbgrader

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
