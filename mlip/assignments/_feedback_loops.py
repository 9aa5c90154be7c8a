"""Topic data for the *feedback-loops* assignments: design how a running system learns from
what it observed, without letting its own predictions choose what it learns."""

from __future__ import annotations

from mlip.assignments._catalogue import Assignment, Chapter, CheckDeclaration, Task

__all__ = ["FEEDBACK_LOOPS_ASSIGNMENTS", "FEEDBACK_LOOPS_CHAPTER"]

FEEDBACK_LOOPS_CHAPTER = Chapter(
    number=2, title="From Models to Systems", slug="02-from-models-to-systems"
)

_NOTEBOOKS = ("feedback-loops.ipynb",)

_TASKS = (
    Task(
        "loop_design",
        "loop_design(budget: dict) -> dict",
        "choose the label source, exploration and hold-out shares, retrain schedule and memory "
        "for the round size and label budget you are given",
    ),
    Task(
        "deploy_retrained",
        "deploy_retrained(figures: dict) -> bool",
        "after each retrain, decide from the hold-out figures whether the candidate model ships",
    ),
)

_HIDDEN = (
    CheckDeclaration(
        "hidden-more-rounds",
        3,
        "quality kept over more rounds, other sizes and budgets, unseen seeds",
    ),
    CheckDeclaration(
        "hidden-recovery-seeds", 2, "recovery from a damaged model in other worlds, longer"
    ),
    CheckDeclaration("hidden-budgets", 2, "other label budgets and round sizes"),
    CheckDeclaration(
        "hidden-shifted-population",
        2,
        "quality kept with a shifted population of users, unseen seeds",
    ),
)


#: The transcription loop does not damage its model (a correction is the truth): its hidden
#: checks start from a better model instead of a damaged one, and shift who the customers are.
_HIDDEN_TRANSCRIPTION = (
    CheckDeclaration(
        "hidden-more-rounds",
        3,
        "the loop still learns over more rounds, other sizes and budgets, unseen seeds",
    ),
    CheckDeclaration(
        "hidden-better-model-seeds",
        2,
        "a better model kept in other worlds",
    ),
    CheckDeclaration("hidden-budgets", 2, "other label budgets and round sizes"),
    CheckDeclaration(
        "hidden-shifted-voices",
        2,
        "a better model kept when more customers speak in voices the model finds hard",
    ),
)


def _assignment(
    system: str, title: str, hidden: tuple[CheckDeclaration, ...] = _HIDDEN
) -> Assignment:
    return Assignment(
        id=f"feedback-loops-{system}",
        title=title,
        topic="feedback-loops",
        system=system,
        chapter=FEEDBACK_LOOPS_CHAPTER,
        notebooks=_NOTEBOOKS,
        tasks=_TASKS,
        checks_module=f"mlip.checks.feedback_loops_{system}",
        release=f"mlip.assignments:release/feedback-loops-{system}",
        hidden=hidden,
    )


FEEDBACK_LOOPS_ASSIGNMENTS: tuple[Assignment, ...] = (
    _assignment("tax", "Learn from audits without letting the upsell choose the labels"),
    _assignment("toaster", "Learn from breakfasts without a one-sided feedback loop"),
    _assignment(
        "transcription",
        "Learn from customers' corrections and measure the model honestly",
        _HIDDEN_TRANSCRIPTION,
    ),
)
