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


def _checks(sudden: str, gradual: str, recurring: str) -> tuple[CheckDeclaration, ...]:
    return (
        CheckDeclaration("quiet-without-drift", 4, "few false alarms on drift-free streams"),
        CheckDeclaration("detects-sudden-drift", 4, sudden),
        CheckDeclaration("detects-gradual-drift", 3, gradual),
        CheckDeclaration("detects-recurring-drift", 3, recurring),
        CheckDeclaration(
            "hidden-drift-seeds", 3, "the same drifts on unseen seeds and onsets", public=False
        ),
    )


MONITORING_ASSIGNMENTS: tuple[Assignment, ...] = (
    Assignment(
        id="monitoring-toaster",
        title="Notice when the smart toaster's world changes",
        topic="monitoring",
        system="toaster",
        chapter=MONITORING_CHAPTER,
        notebooks=_NOTEBOOKS,
        tasks=_TASKS,
        checks=_checks(
            "notices unseen bread and aged elements quickly",
            "notices heating elements slowly losing power",
            "notices unseen bread each time it returns",
        ),
    ),
    Assignment(
        id="monitoring-tax",
        title="Notice when tax filers stop looking like the training data",
        topic="monitoring",
        system="tax",
        chapter=MONITORING_CHAPTER,
        notebooks=_NOTEBOOKS,
        tasks=_TASKS,
        checks=_checks(
            "notices an income jump and a new deduction quickly",
            "notices incomes rising over the season",
            "notices the new deduction each time it returns",
        ),
    ),
    Assignment(
        id="monitoring-transcription",
        title="Notice when recordings get harder to transcribe",
        topic="monitoring",
        system="transcription",
        chapter=MONITORING_CHAPTER,
        notebooks=_NOTEBOOKS,
        tasks=_TASKS,
        checks=_checks(
            "notices noisier rooms and new voices quickly",
            "notices voices, words and rooms changing slowly",
            "notices noisy rooms each time they return",
        ),
    ),
)
