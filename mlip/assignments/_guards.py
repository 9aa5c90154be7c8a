"""Topic data for the *guards* assignments: safety guards around an unreliable model."""

from __future__ import annotations

from mlip.assignments._catalogue import Assignment, Chapter, CheckDeclaration, Task

__all__ = ["GUARDS_ASSIGNMENTS", "GUARDS_CHAPTER"]

GUARDS_CHAPTER = Chapter(number=7, title="Planning for Mistakes", slug="07-planning-for-mistakes")

_NOTEBOOKS = ("guards.ipynb",)

GUARDS_ASSIGNMENTS: tuple[Assignment, ...] = (
    Assignment(
        id="guards-toaster",
        title="Guard the smart toaster against its own model",
        topic="guards",
        system="toaster",
        chapter=GUARDS_CHAPTER,
        notebooks=_NOTEBOOKS,
        tasks=(
            Task(
                "heating_guard",
                "heating_guard(predicted_seconds: float, readings: dict[str, float]) -> float",
                "turn any prediction (NaN, inf, negative, absurdly large) into a safe heating time",
            ),
            Task(
                "thermal_cutoff",
                "thermal_cutoff(state: dict[str, float]) -> bool",
                "stop heating on smoke, over-temperature or runaway time, whatever the model said",
            ),
        ),
        checks_module="mlip.checks.guards_toaster",
        release="mlip.assignments:release/guards-toaster",
        hidden=(
            CheckDeclaration("hidden-chaos-seeds", 3, "chaos models on unseen seeds"),
            CheckDeclaration("hidden-sensor-faults", 3, "combined sensor faults and drift"),
        ),
    ),
    Assignment(
        id="guards-tax",
        title="Keep the audit-risk model from harming tax filers",
        topic="guards",
        system="tax",
        chapter=GUARDS_CHAPTER,
        notebooks=_NOTEBOOKS,
        tasks=(
            Task(
                "advice_guard",
                "advice_guard(advice: dict, tax_return: dict, risk: float) -> dict | None",
                "never push a user to change a truthful entry; reviewing is fine",
            ),
            Task(
                "prompt_policy",
                "prompt_policy(risk: float, prompts_shown: int, step: str) -> bool",
                "offer audit protection at most once per user, and only when it makes sense",
            ),
        ),
        checks_module="mlip.checks.guards_tax",
        release="mlip.assignments:release/guards-tax",
        hidden=(
            CheckDeclaration("hidden-chaos-seeds", 3, "chaos models on unseen seeds"),
            CheckDeclaration("hidden-drift", 3, "combined data faults and drift"),
        ),
    ),
    Assignment(
        id="guards-transcription",
        title="Send doubtful words to review before they are published",
        topic="guards",
        system="transcription",
        chapter=GUARDS_CHAPTER,
        notebooks=_NOTEBOOKS,
        tasks=(
            Task(
                "publish_guard",
                "publish_guard(word: dict) -> str",
                'return "publish" or "review" for each recognised word',
            ),
        ),
        checks_module="mlip.checks.guards_transcription",
        release="mlip.assignments:release/guards-transcription",
        hidden=(
            CheckDeclaration("hidden-chaos-seeds", 3, "chaos models on unseen seeds"),
            CheckDeclaration("hidden-new-voices", 3, "unseen voices and rooms"),
        ),
    ),
)
