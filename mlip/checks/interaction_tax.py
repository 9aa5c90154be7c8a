"""Public checks of ``interaction-tax``: how forcefully the filing flow acts on its entry checker.

The checker suspects that a deduction was typed with an extra zero; the student's
``interaction_policy`` picks, per suspicion, whether the system changes the entry, prompts the
user to double-check, orders it to the top of the review screen, highlights it or does nothing.
The checks hold the season's outcomes to the budgets the notebook states: harm (mistyped entries
filed uncorrected, correct entries changed by the system), user effort (prompts and seconds per
user) and value (revenue against the system without the checker). Always prompting costs effort
and sales; always changing harms users; doing too little leaves the mistakes in.
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
    "CHECKS",
    "EFFORT_SECONDS_PER_USER",
    "EXTENSIONS",
    "HARMFUL_CHANGES_PER_1000",
    "PROMPTS_PER_USER",
    "REVENUE_SHARE",
    "WRONG_ENTRIES_PER_1000",
]

ASSIGNMENT = "interaction-tax"
POLICY = "interaction_policy"
USERS = 1000
PUBLIC_SEED = 1
ACTIONS = ("change", "prompt", "order", "annotate", "none")

#: The budgets the notebook states (per season of users who start a return).
WRONG_ENTRIES_PER_1000 = 30.0
HARMFUL_CHANGES_PER_1000 = 2.0
PROMPTS_PER_USER = 0.08
EFFORT_SECONDS_PER_USER = 2.5
REVENUE_SHARE = 0.99


def _none(suggestion: Mapping[str, Any]) -> str:
    return "none"


EXTENSIONS = (ExtensionSpec(POLICY, coerce=to_action(ACTIONS), fallback=_none),)

HARMFUL_HINT = (
    "The system changed correct entries: a suspicion is wrong (1 - confidence) of the time, and "
    "a change nobody looks at again files a wrong return. Change an entry only when the "
    "checker is nearly certain; let the user decide otherwise."
)
WRONG_HINT = (
    "Too many mistyped entries were filed uncorrected. Most users overlook highlights and many "
    "skip the review screen: for suspicions the checker is fairly sure of, ask the user (once) "
    "or, when it is nearly certain, correct the entry."
)
EFFORT_HINT = (
    "Users spent too much attention on checks. Prompt only where a suspicion is likely enough "
    "to be worth an interruption, and not a user who has already seen prompts (prompts_shown): "
    "a tired user clicks the next one away. Order or highlight the rest."
)
VALUE_HINT = (
    "Every prompt makes some users give up filing, and revenue with them: prompt far fewer "
    "users (order or highlight weak suspicions instead)."
)


def _harm(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
    result = run_interaction(context, scenario, policy=POLICY)
    wrong = 1000 * metric(result, "wrong_entries_kept")
    harmful = 1000 * metric(result, "harmful_changes")
    margins = (
        budget("mistyped entries filed uncorrected per 1000 users", wrong, WRONG_ENTRIES_PER_1000),
        budget(
            "correct entries the system changed per 1000 users", harmful, HARMFUL_CHANGES_PER_1000
        ),
    )
    message = (
        f"{wrong:.1f} mistyped entries filed uncorrected and {harmful:.1f} correct entries "
        f"changed per 1000 users"
    )
    return held_to(
        message,
        margins,
        (
            harmful > HARMFUL_CHANGES_PER_1000,
            f"at most {HARMFUL_CHANGES_PER_1000:g} changed",
            HARMFUL_HINT,
        ),
        (
            wrong > WRONG_ENTRIES_PER_1000,
            f"at most {WRONG_ENTRIES_PER_1000:g} uncorrected",
            WRONG_HINT,
        ),
    )


def _effort(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
    result = run_interaction(context, scenario, policy=POLICY)
    prompts = metric(result, "check_prompts_per_user")
    seconds = metric(result, "effort_seconds_per_user")
    margins = (
        budget("check prompts per user", prompts, PROMPTS_PER_USER),
        budget("seconds users spent on checks, per user", seconds, EFFORT_SECONDS_PER_USER, " s"),
    )
    message = f"{prompts:.3f} check prompts and {seconds:.2f} s of checking per user"
    over = prompts > PROMPTS_PER_USER or seconds > EFFORT_SECONDS_PER_USER
    limit = f"budgets: {PROMPTS_PER_USER:g} prompts, {EFFORT_SECONDS_PER_USER:g} s"
    return held_to(message, margins, (over, limit, EFFORT_HINT))


def _value(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
    without = metric(run_interaction(context, scenario, policy=POLICY, guarded=False), "revenue")
    revenue = metric(run_interaction(context, scenario, policy=POLICY), "revenue")
    margins = (
        Margin(
            "revenue",
            round(revenue),
            round(REVENUE_SHARE * without),
            higher_is_better=True,
        ),
    )
    message = f"revenue {revenue:,.0f} (without the entry checker {without:,.0f})"
    under = revenue + 1e-9 < REVENUE_SHARE * without
    return held_to(message, margins, (under, f"it must stay >= {REVENUE_SHARE:.0%}", VALUE_HINT))


def _runs(*extra: Scenario) -> list[Scenario]:
    """The public season, then one per ``extra`` (its seed, fault, conditions), all full size."""
    return full_size_runs(USERS, PUBLIC_SEED, {}, *extra)


CHECKS: tuple[Check, ...] = (
    Check(
        name="harm-within-budget",
        assignment=ASSIGNMENT,
        summary=f"at most {WRONG_ENTRIES_PER_1000:g} mistyped entries filed and "
        f"{HARMFUL_CHANGES_PER_1000:g} correct entries changed per 1000 users",
        max_points=5,
        hint=WRONG_HINT,
        extensions=EXTENSIONS,
        scenarios=lambda system: _runs(
            {"seed": 2, "fault": "nan"},
            {"seed": 3, "conditions": {"deduction_pattern": "new"}},
        ),
        verdict=_harm,
    ),
    Check(
        name="effort-within-budget",
        assignment=ASSIGNMENT,
        summary=f"at most {PROMPTS_PER_USER:g} check prompts and {EFFORT_SECONDS_PER_USER:g} s "
        "of checking per user",
        max_points=3,
        hint=EFFORT_HINT,
        extensions=EXTENSIONS,
        scenarios=lambda system: _runs({"seed": 2}),
        verdict=_effort,
    ),
    Check(
        name="keeps-value",
        assignment=ASSIGNMENT,
        summary=f"revenue >= {REVENUE_SHARE:.0%} of the system without the entry checker",
        max_points=2,
        hint=VALUE_HINT,
        extensions=EXTENSIONS,
        scenarios=lambda system: _runs(),
        verdict=_value,
        partial_credit=False,
    ),
)
