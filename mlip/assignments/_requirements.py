"""Topic data for the *requirements and risk* assignments: REQ/ASM/SPEC and fault trees."""

from __future__ import annotations

from mlip.assignments._catalogue import Assignment, Chapter, CheckDeclaration, Task

__all__ = ["REQUIREMENTS_ASSIGNMENTS", "REQUIREMENTS_CHAPTER"]

REQUIREMENTS_CHAPTER = Chapter(
    number=6, title="Gathering Requirements", slug="06-gathering-requirements"
)

_NOTEBOOKS = ("requirements.ipynb",)

_TASKS = (
    Task("goals", "goals() -> list[Goal]", "goals at system, user and model level with measures"),
    Task(
        "requirements",
        "requirements() -> list[Requirement | Specification | Assumption]",
        "REQ, SPEC and ASM statements measurable over the telemetry",
    ),
    Task("fault_tree", "fault_tree() -> FaultTree", "a fault tree for the system's top hazard"),
    Task(
        "mitigations",
        "mitigations() -> list[Mitigation]",
        "the design changes that break the tree's minimal cut sets",
    ),
)

_HIDDEN = (
    CheckDeclaration("hidden-assumption-breaks", 3, "assumptions on unseen seeds"),
    CheckDeclaration("hidden-hazard-paths", 3, "hazard paths on unseen scenarios"),
)


def _assignment(system: str, title: str) -> Assignment:
    return Assignment(
        id=f"requirements-{system}",
        title=title,
        topic="requirements",
        system=system,
        chapter=REQUIREMENTS_CHAPTER,
        notebooks=_NOTEBOOKS,
        tasks=_TASKS,
        checks_module=f"mlip.checks.requirements_{system}",
        release=f"mlip.assignments:release/requirements-{system}",
        hidden=_HIDDEN,
    )


REQUIREMENTS_ASSIGNMENTS: tuple[Assignment, ...] = (
    _assignment("toaster", "Requirements and a fault tree for the smart toaster"),
    _assignment("tax", "Requirements and a fault tree for the tax software's advice"),
    _assignment("transcription", "Requirements and a fault tree for published transcripts"),
)
