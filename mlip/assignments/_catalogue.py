"""Data types of the assignment catalogue (no heavy imports: ``mlip assignments list`` is fast)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

__all__ = ["Assignment", "Chapter", "CheckDeclaration", "Task"]

BOOK_URL = "https://mlip-cmu.github.io/book/"


@dataclass(frozen=True)
class Chapter:
    """The book chapter an assignment belongs to (we link to it, never copy from it)."""

    number: int
    title: str
    slug: str

    @property
    def url(self) -> str:
        """Link to the chapter in the online book."""
        return f"{BOOK_URL}{self.slug}.html"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {"number": self.number, "title": self.title, "url": self.url}


@dataclass(frozen=True)
class CheckDeclaration:
    """A check an assignment is graded with: public ones run in ``mlip check``.

    Hidden checks are declared by name, points and summary only; their scenarios and verdicts
    live in the instructor's autograder, never in the student kit.
    """

    name: str
    points: float
    summary: str
    public: bool = True

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {
            "name": self.name,
            "points": self.points,
            "summary": self.summary,
            "public": self.public,
        }


@dataclass(frozen=True)
class Task:
    """One thing the student writes: an extension function with its signature."""

    extension: str
    signature: str
    goal: str


@dataclass(frozen=True)
class Assignment:
    """One assignment: a topic applied to one running system, e.g. ``guards-toaster``.

    The student side of an assignment, stated once and registered under the
    ``mlip.assignments`` entry-point group (the kit's own and a course's alike):

    - ``checks_module`` names the module defining the public ``CHECKS`` (name, points, summary
      of each: the catalogue, notebooks, docs and ``mlip check`` read them from there) and the
      ``EXTENSIONS`` the student implements;
    - ``hidden`` declares the hidden checks by name, points and summary only: their scenarios
      live in the instructor's autograder (group ``mlip_autograder.grading``);
    - ``release`` is ``"package:folder"``, the folder of the release (solution-free) notebooks.
    """

    id: str
    title: str
    topic: str
    system: str
    chapter: Chapter
    notebooks: tuple[str, ...]
    tasks: tuple[Task, ...]
    checks_module: str
    release: str
    hidden: tuple[CheckDeclaration, ...] = ()

    @cached_property
    def checks(self) -> tuple[CheckDeclaration, ...]:
        """Every check: the public ones as the checks module defines them, then the hidden."""
        from mlip.assignments._registry import checks_module

        public = tuple(
            CheckDeclaration(check.name, check.max_points, check.summary)
            for check in checks_module(self).CHECKS
        )
        return public + tuple(replace(check, public=False) for check in self.hidden)

    @property
    def public_checks(self) -> tuple[CheckDeclaration, ...]:
        """Checks students can run themselves with ``mlip check``."""
        return tuple(check for check in self.checks if check.public)

    @property
    def hidden_checks(self) -> tuple[CheckDeclaration, ...]:
        """Checks only the autograder runs (declared here by name only)."""
        return tuple(check for check in self.checks if not check.public)

    @property
    def extension_names(self) -> tuple[str, ...]:
        """The extension functions the student's notebook must define."""
        return tuple(task.extension for task in self.tasks)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {
            "id": self.id,
            "title": self.title,
            "topic": self.topic,
            "system": self.system,
            "chapter": self.chapter.to_dict(),
            "notebooks": list(self.notebooks),
            "extensions": list(self.extension_names),
            "public_checks": [check.name for check in self.public_checks],
            "hidden_checks": [check.name for check in self.hidden_checks],
            "points": sum(check.points for check in self.checks),
        }
