"""Public checks of ``requirements-toaster``: requirements and a fault tree for kitchen fires.

The reference-guarded toaster caps the heating time at 300 s (with a fallback when the model
fails) and stops heating on smoke. It is safe as long as the smoke sensor works; a dead smoke
sensor together with an overestimating model still burns the kitchen, which is what the
assumption and fault-tree checks are built around.
"""

from __future__ import annotations

import math
from typing import Any

from mlip.checks._engine import Check
from mlip.checks._requirements import EXTENSIONS, Profile, make_checks

__all__ = ["CHECKS", "CONTROLLABLE", "EXTENSIONS", "FACTS", "PROFILE"]

SESSIONS = 200
PUBLIC_SEED = 1
MAX_HEATING_SECONDS = 300.0
FALLBACK_SECONDS = 150.0
SMOKE_CUTOFF_PPM = 80.0


def _reference_heating_guard(predicted_seconds: float, readings: dict[str, float]) -> float:
    if not math.isfinite(predicted_seconds) or predicted_seconds <= 0.0:
        return FALLBACK_SECONDS
    return min(predicted_seconds, MAX_HEATING_SECONDS)


def _reference_cutoff(state: dict[str, float]) -> bool:
    return float(state.get("smoke_ppm", 0.0)) >= SMOKE_CUTOFF_PPM


def reference_guards() -> dict[str, Any]:
    """The kit's simple guards: cap + fallback on the heating time, cutoff on smoke only."""
    return {"heating_guard": _reference_heating_guard, "thermal_cutoff": _reference_cutoff}


#: What the system's design controls: its own guards and its (redundant) sensors.
CONTROLLABLE = frozenset(
    {
        "no_heating_guard",
        "no_thermal_cutoff",
        "smoke_sensor_dead",
        "ir_sensor_stuck",
        "chamber_sensor_wrong",
    }
)
_CONTROLLED = " [the system controls this]"

#: Facts the checks observe in every toasting session (a fire's causes among them).
FACTS: dict[str, str] = {
    "model_failed": "the model gave no usable heating time (exception, NaN, inf)",
    "model_overestimated": "the model gave a usable but far too long heating time",
    "no_heating_guard": "nothing checked the model's heating time" + _CONTROLLED,
    "no_thermal_cutoff": "nothing watched the sensors while heating" + _CONTROLLED,
    "smoke_sensor_dead": "the smoke sensor always read 0 (a second sensor would prevent it)"
    + _CONTROLLED,
    "ir_sensor_stuck": "the surface thermometer was stuck" + _CONTROLLED,
    "chamber_sensor_wrong": "the chamber thermometer was off" + _CONTROLLED,
    "unseen_bread": "bread unlike the training data",
    "weak_element": "an aged or ageing heating element",
}

_CONDITION_FACTS = {
    ("sensor_fault", "smoke_dead"): "smoke_sensor_dead",
    ("sensor_fault", "stuck_ir"): "ir_sensor_stuck",
    ("sensor_fault", "noisy_thermal"): "chamber_sensor_wrong",
    ("bread", "unseen"): "unseen_bread",
    ("element", "aged"): "weak_element",
    ("element", "ageing"): "weak_element",
}


def sessions(
    events: list[dict[str, Any]], scenario: dict[str, Any]
) -> list[tuple[frozenset[str], bool]]:
    """The true facts of every session, and whether it ended in fire.

    A usable heating time counts as an overestimate when it set the toast on fire or reached
    the reference cap (300 s): far too long for any slice.
    """
    common = {
        _CONDITION_FACTS[(name, value)]
        for name, value in dict(scenario.get("conditions", {})).items()
        if (name, value) in _CONDITION_FACTS
    }
    if not scenario.get("guarded", True):
        common |= {"no_heating_guard", "no_thermal_cutoff"}
    predictions = {event["t"]: event for event in events if event["event"] == "prediction"}
    found: list[tuple[frozenset[str], bool]] = []
    for event in events:
        if event["event"] != "outcome":
            continue
        fire = bool(event["fire"])
        prediction = predictions.get(event["t"], {})
        seconds = prediction.get("predicted_seconds")
        facts = set(common)
        if prediction.get("error") is not None or seconds is None:
            facts.add("model_failed")
        elif fire or seconds >= MAX_HEATING_SECONDS:
            facts.add("model_overestimated")
        found.append((frozenset(facts), fire))
    return found


def _run(**spec: Any) -> dict[str, Any]:
    return {"n": SESSIONS, "seed": PUBLIC_SEED, "guarded": True, **spec}


PROFILE = Profile(
    assignment="requirements-toaster",
    system="toaster",
    hazard="a kitchen fire",
    reference_guards=reference_guards,
    normal=_run(),
    stress=(
        *(_run(guarded=False, fault=kind) for kind in ("nan", "huge", "constant", "negative")),
        _run(guarded=False, conditions={"element": "aged"}),
        _run(guarded=False, conditions={"sensor_fault": "noisy_thermal"}),
        _run(fault="huge", conditions={"sensor_fault": "smoke_dead"}),
        _run(fault="slow"),
    ),
    assumption_breaks=(
        _run(fault="nan"),
        _run(fault="exception"),
        _run(fault="huge", conditions={"sensor_fault": "smoke_dead"}),
        _run(conditions={"sensor_fault": "stuck_ir"}),
        _run(conditions={"sensor_fault": "noisy_thermal"}),
        _run(conditions={"bread": "unseen"}),
        _run(conditions={"element": "aged"}),
        _run(conditions={"element": "ageing"}),
    ),
    hazard_runs=(
        _run(guarded=False, fault="nan"),
        _run(guarded=False, fault="huge"),
        _run(guarded=False, fault="constant"),
        _run(fault="huge", conditions={"sensor_fault": "smoke_dead"}),
    ),
    facts=FACTS,
    controllable=CONTROLLABLE,
    sessions=sessions,
    world_events=frozenset({"outcome"}),
    software_events=frozenset({"prediction", "heating_stopped", "alert"}),
    hazard_measures={"outcome": frozenset({"fire"})},
    calm=(
        {"guarded": False},
        {"guarded": True, "fault": "nan"},
        {"guarded": True, "fault": "huge"},
    ),
)

CHECKS: tuple[Check, ...] = make_checks(PROFILE)
