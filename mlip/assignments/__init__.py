"""The assignment catalogue: every registered assignment and where its release copy is.

An assignment applies a *topic* (guards, monitoring, requirements) to one running system; its id
is ``TOPIC-SYSTEM``. Assignments register under the ``mlip.assignments`` entry-point group, the
kit's own exactly like a course's own (:mod:`mlip.assignments._registry`). Release copies
(nbgrader ``generate_assignment`` output, no solutions) ship as package data of the registering
package (the kit's under ``mlip/assignments/release/<id>/``). Importing this module is cheap:
entry points load on first use.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mlip.assignments._catalogue import Assignment, Chapter, CheckDeclaration, Task
from mlip.assignments._points import (
    KINDS,
    PointsBreakdown,
    assignment_points,
    cell_kind,
    folder_points,
    notebook_points,
)
from mlip.assignments._registry import ENTRY_POINT_GROUP, registry, resource_dir
from mlip.errors import UnknownAssignmentError

__all__ = [
    "ASSIGNMENTS",
    "ENTRY_POINT_GROUP",
    "KINDS",
    "Assignment",
    "Chapter",
    "CheckDeclaration",
    "PointsBreakdown",
    "Task",
    "assignment_ids",
    "assignment_points",
    "cell_kind",
    "folder_points",
    "get_assignment",
    "notebook_points",
    "registry_problems",
    "release_dir",
    "resource_dir",
]

if TYPE_CHECKING:
    #: Every registered assignment, in catalogue order (the kit's first).
    ASSIGNMENTS: tuple[Assignment, ...]


def __getattr__(name: str) -> object:
    if name == "ASSIGNMENTS":  # computed on first use: loading entry points costs time
        return registry().assignments
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def registry_problems() -> tuple[str, ...]:
    """One line per ``mlip.assignments`` entry point that could not be used."""
    return tuple(broken.describe() for broken in registry().broken)


def assignment_ids() -> list[str]:
    """Ids of every registered assignment, in catalogue order."""
    return [assignment.id for assignment in registry().assignments]


def get_assignment(assignment_id: str) -> Assignment:
    """The assignment ``assignment_id``; an :class:`UnknownAssignmentError` lists the known ids
    (and a broken entry point that might have registered it is named instead)."""
    found = registry()
    for assignment in found.assignments:
        if assignment.id == assignment_id:
            return assignment
    error = UnknownAssignmentError(assignment_id, assignment_ids())
    if found.broken:  # the one a course meant may be the one that failed to load
        error.args = (f"{error}; {found.problems()}",)
    raise error


def release_dir(assignment_id: str) -> Path:
    """Folder holding the release (student) copy of the assignment's notebooks."""
    return resource_dir(get_assignment(assignment_id).release)
