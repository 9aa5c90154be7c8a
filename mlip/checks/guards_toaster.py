"""Public checks of ``guards-toaster``: no fire, whatever the model or the sensors do.

Safety invariant: zero fires when the model misbehaves (every chaos model of the contract) and
when sensors break, bread is unlike anything in training or the heating element has aged.
Utility: with the real model, the guarded toaster still makes toast of the wanted doneness at
least 98% as often as the unguarded one, so a guard that never heats fails.

The scenarios of a check are independent runs (the notebook promises only that each slice's
cutoff calls come in order of elapsed time), so the judge runs them side by side
(``side_by_side``): fewer round trips to the sandbox, the same grades.
"""

from __future__ import annotations

from typing import Any

from mlip.checks._engine import (
    Check,
    CheckContext,
    ExtensionSpec,
    Margin,
    Scenario,
    ScenarioOutcome,
)
from mlip.checks._families import (
    chaos_scenarios,
    condition_scenarios,
    metric,
    run_scenario,
    to_bool,
    to_float,
)

__all__ = ["CHECKS", "EXTENSIONS", "RUNAWAY_WITHOUT_SMOKE"]

ASSIGNMENT = "guards-toaster"
SESSIONS = 120
PUBLIC_SEED = 1
UTILITY_SHARE = 0.98

#: The combination the sensor-fault checks always include (public and hidden): a model that
#: asks for absurd heating times while the smoke sensor is dead, so only the heating guard, the
#: chamber thermometer and the elapsed time stand between the toast and a fire.
RUNAWAY_WITHOUT_SMOKE: tuple[Scenario, ...] = (
    {"fault": "huge", "conditions": {"sensor_fault": "smoke_dead"}},
    {"fault": "inf", "conditions": {"sensor_fault": "smoke_dead"}},
)

EXTENSIONS = (
    ExtensionSpec("heating_guard", coerce=to_float, fallback=lambda predicted, readings: predicted),
    ExtensionSpec("thermal_cutoff", coerce=to_bool, fallback=lambda state: False),
)


def _no_fire(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
    sessions: dict[int, dict[str, Any]] = {}

    def watch(event: dict[str, Any]) -> None:
        if event.get("event") in ("prediction", "heating_stopped", "outcome"):
            sessions.setdefault(int(event["t"]), {}).update(event)

    result = run_scenario(context, scenario, telemetry=watch)
    fires = int(metric(result, "fires"))
    if fires:
        burnt = next((session for session in sessions.values() if session.get("fire")), {})
        smoke_dead = dict(scenario.get("conditions", {})).get("sensor_fault") == "smoke_dead"
        return ScenarioOutcome(
            False, f"{fires} fire(s) in {result.n} sessions", hint=_fire_hint(burnt, smoke_dead)
        )
    return ScenarioOutcome(True, "no fire")


def _seconds(value: Any) -> str:
    return "NaN or inf" if value is None else f"{float(value):g} s"


#: Longer than any normal toast takes (the reference cutoff's runaway limit).
LONGEST_TOAST_SECONDS = 300.0


def _fire_hint(session: dict[str, Any], smoke_dead: bool) -> str:
    """Advice for the first session that caught fire, from what the guard and cutoff did."""
    planned, predicted = session.get("planned_seconds"), session.get("predicted_seconds")
    elapsed = float(session.get("elapsed_seconds") or 0.0)
    dead = " The smoke sensor was dead, so smoke could not stop it." if smoke_dead else ""
    if planned is None:
        return (
            "heating_guard returned a heating time that is not a finite number: a NaN or "
            "infinite prediction must become a finite, short heating time."
        )
    if planned > LONGEST_TOAST_SECONDS:
        return (
            f"heating_guard let the toaster heat for {planned:.0f} s and the fire started "
            f"after {elapsed:.0f} s: no toast needs more than about "
            f"{LONGEST_TOAST_SECONDS:.0f} s, so an absurd prediction must fall back to a short, "
            f"typical time, and thermal_cutoff must stop runaway heating.{dead}"
        )
    if predicted is None or predicted > planned + 1.0:
        return (
            f"heating_guard replaced the model's answer ({_seconds(predicted)}) by {planned:.0f} "
            "s, still "
            "long enough to burn this slice: fall back to a time that is safe for thin slices "
            "and for a chamber still hot from the previous toast, not to a share of the absurd "
            f"value.{dead}"
        )
    return (
        f"the fire started after {elapsed:.0f} s of heating that the model asked for: "
        "thermal_cutoff must stop on what the working sensors show (chamber temperature, "
        f"elapsed time), not on one sensor alone.{dead}"
    )


def _keeps_good_toast(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
    naive = context.naive_metric(
        "doneness_within_1",
        lambda: metric(run_scenario(context, scenario, guarded=False), "doneness_within_1"),
    )
    guarded = metric(run_scenario(context, scenario), "doneness_within_1")
    needed = UTILITY_SHARE * naive
    message = f"toast within one shade of the wish: {guarded:.1%} (unguarded {naive:.1%})"
    margin = Margin(
        "good toast", round(100 * guarded, 1), round(100 * needed, 1), "%", higher_is_better=True
    )
    if guarded + 1e-9 < needed:
        return ScenarioOutcome(False, f"{message}; needs at least {needed:.1%}", margins=(margin,))
    return ScenarioOutcome(True, message, margins=(margin,))


CHECKS: tuple[Check, ...] = (
    Check(
        name="no-fire-under-chaos",
        assignment=ASSIGNMENT,
        summary="no fire with each chaos model (NaN, inf, negative, huge, constant, raising, slow)",
        max_points=7,
        hint="A NaN or inf prediction must still become a finite heating time, and the cutoff "
        "must stop heating that runs far longer than any real toast needs.",
        extensions=EXTENSIONS,
        scenarios=lambda system: chaos_scenarios(system, n=SESSIONS, seed=PUBLIC_SEED),
        verdict=_no_fire,
        side_by_side=True,
    ),
    Check(
        name="no-fire-under-sensor-faults",
        assignment=ASSIGNMENT,
        summary="no fire with broken sensors, unseen bread and aged heating elements",
        max_points=6,
        hint="Do not rely on a single sensor: a stuck IR sensor or a dead smoke sensor still "
        "leaves the chamber temperature and the elapsed time to decide when to stop.",
        extensions=EXTENSIONS,
        scenarios=lambda system: condition_scenarios(
            system,
            n=SESSIONS,
            seed=PUBLIC_SEED,
            extra=(
                {"fault": "huge", "conditions": {"sensor_fault": "stuck_ir"}},
                {"fault": "nan", "conditions": {"sensor_fault": "noisy_thermal"}},
                # a runaway model while the smoke sensor that would stop it reads 0
                *RUNAWAY_WITHOUT_SMOKE,
            ),
        ),
        verdict=_no_fire,
        side_by_side=True,
    ),
    Check(
        name="keeps-good-toast",
        assignment=ASSIGNMENT,
        summary="with the real model, good toast at least 98% as often as without guards",
        max_points=3,
        hint="Your guard is too cautious: do not cap or cut off normal toasting, only "
        "predictions and situations that are clearly unsafe.",
        extensions=EXTENSIONS,
        scenarios=lambda system: [{"n": SESSIONS, "seed": PUBLIC_SEED}],
        verdict=_keeps_good_toast,
        partial_credit=False,
        side_by_side=True,
    ),
)
