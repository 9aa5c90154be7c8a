"""What the tax system *is*, as plain data: components, extension points, events, conditions.

Kept free of numpy and scikit-learn so that loading :class:`~mlip.systems.tax.TaxSystem` (and
``mlip systems list``) stays fast.
"""

from __future__ import annotations

from mlip.systems._contract import (
    ALERT_EVENT,
    MONITOR_EXTENSION,
    Component,
    ComponentKind,
    Condition,
    EventField,
    EventSchema,
    ExtensionPoint,
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
    "METRIC_DESCRIPTIONS",
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
    ),
    ExtensionPoint(
        "prompt_policy",
        "policy",
        "prompt_policy(risk: float, prompts_shown: int, step: str) -> bool",
        "Decides whether the upsell service shows the audit-protection offer on this screen. "
        "Only asked while the user has not bought yet. The naive decision is "
        f"risk >= {HIGH_RISK_THRESHOLD} (HIGH_RISK_THRESHOLD), on every screen.",
        "upsell_service",
    ),
    MONITOR_EXTENSION,
)

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


def _fields(*triples: tuple[str, str, str]) -> tuple[EventField, ...]:
    return tuple(EventField(name, kind, text) for name, kind, text in triples)


EVENTS: tuple[EventSchema, ...] = (
    EventSchema(
        "return_started",
        "A user opened the software to file a return (t is the week of the season).",
        _fields(
            ("return_id", "int", "return number within the run"),
            ("filing_status", "str", "single, married_joint or head_of_household"),
            ("age_band", "str", "18-29, 30-44, 45-64 or 65+ (the group for fairness)"),
            ("region", "str", "north, south, east or west"),
        ),
    ),
    EventSchema(
        "risk_scored",
        "The audit-risk model was asked about the return.",
        _fields(
            ("return_id", "int", "return number within the run"),
            ("risk", "float|null", "the model's output, null when it is not a finite number"),
            ("error", "str|null", "why no usable number came back (exception, non-finite)"),
            ("latency_seconds", "float", "simulated time the model took for this return"),
        ),
    ),
    EventSchema(
        "advice_shown",
        "Advice about an entry was shown (after the advice_guard, if any).",
        _fields(
            ("return_id", "int", "return number within the run"),
            ("kind", "str", "change_entry, review_entry or informational"),
            ("field", "str", "the entry the advice is about"),
            ("step", "str", "screen on which it was shown"),
        ),
    ),
    EventSchema(
        "advice_followed",
        "The user changed a truthful entry because of advice: the return is now wrong (harm).",
        _fields(
            ("return_id", "int", "return number within the run"),
            ("field", "str", "the entry the user changed"),
            ("old_amount", "float", "the true amount"),
            ("new_amount", "float", "the amount filed instead"),
        ),
    ),
    EventSchema(
        "prompt_shown",
        "The audit-protection upsell was shown.",
        _fields(
            ("return_id", "int", "return number within the run"),
            ("step", "str", "screen on which it was shown"),
            ("prompts_shown", "int", "prompts this user has seen, including this one"),
            ("risk", "float|null", "the risk the decision was based on"),
        ),
    ),
    EventSchema(
        "purchase",
        "The user bought audit protection.",
        _fields(
            ("return_id", "int", "return number within the run"),
            ("step", "str", "screen on which they bought"),
            ("price", "float", "dollars paid"),
        ),
    ),
    EventSchema(
        "abandoned",
        "The user gave up before filing (annoyed by prompts, or tired of waiting).",
        _fields(
            ("return_id", "int", "return number within the run"),
            ("step", "str", "screen they left on"),
            ("prompts_shown", "int", "prompts they had seen"),
        ),
    ),
    EventSchema(
        "filed",
        "The return was e-filed.",
        _fields(
            ("return_id", "int", "return number within the run"),
            ("tax_due", "float", "tax on the filed return, dollars"),
            ("deduction", "str", "standard or itemized (whichever is larger)"),
            ("protected", "bool", "whether the user bought audit protection"),
        ),
    ),
    EventSchema(
        "audit_label",
        "Late ground truth: the company learns that a filed return was audited, weeks after "
        "filing, and only if the user tells it (protected users always do, others sometimes). "
        "Never emitted for returns that were not audited.",
        _fields(
            ("return_id", "int", "return number within the run"),
            ("filed_t", "int", "week the return was filed"),
            ("risk", "float|null", "the model's risk at filing time"),
            ("found_issue", "bool", "whether the audit found something wrong"),
        ),
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
}
