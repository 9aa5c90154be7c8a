"""One filing season: users file, the system scores, advises and upsells, the tax office audits.

The population, the model's scores and every user's random choices are drawn up front, so two
runs that differ only in their extensions see the same users making the same rolls of the dice
(common random numbers): differences in the metrics come from the extensions alone, and an
identity guard/policy reproduces the naive system exactly.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from mlip.errors import UsageError
from mlip.systems._contract import ProgressCallback, RunResult, TelemetrySink, TelemetryStream
from mlip.systems.tax._calculator import FILING_STATUSES, compute_tax
from mlip.systems.tax._metrics import auc, brier, expected_calibration_error, usable_risk
from mlip.systems.tax._population import (
    AGE_BANDS,
    PERIODS,
    REGIONS,
    apply_data_fault,
    audit_probability,
    generate_population,
)
from mlip.systems.tax._spec import (
    ADVICE_KINDS,
    ADVISABLE_FIELDS,
    AMOUNT_FIELDS,
    FILING_STEPS,
    HIGH_RISK_THRESHOLD,
)

__all__ = ["simulate"]

FILING_FEE = 39.0
PROTECTION_PRICE = 49.0
FOLLOW_ADVICE_SHARE = 0.35  # how often a user lowers an entry when told to
ABANDON_BASE = 0.003  # per screen, with no prompts
ABANDON_PER_PROMPT = 0.04  # extra chance per screen for every prompt already seen
BUY_DECAY = 0.6  # each further prompt persuades less
AUDIT_DELAY = (6, 26)  # weeks from filing until the company hears of an audit
REPORT_SHARE_UNPROTECTED = 0.5
ISSUE_SHARE = 0.3  # audits that find a (honest) mistake on a truthful return
PATIENCE_SECONDS = 2.0  # users start leaving when the risk check makes them wait longer


def _score(model: Any, columns: dict[str, np.ndarray], size: int) -> tuple[np.ndarray, str | None]:
    """Call the model once for a week's returns; never let its failure stop the season."""
    try:
        raw = model.predict_risk(columns)
        risk = np.asarray(raw, dtype=float).reshape(-1)
    except Exception as error:  # any model failure is recorded, not raised
        return np.full(size, np.nan), f"exception: {type(error).__name__}: {error}"
    if risk.shape != (size,):
        return np.full(size, np.nan), f"wrong output shape {risk.shape}, expected ({size},)"
    return risk, None


def _latency(model: Any) -> float:
    value = getattr(model, "seconds_per_return", 0.0)
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return 0.0
    return seconds if math.isfinite(seconds) and seconds > 0 else 0.0


def _naive_advice(record: Mapping[str, Any]) -> dict[str, Any]:
    """The entry that looks largest for the user's income, and the naive 'lower it' advice."""
    income = sum(
        record[name] or 0.0
        for name in ("wages", "self_employment_income", "investment_income", "crypto_gains")
    )
    candidates = [(record[f] / max(income, 1.0), f) for f in ADVISABLE_FIELDS if record[f]]
    if not candidates:
        return {
            "kind": "informational",
            "field": "return",
            "message": "Returns like yours are audited more often than most.",
            "current_amount": None,
            "suggested_amount": None,
        }
    _, field = max(candidates)
    current = float(record[field])
    label = field.replace("_", " ")
    return {
        "kind": "change_entry",
        "field": field,
        "message": f"Your {label} (${current:,.0f}) is unusually high for your income; "
        "consider lowering it to reduce your audit risk.",
        "current_amount": current,
        "suggested_amount": float(round(current * 0.5)),
    }


def _check_advice(advice: object) -> dict[str, Any] | None:
    if advice is None:
        return None
    if not isinstance(advice, dict) or advice.get("kind") not in ADVICE_KINDS:
        raise UsageError(
            f"advice_guard must return None or a dict whose 'kind' is one of "
            f"{', '.join(ADVICE_KINDS)}; it returned {advice!r}"
        )
    field = advice.get("field")
    if not isinstance(field, str):
        raise UsageError(f"advice_guard returned advice without a string 'field': {advice!r}")
    if advice["kind"] == "change_entry" and field not in ADVISABLE_FIELDS:
        raise UsageError(f"advice_guard asked to change {field!r}, which is not a deduction")
    return advice


def simulate(
    *,
    n: int,
    seed: int,
    model: Any,
    extensions: Mapping[str, Any],
    conditions: Mapping[str, str],
    telemetry: TelemetrySink | None,
    progress: ProgressCallback | None,
) -> RunResult:
    """Run one season of ``n`` users (arguments already validated by ``TaxSystem.run``)."""
    rng = np.random.default_rng([seed, 1])
    population = generate_population(
        rng,
        n,
        income_shift=conditions["income_shift"],
        deduction_pattern=conditions["deduction_pattern"],
    )
    true_amounts = population.amounts
    seen_amounts = apply_data_fault(rng, true_amounts, conditions["data_fault"])
    u_abandon = rng.random((n, len(FILING_STEPS)))
    u_buy = rng.random((n, len(FILING_STEPS)))
    u_follow = rng.random(n)
    u_audit = rng.random(n)
    u_report = rng.random(n)
    u_issue = rng.random(n)
    delays = rng.integers(AUDIT_DELAY[0], AUDIT_DELAY[1] + 1, n)

    guard: Callable[..., object] | None = extensions.get("advice_guard")
    policy: Callable[..., object] | None = extensions.get("prompt_policy")
    stream = TelemetryStream(telemetry, monitor=extensions.get("monitor"))
    latency = _latency(model)
    wait_penalty = min(0.5, 0.05 * max(0.0, latency - PATIENCE_SECONDS))

    risk_all = np.full(n, np.nan)
    filed_amounts = {name: values.copy() for name, values in true_amounts.items()}
    filed = np.zeros(n, dtype=bool)
    bought = np.zeros(n, dtype=bool)
    followed = np.zeros(n, dtype=bool)
    prompts = np.zeros(n, dtype=int)
    overpaid = 0.0
    pending_labels: dict[int, list[dict[str, Any]]] = defaultdict(list)
    columns_seen = {**seen_amounts, "filing_status": population.filing_status.astype(float)}

    def emit_labels_until(t: int) -> None:
        for due in sorted(k for k in pending_labels if k <= t):
            for label in pending_labels.pop(due):
                stream.emit("audit_label", due, **label)

    for week in range(PERIODS):
        emit_labels_until(week)
        users = np.flatnonzero(population.period == week)
        if len(users) == 0:
            if progress is not None:
                progress(week + 1, PERIODS, "filing season")
            continue
        risk, call_error = _score(model, {k: v[users] for k, v in columns_seen.items()}, len(users))
        risk_all[users] = risk
        for position, i in enumerate(users.tolist()):
            user_risk = float(risk[position])
            finite = math.isfinite(user_risk)
            stream.emit(
                "return_started",
                week,
                return_id=i,
                filing_status=FILING_STATUSES[int(population.filing_status[i])],
                age_band=AGE_BANDS[int(population.age_band[i])],
                region=REGIONS[int(population.region[i])],
            )
            stream.emit(
                "risk_scored",
                week,
                return_id=i,
                risk=user_risk if finite else None,
                error=call_error or (None if finite else f"non-finite output: {user_risk}"),
                latency_seconds=latency,
            )
            high_risk = user_risk >= HIGH_RISK_THRESHOLD  # NaN is never high: fails silently
            shown_prompts = 0
            abandoned = False
            for s, step in enumerate(FILING_STEPS):
                leave = ABANDON_BASE + ABANDON_PER_PROMPT * shown_prompts
                if s == 0:
                    leave += wait_penalty
                if u_abandon[i, s] < leave:
                    stream.emit(
                        "abandoned", week, return_id=i, step=step, prompts_shown=shown_prompts
                    )
                    abandoned = True
                    break
                if step == "deductions" and high_risk:
                    record: dict[str, Any] = {
                        "return_id": i,
                        "filing_status": FILING_STATUSES[int(population.filing_status[i])],
                        "age_band": AGE_BANDS[int(population.age_band[i])],
                        "region": REGIONS[int(population.region[i])],
                    }
                    for name in AMOUNT_FIELDS:
                        value = float(seen_amounts[name][i])
                        record[name] = None if math.isnan(value) else value
                    naive_advice = _naive_advice(record)
                    advice: dict[str, Any] | None = naive_advice
                    if guard is not None:
                        advice = _check_advice(guard(dict(naive_advice), dict(record), user_risk))
                    if advice is not None:
                        field = str(advice["field"])
                        stream.emit(
                            "advice_shown",
                            week,
                            return_id=i,
                            kind=advice["kind"],
                            field=field,
                            step=step,
                        )
                        true_value = float(true_amounts.get(field, np.zeros(n))[i])
                        if (
                            advice["kind"] == "change_entry"
                            and true_value > 0
                            and u_follow[i] < FOLLOW_ADVICE_SHARE
                        ):
                            new_value = float(round(true_value * 0.5))
                            filed_amounts[field][i] = new_value
                            followed[i] = True
                            stream.emit(
                                "advice_followed",
                                week,
                                return_id=i,
                                field=field,
                                old_amount=true_value,
                                new_amount=new_value,
                            )
                if bought[i]:
                    continue
                show = (
                    bool(policy(user_risk, shown_prompts, step))
                    if policy is not None
                    else high_risk
                )
                if not show:
                    continue
                shown_prompts += 1
                stream.emit(
                    "prompt_shown",
                    week,
                    return_id=i,
                    step=step,
                    prompts_shown=shown_prompts,
                    risk=user_risk if finite else None,
                )
                persuasion = (0.05 + 0.35 * float(population.risk_aversion[i])) * BUY_DECAY ** (
                    shown_prompts - 1
                )
                if u_buy[i, s] < persuasion:
                    bought[i] = True
                    stream.emit("purchase", week, return_id=i, step=step, price=PROTECTION_PRICE)
            prompts[i] = shown_prompts
            if abandoned:
                continue
            filed[i] = True
            status = FILING_STATUSES[int(population.filing_status[i])]
            filed_return = {name: float(filed_amounts[name][i]) for name in AMOUNT_FIELDS}
            result = compute_tax({"filing_status": status, **filed_return})
            if followed[i]:
                truthful = {name: float(true_amounts[name][i]) for name in AMOUNT_FIELDS}
                overpaid += (
                    result.tax_due - compute_tax({"filing_status": status, **truthful}).tax_due
                )
            stream.emit(
                "filed",
                week,
                return_id=i,
                tax_due=result.tax_due,
                deduction=result.deduction,
                protected=bool(bought[i]),
            )

        # The tax office audits this week's filed returns; reports reach the company later.
        week_filed = users[filed[users]]
        if len(week_filed):
            chance = audit_probability(
                {k: v[week_filed] for k, v in filed_amounts.items()},
                population.audit_noise[week_filed],
            )
            for j, i in enumerate(week_filed.tolist()):
                if u_audit[i] >= chance[j]:
                    continue
                if not (bought[i] or u_report[i] < REPORT_SHARE_UNPROTECTED):
                    continue
                risk_value = float(risk_all[i])
                pending_labels[week + int(delays[i])].append(
                    {
                        "return_id": i,
                        "filed_t": week,
                        "risk": risk_value if math.isfinite(risk_value) else None,
                        "found_issue": bool(followed[i] or u_issue[i] < ISSUE_SHARE),
                    }
                )
        if progress is not None:
            progress(week + 1, PERIODS, "filing season")
    emit_labels_until(max(pending_labels, default=0))

    return RunResult(
        system="tax",
        n=n,
        seed=seed,
        model=_model_metrics(risk_all, population, u_audit),
        system_metrics=_system_metrics(
            population,
            filed,
            bought,
            followed,
            prompts,
            overpaid,
            risk_all,
            filed_amounts,
            u_audit,
            stream.alerts,
        ),
        conditions=dict(conditions),
    )


def _model_metrics(risk: np.ndarray, population: Any, u_audit: np.ndarray) -> dict[str, float]:
    """Model quality against the hidden ground truth of the returns as users entered them."""
    truth = u_audit < audit_probability(population.amounts, population.audit_noise)
    valid = np.isfinite(risk) & (risk >= 0.0) & (risk <= 1.0)
    return {
        "auc": auc(risk, truth),
        "brier": brier(risk, truth),
        "ece": expected_calibration_error(risk, truth),
        "mean_risk": round(float(usable_risk(risk).mean()), 6),
        "true_audit_rate": round(float(truth.mean()), 6),
        "valid_output_rate": round(float(valid.mean()), 6),
    }


def _system_metrics(
    population: Any,
    filed: np.ndarray,
    bought: np.ndarray,
    followed: np.ndarray,
    prompts: np.ndarray,
    overpaid: float,
    risk: np.ndarray,
    filed_amounts: dict[str, np.ndarray],
    u_audit: np.ndarray,
    alerts: int,
) -> dict[str, float]:
    n = len(filed)
    revenue = FILING_FEE * float(filed.sum()) + PROTECTION_PRICE * float(bought.sum())
    prompted = prompts > 0
    rates = [
        prompted[population.age_band == b].mean()
        for b in range(len(AGE_BANDS))
        if (population.age_band == b).any()
    ]
    audited = filed & (u_audit < audit_probability(filed_amounts, population.audit_noise))

    def rate(values: np.ndarray) -> float:
        return round(float(values.mean()), 6)

    return {
        "conversion_rate": rate(bought),
        "revenue": round(revenue, 6),
        "revenue_per_user": round(revenue / n, 6),
        "prompts_per_user": rate(prompts),
        "harmful_advice": rate(followed),
        "overpaid_tax_per_user": round(overpaid / n, 6),
        "fairness_gap": round(float(max(rates) - min(rates)), 6),
        "abandon_rate": rate(~filed),
        "scoring_error_rate": rate(~np.isfinite(risk)),
        "audit_rate": rate(audited),
        "alerts": float(alerts),
    }
