"""``mlip assignments list``: every registered assignment (the kit's and a course's)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlip.assignments import ASSIGNMENTS, Assignment, registry_problems
from mlip.errors import UsageError

__all__ = ["AssignmentListing", "list_assignments"]


@dataclass(frozen=True)
class AssignmentListing:
    """The catalogue, optionally filtered by topic; ``problems``: entry points that failed."""

    assignments: tuple[Assignment, ...]
    problems: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        from mlip.assignments import assignment_points

        listed = []
        for assignment in self.assignments:
            points = assignment_points(assignment.id)
            # the total every other view shows (checks, unit tests and hand-graded parts)
            entry = {**assignment.to_dict(), "points": points.total}
            listed.append({**entry, "points_breakdown": points.to_dict()})
        return {"assignments": listed, "problems": list(self.problems)}


def list_assignments(*, topic: str | None = None) -> AssignmentListing:
    """Every registered assignment (of ``topic`` if given), in catalogue order."""
    chosen: list[Assignment] = []
    problems = list(registry_problems())
    for assignment in ASSIGNMENTS:
        if topic is not None and assignment.topic != topic:
            continue
        try:
            _ = assignment.checks  # a broken checks module is named; the rest stay listed
        except UsageError as error:
            problems.append(str(error))
            continue
        chosen.append(assignment)
    return AssignmentListing(assignments=tuple(chosen), problems=tuple(problems))
