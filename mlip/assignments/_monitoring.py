"""Topic data for the *monitoring* assignments: watch a running system's telemetry for drift."""

from __future__ import annotations

from mlip.assignments._catalogue import Assignment, Chapter, CheckDeclaration, Task

__all__ = ["MONITORING_ASSIGNMENTS", "MONITORING_CHAPTER"]

MONITORING_CHAPTER = Chapter(
    number=13, title="Planning for Operations", slug="13-planning-for-operations"
)

_NOTEBOOKS = ("monitoring.ipynb",)

_TASKS = (
    Task(
        "monitor",
        "monitor(event: dict) -> str | None",
        "look at each telemetry event and return a reason string when the system has drifted",
    ),
    Task(
        "reset_monitor",
        "reset_monitor() -> None",
        "forget everything the monitor learned (called before each new stream)",
    ),
)


_HIDDEN = (CheckDeclaration("hidden-drift-seeds", 3, "the same drifts on unseen seeds and onsets"),)


def _assignment(system: str, title: str) -> Assignment:
    return Assignment(
        id=f"monitoring-{system}",
        title=title,
        topic="monitoring",
        system=system,
        chapter=MONITORING_CHAPTER,
        notebooks=_NOTEBOOKS,
        tasks=_TASKS,
        checks_module=f"mlip.checks.monitoring_{system}",
        release=f"mlip.assignments:release/monitoring-{system}",
        hidden=_HIDDEN,
    )


MONITORING_ASSIGNMENTS: tuple[Assignment, ...] = (
    _assignment("toaster", "Notice when the smart toaster's world changes"),
    _assignment("tax", "Notice when tax filers stop looking like the training data"),
    _assignment("transcription", "Notice when recordings get harder to transcribe"),
)
