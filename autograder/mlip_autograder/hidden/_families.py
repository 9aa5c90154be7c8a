"""The hidden families of every shipped assignment and how their scenarios are drawn."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from mlip.errors import UsageError

if TYPE_CHECKING:
    from mlip.checks import Check
    from mlip.systems import System

__all__ = ["HIDDEN_FAMILIES", "HiddenFamily", "hidden_check", "scenario_seed"]

#: Sessions per hidden scenario: fewer than the public checks, as the hidden families have
#: more scenarios and every call of a student's function crosses the sandbox boundary.
SESSIONS = 100


@dataclass(frozen=True)
class HiddenFamily:
    """A hidden check: the public check whose verdict it reuses and how scenarios are drawn.

    ``draw`` gets the system, a private random generator seeded from the course secret and the
    public check's own scenarios, and returns the hidden scenarios (plain dicts).
    """

    assignment: str
    name: str
    verdict_of: str
    draw: Callable[[System, random.Random, list[dict[str, Any]]], list[dict[str, Any]]]


def scenario_seed(secret: str, assignment: str, check: str) -> int:
    """A per-check seed derived from the course secret (stable, not guessable without it)."""
    digest = hashlib.sha256(f"{secret}:{assignment}:{check}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 1_000_000 + 1_000


def _reseeded(
    system: System, rng: random.Random, public: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The public scenarios again, each on a fresh secret seed."""
    return [{**scenario, "n": SESSIONS, "seed": rng.randrange(1_000, 10**6)} for scenario in public]


def _combined_conditions(
    system: System, rng: random.Random, public: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Several faults at once: one non-default value of every condition, plus chaos models."""
    from mlip.systems import FAULT_KINDS

    declared = [(c.name, c.values[1:]) for c in system.conditions() if len(c.values) > 1]
    scenarios: list[dict[str, Any]] = []
    for _ in range(4):
        conditions = {name: rng.choice(values) for name, values in declared}
        scenario: dict[str, Any] = {
            "conditions": conditions,
            "n": SESSIONS,
            "seed": rng.randrange(1_000, 10**6),
        }
        if rng.random() < 0.5:
            scenario["fault"] = rng.choice(FAULT_KINDS)
        scenarios.append(scenario)
    return scenarios


HIDDEN_FAMILIES: tuple[HiddenFamily, ...] = (
    HiddenFamily("guards-toaster", "hidden-chaos-seeds", "no-fire-under-chaos", _reseeded),
    HiddenFamily(
        "guards-toaster",
        "hidden-sensor-faults",
        "no-fire-under-sensor-faults",
        _combined_conditions,
    ),
    HiddenFamily("guards-tax", "hidden-chaos-seeds", "no-harmful-advice-under-chaos", _reseeded),
    HiddenFamily("guards-tax", "hidden-drift", "safe-under-data-faults", _combined_conditions),
    HiddenFamily(
        "guards-transcription",
        "hidden-chaos-seeds",
        "no-doubtful-word-published-under-chaos",
        _reseeded,
    ),
    HiddenFamily(
        "guards-transcription",
        "hidden-new-voices",
        "no-doubtful-word-published-under-faults",
        _combined_conditions,
    ),
)


def hidden_check(assignment: str, name: str, *, secret: str) -> Check:
    """The hidden check ``name`` of ``assignment`` with its scenarios drawn from ``secret``."""
    from mlip.assignments import get_assignment
    from mlip.checks import get_check

    family = next(
        (f for f in HIDDEN_FAMILIES if f.assignment == assignment and f.name == name), None
    )
    if family is None:
        known = ", ".join(f.name for f in HIDDEN_FAMILIES if f.assignment == assignment)
        raise UsageError(f"{assignment} has no hidden check {name!r}; hidden checks: {known}")
    public = get_check(assignment, family.verdict_of)
    declared = {c.name: c for c in get_assignment(assignment).hidden_checks}
    declaration = declared.get(name)
    seed = scenario_seed(secret, assignment, name)

    def scenarios(system: System) -> list[dict[str, Any]]:
        return family.draw(system, random.Random(seed), list(public.scenarios(system)))

    return replace(
        public,
        name=name,
        summary=declaration.summary if declaration else public.summary,
        max_points=float(declaration.points) if declaration else public.max_points,
        scenarios=scenarios,
        public=False,
    )
