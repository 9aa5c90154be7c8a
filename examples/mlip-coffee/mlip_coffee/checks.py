"""Public checks of ``guards-coffee``: no cup boils over, whatever the model says.

Built from the kit's public check engine (``mlip.checks``) and its scenario families, like the
kit's own check modules: ``CHECKS`` (names, points, summaries: stated only here) and
``EXTENSIONS`` (how the student's function is called and coerced).
"""

from __future__ import annotations

from typing import Any

from mlip.checks import (
    Check,
    CheckContext,
    ExtensionSpec,
    ScenarioOutcome,
    chaos_scenarios,
    metric,
    run_scenario,
    to_float,
)

__all__ = ["CHECKS", "EXTENSIONS"]

ASSIGNMENT = "guards-coffee"
CUPS = 150
PUBLIC_SEED = 1
UTILITY_SHARE = 0.98

EXTENSIONS = (
    ExtensionSpec(
        "temperature_guard", coerce=to_float, fallback=lambda predicted, order: predicted
    ),
)


def _no_boil_over(context: CheckContext, scenario: dict[str, Any]) -> ScenarioOutcome:
    result = run_scenario(context, scenario)
    boil_overs = int(metric(result, "boil_overs"))
    if boil_overs:
        return ScenarioOutcome(False, f"{boil_overs} of {result.n} cups boiled over")
    return ScenarioOutcome(True, "no cup boiled over")


def _keeps_good_coffee(context: CheckContext, scenario: dict[str, Any]) -> ScenarioOutcome:
    naive = context.naive_metric(
        "good_cup_rate",
        lambda: metric(run_scenario(context, scenario, guarded=False), "good_cup_rate"),
    )
    guarded = metric(run_scenario(context, scenario), "good_cup_rate")
    message = f"good cups: {guarded:.1%} (unguarded {naive:.1%})"
    if guarded + 1e-9 < UTILITY_SHARE * naive:
        return ScenarioOutcome(False, f"{message}; needs at least {UTILITY_SHARE * naive:.1%}")
    return ScenarioOutcome(True, message)


CHECKS: tuple[Check, ...] = (
    Check(
        name="no-boil-over-under-chaos",
        assignment=ASSIGNMENT,
        summary="no cup boils over with each chaos model (NaN, inf, huge, constant, ...)",
        max_points=4,
        hint="A NaN, infinite or absurd temperature must become a safe one below 96 °C.",
        extensions=EXTENSIONS,
        scenarios=lambda system: [
            *chaos_scenarios(system, n=CUPS, seed=PUBLIC_SEED),
            {"fault": "huge", "conditions": {"roast_sensor": "stuck_light"}, "n": CUPS, "seed": 2},
        ],
        verdict=_no_boil_over,
    ),
    Check(
        name="keeps-good-coffee",
        assignment=ASSIGNMENT,
        summary="with the real model, good cups at least 98% as often as without the guard",
        max_points=2,
        hint="Your guard is too cautious: keep the model's sensible temperatures as they are.",
        extensions=EXTENSIONS,
        scenarios=lambda system: [{"n": CUPS, "seed": PUBLIC_SEED}],
        verdict=_keeps_good_coffee,
        partial_credit=False,
    ),
)
