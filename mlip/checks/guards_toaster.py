"""Public checks of ``guards-toaster``: no fire, whatever the model or the sensors do.

Safety invariant: zero fires when the model misbehaves (every chaos model of the contract) and
when sensors break, bread is unlike anything in training or the heating element has aged.
Utility: with the real model, the guarded toaster still makes toast of the wanted doneness at
least 98% as often as the unguarded one, so a guard that never heats fails.
"""

from __future__ import annotations

from typing import Any

from mlip.checks._engine import Check, CheckContext, ExtensionSpec, ScenarioOutcome
from mlip.checks._families import (
    chaos_scenarios,
    condition_scenarios,
    metric,
    run_scenario,
    to_bool,
    to_float,
)

__all__ = ["CHECKS", "EXTENSIONS"]

ASSIGNMENT = "guards-toaster"
SESSIONS = 120
PUBLIC_SEED = 1
UTILITY_SHARE = 0.98

EXTENSIONS = (
    ExtensionSpec("heating_guard", coerce=to_float, fallback=lambda predicted, readings: predicted),
    ExtensionSpec("thermal_cutoff", coerce=to_bool, fallback=lambda state: False),
)


def _no_fire(context: CheckContext, scenario: dict[str, Any]) -> ScenarioOutcome:
    result = run_scenario(context, scenario)
    fires = int(metric(result, "fires"))
    if fires:
        return ScenarioOutcome(False, f"{fires} fire(s) in {result.n} sessions")
    return ScenarioOutcome(True, "no fire")


def _keeps_good_toast(context: CheckContext, scenario: dict[str, Any]) -> ScenarioOutcome:
    naive = context.naive_metric(
        "doneness_within_1",
        lambda: metric(run_scenario(context, scenario, guarded=False), "doneness_within_1"),
    )
    guarded = metric(run_scenario(context, scenario), "doneness_within_1")
    needed = UTILITY_SHARE * naive
    message = f"toast within one shade of the wish: {guarded:.1%} (unguarded {naive:.1%})"
    if guarded + 1e-9 < needed:
        return ScenarioOutcome(False, f"{message}; needs at least {needed:.1%}")
    return ScenarioOutcome(True, message)


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
            ),
        ),
        verdict=_no_fire,
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
    ),
)
