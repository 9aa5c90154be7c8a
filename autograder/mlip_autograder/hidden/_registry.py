"""The instructor side of every assignment, from the ``mlip_autograder.grading`` entry points.

An entry point names an :class:`~mlip_autograder.hidden.AssignmentGrading` or a tuple of them:
the hidden check families and the nbgrader source folder of assignments that some package
registered under ``mlip.assignments``. The kit's own register here exactly like a course's own.
Loaded once, lazily; a broken entry point is set aside with a one-line reason naming its
package, and grading any other assignment is unaffected.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

from mlip.errors import UsageError
from mlip_autograder.hidden._families import AssignmentGrading, HiddenFamily

__all__ = ["GRADING_GROUP", "Gradings", "families_of", "gradings", "source_folders"]

GRADING_GROUP = "mlip_autograder.grading"


@dataclass(frozen=True)
class Gradings:
    """What the installed entry points registered, by assignment id, and what was broken."""

    by_assignment: dict[str, AssignmentGrading]
    broken: tuple[str, ...]

    @property
    def families(self) -> tuple[HiddenFamily, ...]:
        return tuple(f for grading in self.by_assignment.values() for f in grading.families)


def _package(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return str(dist.metadata["Name"]) if dist is not None else ep.module.split(".")[0]


def _gradings_of(value: object) -> tuple[AssignmentGrading, ...] | None:
    if isinstance(value, AssignmentGrading):
        return (value,)
    if isinstance(value, Iterable) and not isinstance(value, str | bytes):
        items = tuple(value)
        if items and all(isinstance(item, AssignmentGrading) for item in items):
            return items
    return None


def _problem(grading: AssignmentGrading, taken: dict[str, str]) -> str | None:
    if grading.assignment in taken:
        owner = taken[grading.assignment]
        return f"registers {grading.assignment!r}, already registered by {owner!r}"
    other = next((f for f in grading.families if f.assignment != grading.assignment), None)
    if other is not None:
        return f"puts family {other.name!r} of {other.assignment!r} under {grading.assignment!r}"
    return None


@cache
def gradings() -> Gradings:
    """Load every ``mlip_autograder.grading`` entry point once (the kit's first, then by name)."""
    eps = sorted(
        entry_points(group=GRADING_GROUP),
        key=lambda ep: (_package(ep) != "mlip-autograder", ep.name),
    )
    found: dict[str, AssignmentGrading] = {}
    packages: dict[str, str] = {}
    broken: list[str] = []
    for ep in eps:
        package = _package(ep)
        where = f"grading entry point {ep.name!r} of package {package!r}"
        try:
            value = ep.load()
        except Exception as error:  # a course's broken plugin must not stop the kit's grading
            first = (str(error).strip().splitlines() or [""])[0]
            broken.append(f"{where} failed to load: {type(error).__name__}: {first}")
            continue
        items = _gradings_of(value)
        if items is None:
            broken.append(f"{where} names neither an AssignmentGrading nor a tuple of them")
            continue
        problem = next((p for p in (_problem(g, packages) for g in items) if p), None)
        if problem is not None:
            broken.append(f"{where} {problem}")
            continue
        for grading in items:
            found[grading.assignment] = grading
            packages[grading.assignment] = package
    return Gradings(found, tuple(broken))


def families_of(assignment: str) -> tuple[HiddenFamily, ...]:
    """The hidden families registered for ``assignment`` (none: a broken entry point says why)."""
    registered = gradings()
    grading = registered.by_assignment.get(assignment)
    if grading is None:
        if registered.broken:
            raise UsageError(f"no hidden checks for {assignment}: " + "; ".join(registered.broken))
        return ()
    return grading.families


def source_folders() -> dict[str, Path]:
    """Assignment id -> its nbgrader source folder, for every registered assignment that has one."""
    folders: dict[str, Path] = {}
    for assignment, grading in gradings().by_assignment.items():
        try:
            folder = grading.source_dir()
        except UsageError:
            continue
        if folder.is_dir() and any(folder.glob("*.ipynb")):
            folders[assignment] = folder
    return folders
