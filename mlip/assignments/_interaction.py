"""Topic data for the *interaction* assignments: how forcefully a system acts on a prediction."""

from __future__ import annotations

from mlip.assignments._catalogue import Assignment, Chapter, CheckDeclaration, Task

__all__ = ["INTERACTION_ASSIGNMENTS", "INTERACTION_CHAPTER"]

INTERACTION_CHAPTER = Chapter(
    number=7, title="Planning for Mistakes", slug="07-planning-for-mistakes"
)

_NOTEBOOKS = ("interaction.ipynb",)

INTERACTION_ASSIGNMENTS: tuple[Assignment, ...] = (
    Assignment(
        id="interaction-tax",
        title="Decide how forcefully the tax software acts on a suspicious entry",
        topic="interaction",
        system="tax",
        chapter=INTERACTION_CHAPTER,
        notebooks=_NOTEBOOKS,
        tasks=(
            Task(
                "interaction_policy",
                "interaction_policy(suggestion: dict) -> str",
                'choose "change", "prompt", "order", "annotate" or "none" for each suspected '
                "typo, by the checker's confidence and what the user has already seen",
            ),
        ),
        checks_module="mlip.checks.interaction_tax",
        release="mlip.assignments:release/interaction-tax",
        hidden=(
            CheckDeclaration("hidden-secret-seeds", 3, "harm budgets on unseen seeds and faults"),
            CheckDeclaration(
                "hidden-user-populations",
                3,
                "harm budgets with users who tire of prompts faster or overlook more",
            ),
        ),
    ),
    Assignment(
        id="interaction-toaster",
        title="Decide when the smart toaster stops by itself, asks, or leaves it to you",
        topic="interaction",
        system="toaster",
        chapter=INTERACTION_CHAPTER,
        notebooks=_NOTEBOOKS,
        tasks=(
            Task(
                "interaction_policy",
                "interaction_policy(prediction: dict) -> str",
                'choose "stop", "ask" or "show" for each slice, by the confidence in the '
                "predicted time, what a mistake would cost and how often the household was asked",
            ),
        ),
        checks_module="mlip.checks.interaction_toaster",
        release="mlip.assignments:release/interaction-toaster",
        hidden=(
            CheckDeclaration("hidden-secret-seeds", 3, "harm budgets on unseen seeds and faults"),
            CheckDeclaration(
                "hidden-user-populations",
                3,
                "harm budgets with users who tire of questions faster or glance less",
            ),
        ),
    ),
    Assignment(
        id="interaction-transcription",
        title="Decide per word whether the transcription service publishes, asks or highlights",
        topic="interaction",
        system="transcription",
        chapter=INTERACTION_CHAPTER,
        notebooks=_NOTEBOOKS,
        tasks=(
            Task(
                "interaction_policy",
                "interaction_policy(word: dict) -> str",
                'choose "publish", "ask" or "highlight" for each word going to the customer, '
                "by the model's confidence and how many questions the customer already got",
            ),
        ),
        checks_module="mlip.checks.interaction_transcription",
        release="mlip.assignments:release/interaction-transcription",
        hidden=(
            CheckDeclaration("hidden-secret-seeds", 3, "harm budgets on unseen seeds and faults"),
            CheckDeclaration(
                "hidden-user-populations",
                3,
                "harm budgets with customers who tire of questions faster or skim",
            ),
        ),
    ),
)
