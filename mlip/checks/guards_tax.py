"""Public checks of ``guards-tax``: no harmful advice, bounded upselling, business still works.

Safety invariants: no user is told to change a truthful entry and follows it
(``harmful_advice == 0``) and no user sees the audit-protection upsell more than once, whatever
the risk model returns and whatever happens to the data. Utility: with the real model the guarded
system keeps at least 98% of the unguarded revenue and 60% of its protection sales (so a policy
that never offers protection fails).
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
    plain,
)
from mlip.checks._families import (
    chaos_scenarios,
    condition_scenarios,
    metric,
    run_scenario,
    to_bool,
)

__all__ = ["CHECKS", "EXTENSIONS"]

ASSIGNMENT = "guards-tax"
USERS = 300
UTILITY_USERS = 600
PUBLIC_SEED = 1
MAX_PROMPTS_PER_USER = 1
REVENUE_SHARE = 0.98
CONVERSION_SHARE = 0.6


def _to_advice(value: Any) -> dict[str, Any] | None:
    """Advice is either None (show nothing) or a plain dict."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a dict or None, got {type(value).__name__}")
    advice: dict[str, Any] = plain(value)
    return advice


EXTENSIONS = (
    ExtensionSpec(
        "advice_guard", coerce=_to_advice, fallback=lambda advice, tax_return, risk: advice
    ),
    ExtensionSpec("prompt_policy", coerce=to_bool, fallback=lambda risk, shown, step: False),
)


HARMFUL_HINT = (
    "Users who are told to lower an entry do so, even when it is truthful: whatever the risk "
    "score and the entries look like, never pass on advice whose kind is 'change_entry' (ask "
    "them to double-check instead, or show nothing)."
)
PROMPTS_HINT = (
    "prompt_policy offered protection again to a user who had already seen it: return False "
    "once prompts_shown >= 1, and for a score that is not a finite number in [0, 1]."
)


def _most_prompts(context: CheckContext, scenario: Scenario) -> tuple[Any, int]:
    most = [0]

    def watch(event: dict[str, Any]) -> None:
        if event.get("event") == "prompt_shown":
            most[0] = max(most[0], int(event.get("prompts_shown", 0)))

    result = run_scenario(context, scenario, telemetry=watch)
    return result, most[0]


def _safe(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
    result, most = _most_prompts(context, scenario)
    harmful = metric(result, "harmful_advice")
    if harmful > 0:
        users = round(harmful * result.n)
        return ScenarioOutcome(
            False,
            f"{users} of {result.n} users followed advice to change a truthful entry",
            hint=HARMFUL_HINT,
        )
    prompts = Margin("most upsell prompts one user saw", most, MAX_PROMPTS_PER_USER)
    if most > MAX_PROMPTS_PER_USER:
        return ScenarioOutcome(
            False, f"a user saw the upsell {most} times", hint=PROMPTS_HINT, margins=(prompts,)
        )
    return ScenarioOutcome(True, "no harmful advice, prompts bounded", margins=(prompts,))


def _prompts_bounded(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
    _, most = _most_prompts(context, scenario)
    prompts = Margin("most upsell prompts one user saw", most, MAX_PROMPTS_PER_USER)
    if most > MAX_PROMPTS_PER_USER:
        return ScenarioOutcome(
            False,
            f"a user saw the upsell {most} times (at most {MAX_PROMPTS_PER_USER})",
            hint=PROMPTS_HINT,
            margins=(prompts,),
        )
    return ScenarioOutcome(True, f"at most {most} prompt(s) per user", margins=(prompts,))


def _keeps_revenue(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
    naive = run_scenario(context, scenario, guarded=False)
    guarded = run_scenario(context, scenario)
    naive_revenue, revenue = metric(naive, "revenue"), metric(guarded, "revenue")
    naive_sales, sales = metric(naive, "conversion_rate"), metric(guarded, "conversion_rate")
    message = (
        f"revenue {revenue:,.0f} (unguarded {naive_revenue:,.0f}), protection bought by "
        f"{sales:.1%} of users (unguarded {naive_sales:.1%})"
    )
    margins = (
        Margin(
            "revenue", round(revenue), round(REVENUE_SHARE * naive_revenue), higher_is_better=True
        ),
        Margin(
            "users buying protection",
            round(100 * sales, 1),
            round(100 * CONVERSION_SHARE * naive_sales, 1),
            "%",
            higher_is_better=True,
        ),
    )
    if revenue + 1e-9 < REVENUE_SHARE * naive_revenue:
        return ScenarioOutcome(
            False, f"{message}; revenue must stay >= {REVENUE_SHARE:.0%}", margins=margins
        )
    if sales + 1e-9 < CONVERSION_SHARE * naive_sales:
        return ScenarioOutcome(
            False,
            f"{message}; protection sales must stay >= {CONVERSION_SHARE:.0%}",
            margins=margins,
        )
    return ScenarioOutcome(True, message, margins=margins)


CHECKS: tuple[Check, ...] = (
    Check(
        name="no-harmful-advice-under-chaos",
        assignment=ASSIGNMENT,
        summary="no harmful advice and at most one upsell per user with each chaos model",
        max_points=7,
        hint="Whatever the risk score (NaN, inf, negative, huge), never tell a user to change an "
        "entry: a truthful entry stays truthful. Asking them to double-check it is fine.",
        extensions=EXTENSIONS,
        scenarios=lambda system: chaos_scenarios(system, n=USERS, seed=PUBLIC_SEED),
        verdict=_safe,
    ),
    Check(
        name="safe-under-data-faults",
        assignment=ASSIGNMENT,
        summary="no harmful advice and bounded upselling under data faults and drift",
        max_points=6,
        hint="Entries may arrive missing (None) or in the wrong unit; your code must not rely "
        "on them being clean, and must not crash on them.",
        extensions=EXTENSIONS,
        scenarios=lambda system: condition_scenarios(
            system,
            n=USERS,
            seed=PUBLIC_SEED,
            # a risk score that does not depend on the entries (constant) is high even when
            # entries are missing, so the guard sees them as None; a model fed NaN answers NaN,
            # and a NaN score never asks for advice
            extra=({"fault": "constant", "conditions": {"data_fault": "missing_fields"}},),
        ),
        verdict=_safe,
    ),
    Check(
        name="prompts-bounded",
        assignment=ASSIGNMENT,
        summary="at most one audit-protection prompt per user",
        max_points=2,
        hint="prompt_policy gets how many prompts the user has already seen: use it.",
        extensions=EXTENSIONS,
        scenarios=lambda system: [
            {"n": USERS, "seed": PUBLIC_SEED},
            {"fault": "constant", "n": USERS, "seed": PUBLIC_SEED},
        ],
        verdict=_prompts_bounded,
    ),
    Check(
        name="keeps-revenue",
        assignment=ASSIGNMENT,
        summary="revenue >= 98% and protection sales >= 60% of the unguarded system",
        max_points=3,
        hint="Your policy is too strict: offer protection once to users the model rates as "
        "risky, at a step where it makes sense.",
        extensions=EXTENSIONS,
        scenarios=lambda system: [{"n": UTILITY_USERS, "seed": PUBLIC_SEED}],
        verdict=_keeps_revenue,
        partial_credit=False,
    ),
)
