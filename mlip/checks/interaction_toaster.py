"""Public checks of ``interaction-toaster``: how forcefully the toaster acts on its predicted time.

Before each slice the student's ``interaction_policy`` picks whether the toaster stops by itself
after the predicted seconds, asks the user to confirm, or only shows the time and lets the user
set the dial. The checks hold the outcomes to the budgets the notebook states: harm (fires and
burnt toast, with unfamiliar bread, a noisy thermometer and broken models), user effort
(questions and seconds per slice, in the usual world) and value (good toast against the toaster
that always stops by itself). Always asking costs effort; always stopping by itself burns the
kitchen down when the model breaks; always leaving it to the user makes worse toast.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlip.checks._engine import (
    Check,
    CheckContext,
    ExtensionSpec,
    Margin,
    Scenario,
    ScenarioOutcome,
)
from mlip.checks._families import metric
from mlip.checks._interaction import budget, full_size_runs, held_to, run_interaction, to_action

__all__ = [
    "BURNT_SHARE",
    "CHECKS",
    "EFFORT_SECONDS_PER_SESSION",
    "EXTENSIONS",
    "FIRES_PER_1000",
    "GOOD_TOAST_SHARE",
    "PROMPTS_PER_SESSION",
]

ASSIGNMENT = "interaction-toaster"
POLICY = "interaction_policy"
SESSIONS = 500
PUBLIC_SEED = 1
ACTIONS = ("stop", "ask", "show")

#: The budgets the notebook states (per run of breakfasts).
FIRES_PER_1000 = 10.0
BURNT_SHARE = 0.05
PROMPTS_PER_SESSION = 0.1
EFFORT_SECONDS_PER_SESSION = 1.0
GOOD_TOAST_SHARE = 0.97


def _stop(prediction: Mapping[str, Any]) -> str:
    return "stop"


EXTENSIONS = (ExtensionSpec(POLICY, coerce=to_action(ACTIONS), fallback=_stop),)

HARM_HINT = (
    "Slices burnt or caught fire while the toaster stopped by itself (or went ahead after a "
    "question nobody answered). A prediction with confidence near 0 (a model that answers NaN "
    "or nonsense) must not be automated, and a household asked again and again stops "
    "answering (prompts_shown): show the time and let the user set the dial instead."
)
EFFORT_HINT = (
    "Users spent too much attention on the toaster in the usual world, where the model is "
    "right: let it stop by itself when it is confident, and ask only when it is not."
)
VALUE_HINT = (
    "Less good toast than the toaster that stops by itself: users setting the dial themselves "
    "judge the time roughly. Leave the confident predictions to the controller."
)


def _harm(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
    result = run_interaction(context, scenario, policy=POLICY)
    fires = 1000 * metric(result, "fires") / result.n
    burnt = metric(result, "burnt_rate")
    margins = (
        budget("fires per 1000 slices", fires, FIRES_PER_1000),
        budget("burnt slices", round(100 * burnt, 1), 100 * BURNT_SHARE, "%"),
    )
    message = f"{fires:.0f} fires per 1000 slices, {burnt:.1%} burnt"
    over = fires > FIRES_PER_1000 or burnt > BURNT_SHARE
    limit = f"budgets: {FIRES_PER_1000:g} fires, {BURNT_SHARE:.0%} burnt"
    return held_to(message, margins, (over, limit, HARM_HINT))


def _effort(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
    result = run_interaction(context, scenario, policy=POLICY)
    prompts = metric(result, "prompts_per_session")
    seconds = metric(result, "effort_seconds_per_session")
    margins = (
        budget("questions per slice", prompts, PROMPTS_PER_SESSION),
        budget("seconds users spent, per slice", seconds, EFFORT_SECONDS_PER_SESSION, " s"),
    )
    message = f"{prompts:.3f} questions and {seconds:.2f} s of the user's time per slice"
    over = prompts > PROMPTS_PER_SESSION or seconds > EFFORT_SECONDS_PER_SESSION
    limit = f"budgets: {PROMPTS_PER_SESSION:g} questions, {EFFORT_SECONDS_PER_SESSION:g} s"
    return held_to(message, margins, (over, limit, EFFORT_HINT))


def _value(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
    naive = run_interaction(context, scenario, policy=POLICY, guarded=False)
    without = metric(naive, "doneness_within_1")
    good = metric(run_interaction(context, scenario, policy=POLICY), "doneness_within_1")
    margins = (
        Margin(
            "good toast",
            round(100 * good, 1),
            round(100 * GOOD_TOAST_SHARE * without, 1),
            "%",
            higher_is_better=True,
        ),
    )
    message = f"good toast {good:.1%} (stopping by itself {without:.1%})"
    under = good + 1e-9 < GOOD_TOAST_SHARE * without
    return held_to(
        message, margins, (under, f"it must stay >= {GOOD_TOAST_SHARE:.0%} of that", VALUE_HINT)
    )


def _runs(*scenarios: Scenario) -> list[Scenario]:
    """Full-size runs: each scenario with the public size and seed unless it names a seed."""
    return full_size_runs(SESSIONS, PUBLIC_SEED, *scenarios)


CHECKS: tuple[Check, ...] = (
    Check(
        name="harm-within-budget",
        assignment=ASSIGNMENT,
        summary=f"at most {FIRES_PER_1000:g} fires per 1000 slices and {BURNT_SHARE:.0%} burnt, "
        "with unfamiliar bread, a noisy thermometer and broken models",
        max_points=5,
        hint=HARM_HINT,
        extensions=EXTENSIONS,
        scenarios=lambda system: _runs(
            {"conditions": {"bread": "unseen"}},
            {"conditions": {"sensor_fault": "noisy_thermal"}},
            {"fault": "huge"},
            {"fault": "nan", "seed": 2},
            {"seed": 2},
        ),
        verdict=_harm,
    ),
    Check(
        name="effort-within-budget",
        assignment=ASSIGNMENT,
        summary=f"at most {PROMPTS_PER_SESSION:g} questions and {EFFORT_SECONDS_PER_SESSION:g} s "
        "of the user's time per slice when the model is right",
        max_points=3,
        hint=EFFORT_HINT,
        extensions=EXTENSIONS,
        scenarios=lambda system: _runs({}, {"seed": 2}),
        verdict=_effort,
    ),
    Check(
        name="keeps-good-toast",
        assignment=ASSIGNMENT,
        summary=f"good toast >= {GOOD_TOAST_SHARE:.0%} of the toaster that always stops by itself",
        max_points=2,
        hint=VALUE_HINT,
        extensions=EXTENSIONS,
        scenarios=lambda system: _runs({}),
        verdict=_value,
        partial_credit=False,
    ),
)
