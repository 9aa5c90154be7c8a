"""Public checks of ``requirements-tax``: requirements and a fault tree for harmful advice.

The reference-guarded tax software never tells a user to change an entry (the guard turns such
advice into "review this entry") and shows the upsell at most once, to users the model scores as
high risk. It stays harmless whatever the model does, but users abandon filing when the model is
wrong or slow, which is where the assumptions come in.
"""

from __future__ import annotations

import math
from typing import Any

from mlip.checks._engine import Check
from mlip.checks._requirements import EXTENSIONS, Profile, make_checks

__all__ = ["CHECKS", "CONTROLLABLE", "EXTENSIONS", "FACTS", "PROFILE"]

RETURNS = 300
PUBLIC_SEED = 1
HIGH_RISK = 0.05


def _reference_advice_guard(advice: dict[str, Any], tax_return: dict[str, Any], risk: float) -> Any:
    if advice.get("kind") == "change_entry":
        return {**advice, "kind": "review_entry"}
    return advice


def _reference_prompt_policy(risk: float, prompts_shown: int, step: str) -> bool:
    return prompts_shown == 0 and math.isfinite(risk) and risk >= HIGH_RISK


def reference_guards() -> dict[str, Any]:
    """The kit's simple guards: never advise a change, offer the upsell at most once."""
    return {"advice_guard": _reference_advice_guard, "prompt_policy": _reference_prompt_policy}


#: What the system's design controls: the advice it shows and the guard on it.
CONTROLLABLE = frozenset({"change_advice_shown", "no_advice_guard"})
_CONTROLLED = " [the system controls this]"

#: Facts the checks observe on every return (harmful advice followed among them).
FACTS: dict[str, str] = {
    "risk_flagged_high": "the model scored the return as high audit risk",
    "model_failed": "the model gave no usable risk (exception, NaN, inf)",
    "change_advice_shown": "the software advised changing an entry" + _CONTROLLED,
    "no_advice_guard": "nothing checked the advice before it was shown" + _CONTROLLED,
    "user_follows_advice": "the user changed the entry as advised",
    "import_fault": "fields arrived missing or in the wrong unit",
    "new_deduction": "the return claimed a deduction the model never saw",
    "income_drift": "incomes shifted during the season",
}

_CONDITION_FACTS = {
    "data_fault": "import_fault",
    "deduction_pattern": "new_deduction",
    "income_shift": "income_drift",
}


def sessions(
    events: list[dict[str, Any]], scenario: dict[str, Any]
) -> list[tuple[frozenset[str], bool]]:
    """The true facts of every return, and whether its user followed advice to misreport."""
    common = {
        _CONDITION_FACTS[name]
        for name, value in dict(scenario.get("conditions", {})).items()
        if name in _CONDITION_FACTS
    }
    if not scenario.get("guarded", True):
        common.add("no_advice_guard")
    risks = {e["return_id"]: e for e in events if e["event"] == "risk_scored"}
    advice = {e["return_id"]: e for e in events if e["event"] == "advice_shown"}
    followed = {e["return_id"] for e in events if e["event"] == "advice_followed"}
    found: list[tuple[frozenset[str], bool]] = []
    for event in events:
        if event["event"] != "return_started":
            continue
        return_id = event["return_id"]
        facts = set(common)
        if return_id in followed:
            facts.add("user_follows_advice")
        scored = risks.get(return_id, {})
        risk = scored.get("risk")
        if risk is None or scored.get("error") or not math.isfinite(risk):
            facts.add("model_failed")
        elif risk >= HIGH_RISK:
            facts.add("risk_flagged_high")
        if advice.get(return_id, {}).get("kind") == "change_entry":
            facts.add("change_advice_shown")
        found.append((frozenset(facts), return_id in followed))
    return found


def _run(**spec: Any) -> dict[str, Any]:
    return {"n": RETURNS, "seed": PUBLIC_SEED, "guarded": True, **spec}


PROFILE = Profile(
    assignment="requirements-tax",
    system="tax",
    hazard="a user advised to misreport",
    reference_guards=reference_guards,
    normal=_run(),
    stress=(
        _run(guarded=False),
        *(_run(guarded=False, fault=kind) for kind in ("inf", "huge", "nan", "slow")),
        _run(guarded=False, conditions={"data_fault": "unit_error"}),
        *(_run(fault=kind) for kind in ("huge", "nan", "slow")),
    ),
    assumption_breaks=(
        *(_run(fault=kind) for kind in ("nan", "exception", "huge", "constant", "slow")),
        _run(conditions={"income_shift": "sudden"}),
        _run(conditions={"deduction_pattern": "new"}),
        _run(conditions={"data_fault": "missing_fields"}),
        _run(conditions={"data_fault": "unit_error"}),
    ),
    hazard_runs=(
        _run(guarded=False),
        _run(guarded=False, fault="inf"),
        _run(guarded=False, conditions={"data_fault": "unit_error"}),
        _run(guarded=False, conditions={"deduction_pattern": "new"}),
    ),
    facts=FACTS,
    controllable=CONTROLLABLE,
    sessions=sessions,
    world_events=frozenset({"advice_followed", "abandoned", "filed", "purchase", "audit_label"}),
    software_events=frozenset({"risk_scored", "advice_shown", "prompt_shown", "alert"}),
    hazard_measures={"advice_followed": frozenset()},
    calm=({"guarded": True}, {"guarded": True, "fault": "nan"}),
)

CHECKS: tuple[Check, ...] = make_checks(PROFILE)
