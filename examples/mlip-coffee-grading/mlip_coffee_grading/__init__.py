"""The instructor side of ``guards-coffee``, registered under ``mlip_autograder.grading``.

One hidden family (the public chaos check's verdict on scenarios drawn from the course's secret
seed) and the folder of the nbgrader source notebook with its solution.
"""

from __future__ import annotations

from mlip_autograder.hidden import AssignmentGrading, HiddenFamily, reseeded

__all__ = ["GRADING"]

GRADING = AssignmentGrading(
    assignment="guards-coffee",
    families=(
        HiddenFamily("guards-coffee", "hidden-chaos-seeds", "no-boil-over-under-chaos", reseeded),
    ),
    sources="mlip_coffee_grading:sources/guards-coffee",
)
