"""One points story: an assignment's total, split into the kinds of work that earn it.

Every place that shows points (``mlip assignments list``, ``mlip check``, the docs pages, the
instructor's grades and exports, the Gradescope results) computes them here, from the nbgrader
metadata of the assignment's notebooks, so they cannot disagree: system-check cells are public
or hidden checks, other graded code cells are unit tests, graded answer cells (and nbgrader
tasks) are graded by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlip.notebooks import check_call, source_text

__all__ = ["PointsBreakdown", "assignment_points", "cell_kind", "notebook_points"]

#: The kinds of graded cell, in the order they are shown.
KINDS = ("public_checks", "hidden_checks", "unit_tests", "hand_graded")


@dataclass(frozen=True)
class PointsBreakdown:
    """Points of an assignment by kind; ``total`` is their sum."""

    public_checks: float = 0.0
    hidden_checks: float = 0.0
    unit_tests: float = 0.0
    hand_graded: float = 0.0

    @property
    def total(self) -> float:
        return round(sum(getattr(self, kind) for kind in KINDS), 2)

    def __add__(self, other: PointsBreakdown) -> PointsBreakdown:
        return PointsBreakdown(
            *(round(getattr(self, kind) + getattr(other, kind), 2) for kind in KINDS)
        )

    def describe(self) -> str:
        """``28 = 16 public checks + 6 hidden checks + 4 unit tests + 2 hand-graded``."""
        words = {
            "public_checks": "public checks",
            "hidden_checks": "hidden checks",
            "unit_tests": "unit tests",
            "hand_graded": "hand-graded",
        }
        parts = [f"{getattr(self, kind):g} {words[kind]}" for kind in KINDS if getattr(self, kind)]
        return f"{self.total:g} = " + " + ".join(parts) if parts else "0"

    def to_dict(self) -> dict[str, float]:
        return {**{kind: float(getattr(self, kind)) for kind in KINDS}, "total": self.total}


def cell_kind(cell: dict[str, Any]) -> str | None:
    """Which of :data:`KINDS` a cell's points count as (``None``: the cell carries none)."""
    metadata = cell.get("metadata", {})
    meta = metadata.get("nbgrader", {}) if isinstance(metadata, dict) else {}
    if not isinstance(meta, dict) or not (meta.get("grade") or meta.get("task")):
        return None
    if meta.get("task") or meta.get("solution") or cell.get("cell_type") != "code":
        return "hand_graded"
    call = check_call(source_text(cell))
    if call is None:
        return "unit_tests"
    return "public_checks" if call[0] else "hidden_checks"


def notebook_points(notebook: dict[str, Any]) -> PointsBreakdown:
    """The points of one notebook (nbgrader JSON), by kind."""
    totals = dict.fromkeys(KINDS, 0.0)
    for cell in notebook.get("cells", []):
        kind = cell_kind(cell) if isinstance(cell, dict) else None
        if kind is not None:
            points = cell.get("metadata", {}).get("nbgrader", {}).get("points", 0) or 0
            totals[kind] += float(points)
    return PointsBreakdown(**{kind: round(value, 2) for kind, value in totals.items()})


def folder_points(folder: Path) -> PointsBreakdown:
    """The points of every notebook in ``folder`` (an nbgrader source or release folder)."""
    total = PointsBreakdown()
    for path in sorted(folder.glob("*.ipynb")):
        total = total + notebook_points(json.loads(path.read_text(encoding="utf-8")))
    return total


def assignment_points(assignment_id: str) -> PointsBreakdown:
    """The points of a kit assignment, from the release notebooks the kit ships."""
    from mlip.assignments import release_dir

    return folder_points(release_dir(assignment_id))
