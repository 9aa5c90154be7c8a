"""Hidden check families: run only by the instructor's judge, never shipped to students.

A hidden check reuses the *verdict* of a public check (what counts as safe does not change) on
scenarios students cannot see: seeds and condition combinations drawn from the course's secret
seed. Knowing this code does not help a student: the concrete scenarios depend on the secret.

Families register per assignment under the ``mlip_autograder.grading`` entry-point group, with
the assignment's nbgrader sources (:class:`AssignmentGrading`): the kit's and a course's alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlip_autograder.hidden._families import (
    AssignmentGrading,
    HiddenFamily,
    combined_conditions,
    hidden_check,
    hidden_seeds,
    reseeded,
    reseeded_runs,
    scenario_seed,
)
from mlip_autograder.hidden._registry import GRADING_GROUP, families_of, gradings, source_folders

__all__ = [
    "GRADING_GROUP",
    "HIDDEN_FAMILIES",
    "AssignmentGrading",
    "HiddenFamily",
    "combined_conditions",
    "families_of",
    "gradings",
    "hidden_check",
    "hidden_seeds",
    "reseeded",
    "reseeded_runs",
    "scenario_seed",
    "source_folders",
]

if TYPE_CHECKING:
    #: Every registered hidden family (all assignments), loaded on first use.
    HIDDEN_FAMILIES: tuple[HiddenFamily, ...]


def __getattr__(name: str) -> object:
    if name == "HIDDEN_FAMILIES":
        return gradings().families
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
