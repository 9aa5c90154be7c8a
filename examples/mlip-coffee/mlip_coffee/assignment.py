"""The student side of the ``guards-coffee`` assignment, registered under ``mlip.assignments``.

Everything a student's kit needs to know, stated once: the tasks, the module with the public
checks (their names, points and summaries live there), the hidden checks by name and points
only, and where the release notebook is. Hidden scenarios and the solution live in the separate
instructor package (``mlip-coffee-grading``).
"""

from __future__ import annotations

from mlip.assignments import Assignment, Chapter, CheckDeclaration, Task

__all__ = ["ASSIGNMENTS", "GUARDS_COFFEE"]

GUARDS_COFFEE = Assignment(
    id="guards-coffee",
    title="Keep the coffee machine from boiling over",
    topic="guards",
    system="coffee",
    chapter=Chapter(number=7, title="Planning for Mistakes", slug="07-planning-for-mistakes"),
    notebooks=("guards.ipynb",),
    tasks=(
        Task(
            "temperature_guard",
            "temperature_guard(predicted_celsius: float, order: dict) -> float",
            "turn any predicted temperature (NaN, inf, negative, huge) into a safe one",
        ),
    ),
    checks_module="mlip_coffee.checks",
    release="mlip_coffee:release/guards-coffee",
    hidden=(CheckDeclaration("hidden-chaos-seeds", 2, "chaos models on unseen seeds"),),
)

#: What the entry point names: this package's assignments (one here).
ASSIGNMENTS = (GUARDS_COFFEE,)
