"""The assignment registry: every assignment comes from the ``mlip.assignments`` entry points.

The kit's assignments register exactly like a course's own package would (see
``pyproject.toml``): an entry point names an :class:`~mlip.assignments.Assignment` or a tuple of
them. Loading is lazy and cached, so ``import mlip.assignments`` stays cheap. A broken entry
point (import error, wrong type, duplicate id) is set aside with a one-line reason naming its
package; the other assignments keep working, and asking for a missing one says why.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from mlip.errors import UsageError

if TYPE_CHECKING:
    from mlip.assignments._catalogue import Assignment

__all__ = [
    "ENTRY_POINT_GROUP",
    "BrokenEntryPoint",
    "Registry",
    "checks_module",
    "registry",
    "resource_dir",
]

ENTRY_POINT_GROUP = "mlip.assignments"

#: The kit's own distribution: its assignments come first in the catalogue.
KIT_DISTRIBUTION = "mlip-kit"


@dataclass(frozen=True)
class BrokenEntryPoint:
    """An ``mlip.assignments`` entry point that could not be used, and why (one line)."""

    name: str
    package: str
    reason: str

    def describe(self) -> str:
        return f"assignment entry point {self.name!r} of package {self.package!r} {self.reason}"


@dataclass(frozen=True)
class Registry:
    """What the installed entry points registered: assignments in catalogue order, the broken."""

    assignments: tuple[Assignment, ...]
    broken: tuple[BrokenEntryPoint, ...]
    packages: dict[str, str]  # assignment id -> the distribution that registered it

    def problems(self) -> str:
        """``; `` joined descriptions of the broken entry points ('' when none)."""
        return "; ".join(broken.describe() for broken in self.broken)


def _package(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return str(dist.metadata["Name"]) if dist is not None else ep.module.split(".")[0]


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def _assignments_of(value: object) -> tuple[Assignment, ...] | None:
    from mlip.assignments._catalogue import Assignment

    if isinstance(value, Assignment):
        return (value,)
    if isinstance(value, Iterable) and not isinstance(value, str | bytes):
        items = tuple(value)
        if items and all(isinstance(item, Assignment) for item in items):
            return items
    return None


@cache
def registry() -> Registry:
    """Load every ``mlip.assignments`` entry point once (the kit's first, then by name)."""
    eps = sorted(
        entry_points(group=ENTRY_POINT_GROUP),
        key=lambda ep: (_package(ep) != KIT_DISTRIBUTION, ep.name),
    )
    found: list[Assignment] = []
    packages: dict[str, str] = {}
    broken: list[BrokenEntryPoint] = []
    for ep in eps:
        package = _package(ep)
        try:
            value = ep.load()
        except Exception as error:  # a course's broken plugin must not break the kit's own
            broken.append(BrokenEntryPoint(ep.name, package, f"failed to load: {_one_line(error)}"))
            continue
        assignments = _assignments_of(value)
        if assignments is None:
            reason = "names neither an mlip Assignment nor a tuple of them"
            broken.append(BrokenEntryPoint(ep.name, package, reason))
            continue
        taken = [a.id for a in assignments if a.id in packages]
        if taken:
            reason = f"registers {taken[0]!r}, already registered by {packages[taken[0]]!r}"
            broken.append(BrokenEntryPoint(ep.name, package, reason))
            continue
        for assignment in assignments:
            packages[assignment.id] = package
        found.extend(assignments)
    return Registry(tuple(found), tuple(broken), packages)


def checks_module(assignment: Assignment) -> ModuleType:
    """The module holding the assignment's public ``CHECKS`` and ``EXTENSIONS``."""
    try:
        module = importlib.import_module(assignment.checks_module)
    except Exception as error:
        package = registry().packages.get(assignment.id, assignment.checks_module.split(".")[0])
        raise UsageError(
            f"the checks of {assignment.id} ({assignment.checks_module}, package {package!r}) "
            f"failed to load: {_one_line(error)}"
        ) from error
    for name in ("CHECKS", "EXTENSIONS"):
        if not isinstance(getattr(module, name, None), tuple):
            raise UsageError(f"{assignment.checks_module} defines no tuple {name}")
    return module


def resource_dir(spec: str) -> Path:
    """The folder a ``"package:relative/folder"`` spec names inside an installed package."""
    from importlib.resources import files

    package, _, relative = spec.partition(":")
    try:
        root = Path(str(files(package)))
    except Exception as error:
        message = f"package {package!r} of {spec!r} failed to load: {_one_line(error)}"
        raise UsageError(message) from error
    return root / relative if relative else root
