"""What the tax system *is*, as plain data: components, extension points, events, conditions.

Kept free of numpy and scikit-learn so that loading :class:`~mlip.systems.tax.TaxSystem` (and
``mlip systems list``) stays fast.
"""

from __future__ import annotations

from typing import Any

from mlip.systems._contract import (
    ALERT_EVENT,
    MONITOR_EXTENSION,
    Component,
    ComponentKind,
    Condition,
    EventField,
    EventSchema,
    ExtensionPoint,
    event_schema,
)

__all__ = [
    "ADVICE_KINDS",
    "ADVISABLE_FIELDS",
    "AMOUNT_FIELDS",
    "COMPONENTS",
    "CONDITIONS",
    "EVENTS",
    "EXTENSION_POINTS",
    "FILING_STEPS",
    "HIGH_RISK_THRESHOLD",
    "INTERACTION_ACTIONS",
    "INTERACTION_METRICS",
    "METRIC_DESCRIPTIONS",
    "USER_POPULATIONS",
    "naive_advice_guard",
    "naive_interaction_policy",
    "naive_prompt_policy",
]

#: The naive system treats a return as high risk when the model's risk is at least this (about
#: twice the average risk the model reports).
#: It is also the naive upsell decision: ``risk >= HIGH_RISK_THRESHOLD`` (while not yet bought).
HIGH_RISK_THRESHOLD = 0.05

#: Screens every user goes through, in order. Advice appears on the ``deductions`` screen.
FILING_STEPS: tuple[str, ...] = ("income", "deductions", "credits", "review", "file")

#: Dollar amounts on a return (whole dollars; ``home_energy`` only appears in the ``new``
#: deduction pattern).
AMOUNT_FIELDS: tuple[str, ...] = (
    "wages",
    "self_employment_income",
    "business_expenses",
    "home_office",
    "investment_income",
    "crypto_gains",
    "mortgage_interest",
    "medical",
    "charitable",
    "home_energy",
)

#: Entries the advice service may talk about (deductions; it never advises on income).
ADVISABLE_FIELDS: tuple[str, ...] = (
    "business_expenses",
    "home_office",
    "mortgage_interest",
    "medical",
    "charitable",
    "home_energy",
)

#: ``change_entry`` asks the user to alter an entry (harmful: every entry is truthful),
#: ``review_entry`` asks them to double-check it, ``informational`` just explains.
ADVICE_KINDS: tuple[str, ...] = ("change_entry", "review_entry", "informational")


def naive_advice_guard(
    advice: dict[str, Any], tax_return: dict[str, Any], risk: float
) -> dict[str, Any]:
    """The identity guard: show whatever the naive advice service would show."""
    return advice


def naive_prompt_policy(risk: float, prompts_shown: int, step: str) -> bool:
    """The naive upsell decision: prompt on every screen while the risk is high."""
    return risk >= HIGH_RISK_THRESHOLD


#: How forcefully the system acts on the entry checker's suggestion, most forceful first:
#: change the entry (automate), prompt to double-check, order the review screen (organize),
#: annotate (highlight), or do nothing.
INTERACTION_ACTIONS: tuple[str, ...] = ("change", "prompt", "order", "annotate", "none")

#: Simulated user populations an interaction run can face (``usual`` unless a check says so).
USER_POPULATIONS: tuple[str, ...] = ("usual", "tire_faster", "inattentive")


def naive_interaction_policy(suggestion: dict[str, Any]) -> str:
    """The naive system has no entry checker: it never acts on a suggestion."""
    return "none"


COMPONENTS: tuple[Component, ...] = (
    Component(
        "filing_flow",
        ComponentKind.NON_ML,
        "Guides the user through the filing screens (income, deductions, credits, review, "
        "file) and collects their entries.",
        consumes=("user entries", "advice", "prompt"),
        produces=("tax return", "filing step"),
    ),
    Component(
        "tax_calculator",
        ComponentKind.NON_ML,
        "Deterministic tax law: progressive brackets by filing status, picks the better of the "
        "standard and the itemized deduction.",
        consumes=("tax return",),
        produces=("tax due", "deduction choice"),
    ),
    Component(
        "audit_risk_model",
        ComponentKind.ML,
        "Calibrated scikit-learn classifier estimating the chance that the tax office audits "
        "this return; trained on past returns whose audit labels were delayed and "
        "selection-biased.",
        consumes=("tax return",),
        produces=("audit risk",),
    ),
    Component(
        "advice_service",
        ComponentKind.NON_ML,
        "Turns a high risk into advice about the deduction that stands out most for the "
        "user's income (naively: 'consider lowering it').",
        consumes=("audit risk", "tax return"),
        produces=("advice",),
    ),
    Component(
        "upsell_service",
        ComponentKind.NON_ML,
        "Offers paid audit protection; naively on every screen while the risk is high.",
        consumes=("audit risk", "filing step"),
        produces=("prompt", "purchase"),
    ),
    Component(
        "efile",
        ComponentKind.NON_ML,
        "Submits the finished return to the tax office.",
        consumes=("tax return", "tax due"),
        produces=("filed return",),
    ),
)

EXTENSION_POINTS: tuple[ExtensionPoint, ...] = (
    ExtensionPoint(
        "advice_guard",
        "guard",
        "advice_guard(advice: dict, tax_return: dict, risk: float) -> dict | None",
        "Sees the advice the naive system would show (keys kind, field, message, "
        "current_amount, suggested_amount) with the return as the system sees it and the "
        "model's risk (NaN when scoring failed); returns the advice to show, or None to show "
        "nothing. Returning the advice unchanged is the naive system.",
        "advice_service",
        naive=naive_advice_guard,
    ),
    ExtensionPoint(
        "prompt_policy",
        "policy",
        "prompt_policy(risk: float, prompts_shown: int, step: str) -> bool",
        "Decides whether the upsell service shows the audit-protection offer on this screen. "
        "Only asked while the user has not bought yet. The naive decision is "
        f"risk >= {HIGH_RISK_THRESHOLD} (HIGH_RISK_THRESHOLD), on every screen.",
        "upsell_service",
        naive=naive_prompt_policy,
    ),
    ExtensionPoint(
        "interaction_policy",
        "policy",
        "interaction_policy(suggestion: dict) -> str",
        "Decides how forcefully the filing flow acts when the advice service's entry checker "
        "(a classifier whose scores the simulator draws, calibrated) suggests that a "
        "deduction was typed with an extra zero: 'change' it to the suggested amount, 'prompt' "
        "the user to double-check it, 'order' it to the top of the review screen, 'annotate' "
        "(highlight) it, or 'none'. suggestion holds return_id, field, entered_amount, "
        "suggested_amount, confidence (the checker's probability that the entry is wrong), "
        "risk (the audit-risk model's score, NaN when scoring failed) and prompts_shown (prompts "
        "of any kind this user has already seen: upsell and check prompts). Filling it turns "
        "the entry checker on (after the advice service, on the deductions screen); the naive "
        "policy is 'none' for every entry, which changes nothing.",
        "advice_service",
        naive=naive_interaction_policy,
        reports=(
            "wrong_entries_kept",
            "harmful_changes",
            "check_prompts_per_user",
            "edits_per_user",
            "effort_seconds_per_user",
        ),
    ),
    MONITOR_EXTENSION,
)

#: The metrics a run reports only with an ``interaction_policy``.
INTERACTION_METRICS: tuple[str, ...] = EXTENSION_POINTS[2].reports

CONDITIONS: tuple[Condition, ...] = (
    Condition(
        "income_shift",
        ("none", "sudden", "gradual"),
        "Incomes drift during the season: they more than double halfway through (sudden, "
        "x2.2) or rise steadily to x2.5 by the last week (gradual).",
    ),
    Condition(
        "deduction_pattern",
        ("usual", "new"),
        "'new': a third of users claim a new home-energy deduction (round amounts) the model "
        "never saw in training; the tax office considers it routine.",
    ),
    Condition(
        "data_fault",
        ("none", "missing_fields", "unit_error"),
        "Faults in the import feeding the risk model and advice: some entries arrive as "
        "None (missing_fields) or in cents instead of dollars (unit_error).",
    ),
)


EVENTS: tuple[EventSchema, ...] = (
    event_schema(
        "return_started",
        "A user opened the software to file a return (t is the week of the season).",
        ("return_id", "int", "return number within the run"),
        ("filing_status", "str", "single, married_joint or head_of_household"),
        ("age_band", "str", "18-29, 30-44, 45-64 or 65+ (the group for fairness)"),
        ("region", "str", "north, south, east or west"),
    ),
    event_schema(
        "risk_scored",
        "The audit-risk model was asked about the return.",
        ("return_id", "int", "return number within the run"),
        ("risk", "float|null", "the model's output, null when it is not a finite number"),
        ("error", "str|null", "why no usable number came back (exception, non-finite)"),
        ("latency_seconds", "float", "simulated time the model took for this return"),
    ),
    event_schema(
        "advice_shown",
        "Advice about an entry was shown (after the advice_guard, if any).",
        ("return_id", "int", "return number within the run"),
        ("kind", "str", "change_entry, review_entry or informational"),
        ("field", "str", "the entry the advice is about"),
        ("step", "str", "screen on which it was shown"),
    ),
    event_schema(
        "advice_followed",
        "The user changed a truthful entry because of advice: the return is now wrong (harm).",
        ("return_id", "int", "return number within the run"),
        ("field", "str", "the entry the user changed"),
        ("old_amount", "float", "the true amount"),
        ("new_amount", "float", "the amount filed instead"),
    ),
    event_schema(
        "prompt_shown",
        "The audit-protection upsell was shown.",
        ("return_id", "int", "return number within the run"),
        ("step", "str", "screen on which it was shown"),
        ("prompts_shown", "int", "prompts this user has seen, including this one"),
        ("risk", "float|null", "the risk the decision was based on"),
    ),
    event_schema(
        "purchase",
        "The user bought audit protection.",
        ("return_id", "int", "return number within the run"),
        ("step", "str", "screen on which they bought"),
        ("price", "float", "dollars paid"),
    ),
    event_schema(
        "abandoned",
        "The user gave up before filing (annoyed by prompts, or tired of waiting).",
        ("return_id", "int", "return number within the run"),
        ("step", "str", "screen they left on"),
        ("prompts_shown", "int", "prompts they had seen"),
    ),
    event_schema(
        "filed",
        "The return was e-filed.",
        ("return_id", "int", "return number within the run"),
        ("tax_due", "float", "tax on the filed return, dollars"),
        ("deduction", "str", "standard or itemized (whichever is larger)"),
        ("protected", "bool", "whether the user bought audit protection"),
    ),
    event_schema(
        "audit_label",
        "Late ground truth: the company learns that a filed return was audited, weeks after "
        "filing, and only if the user tells it (protected users always do, others sometimes). "
        "Never emitted for returns that were not audited.",
        ("return_id", "int", "return number within the run"),
        EventField("filed_t", "int", "week the return was filed", time=True),
        ("risk", "float|null", "the model's risk at filing time"),
        ("found_issue", "bool", "whether the audit found something wrong"),
    ),
    event_schema(
        "entry_interaction",
        "The filing flow acted on the entry checker's suggestion (interaction_policy runs "
        "only; nothing is emitted for 'none').",
        ("return_id", "int", "return number within the run"),
        ("field", "str", "the deduction the checker suspected"),
        ("action", "str", "change, prompt, order or annotate"),
        ("confidence", "float", "the checker's probability that the entry was wrong"),
        (
            "outcome",
            "str",
            "changed (by the system), corrected or confirmed (the user checked it), dismissed "
            "(prompt clicked away), unseen (highlight overlooked) or skipped (not reviewed)",
        ),
        ("step", "str", "screen on which it happened"),
    ),
    ALERT_EVENT,
)

#: What each ``system_metrics`` key means (rates are per user who started a return).
METRIC_DESCRIPTIONS: dict[str, str] = {
    "conversion_rate": "users who bought audit protection / users",
    "revenue": "dollars earned: filing fees of filed returns plus protection sales",
    "revenue_per_user": "revenue / users",
    "prompts_per_user": "upsell prompts shown / users",
    "harmful_advice": "RATE: users who followed advice to change a truthful entry / users",
    "overpaid_tax_per_user": "extra tax users paid because they lowered truthful deductions",
    "fairness_gap": "largest difference across age bands of the share of users prompted",
    "abandon_rate": "users who left before filing / users",
    "scoring_error_rate": "returns whose risk was not a finite number / users",
    "audit_rate": "filed returns the tax office audited / users",
    "alerts": "alerts raised by the monitor extension",
    "wrong_entries_kept": "(interaction_policy runs) mistyped entries filed uncorrected / users",
    "harmful_changes": "(interaction_policy runs) correct entries the system changed, filed / "
    "users",
    "check_prompts_per_user": "(interaction_policy runs) double-check prompts shown / users",
    "edits_per_user": "(interaction_policy runs) entries users corrected themselves / users",
    "effort_seconds_per_user": "(interaction_policy runs) seconds users spent on checks / users",
}
