"""The assignment catalogue: which assignments the kit ships and where their release copies are.

An assignment applies a *topic* (guards, monitoring, requirements) to one running system; its id
is ``TOPIC-SYSTEM``. Release copies (nbgrader ``generate_assignment`` output, no solutions) ship
as package data under ``mlip/assignments/release/<id>/``. Importing this module is cheap.
"""

from __future__ import annotations

from pathlib import Path

from mlip.assignments._catalogue import Assignment, Chapter, CheckDeclaration, Task
from mlip.assignments._guards import GUARDS_ASSIGNMENTS
from mlip.assignments._monitoring import MONITORING_ASSIGNMENTS
from mlip.assignments._points import PointsBreakdown, assignment_points
from mlip.assignments._requirements import REQUIREMENTS_ASSIGNMENTS
from mlip.errors import UnknownAssignmentError

__all__ = [
    "ASSIGNMENTS",
    "Assignment",
    "Chapter",
    "CheckDeclaration",
    "PointsBreakdown",
    "Task",
    "assignment_ids",
    "assignment_points",
    "get_assignment",
    "release_dir",
]

#: Every assignment the kit ships, in catalogue order.
ASSIGNMENTS: tuple[Assignment, ...] = (
    GUARDS_ASSIGNMENTS + MONITORING_ASSIGNMENTS + REQUIREMENTS_ASSIGNMENTS
)

RELEASE_ROOT = Path(__file__).resolve().parent / "release"


def assignment_ids() -> list[str]:
    """Ids of every shipped assignment, in catalogue order."""
    return [assignment.id for assignment in ASSIGNMENTS]


def get_assignment(assignment_id: str) -> Assignment:
    """The assignment ``assignment_id``; an :class:`UnknownAssignmentError` lists the known ids."""
    for assignment in ASSIGNMENTS:
        if assignment.id == assignment_id:
            return assignment
    raise UnknownAssignmentError(assignment_id, assignment_ids())


def release_dir(assignment_id: str) -> Path:
    """Folder holding the release (student) copy of the assignment's notebooks."""
    return RELEASE_ROOT / get_assignment(assignment_id).id
