"""One filing season: users file, the system scores, advises and upsells, the tax office audits.

The population, the model's scores and every user's random choices are drawn up front, so two
runs that differ only in their extensions see the same users making the same rolls of the dice
(common random numbers): differences in the metrics come from the extensions alone, and an
identity guard/policy reproduces the naive system exactly.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlip.errors import UsageError
from mlip.systems._contract import Extension, Simulation
from mlip.systems.metrics import expected_calibration_error
from mlip.systems.tax._calculator import FILING_STATUSES, compute_tax
from mlip.systems.tax._metrics import auc, brier, usable_risk
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


def simulate(simulation: Simulation) -> tuple[dict[str, float], dict[str, float]]:
    """Run one season of ``n`` users (arguments already validated by ``System.run``).

    Every user's filing is independent of the others', so the season is played screen by
    screen for all users at once (:class:`_Screens`): the ``advice_guard`` and
    ``prompt_policy`` calls of one screen go as one batch each. Each user's events are then
    emitted week by week in the order that user lived them, exactly as if the users had filed
    one after another.
    """
    n, seed, model = simulation.n, simulation.seed, simulation.model
    conditions, stream = simulation.conditions, simulation.telemetry
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

    # The model scores each week's returns in one call, as the service would.
    scored: dict[int, tuple[list[int], str | None]] = {}
    for week in range(PERIODS):
        users = np.flatnonzero(population.period == week)
        if len(users):
            risk, call_error = _score(
                model, {k: v[users] for k, v in columns_seen.items()}, len(users)
            )
            risk_all[users] = risk
            scored[week] = (users.tolist(), call_error)
    user_risk = {i: float(risk_all[i]) for users, _ in scored.values() for i in users}
    interaction = _entry_interaction(simulation, true_amounts, filed_amounts)
    screens = _Screens(
        guard=simulation.extensions.get("advice_guard"),
        policy=simulation.extensions.get("prompt_policy"),
        population=population,
        seen_amounts=seen_amounts,
        true_amounts=true_amounts,
        filed_amounts=filed_amounts,
        bought=bought,
        followed=followed,
        u_abandon=u_abandon,
        u_buy=u_buy,
        u_follow=u_follow,
        wait_penalty=wait_penalty,
        interaction=interaction,
    )
    journal, shown, still_filing = screens.play(user_risk)

    for week in range(PERIODS):
        emit_labels_until(week)
        if week not in scored:
            simulation.progress(week + 1, PERIODS, "filing season")
            continue
        user_ids, call_error = scored[week]
        for i in user_ids:
            finite = math.isfinite(user_risk[i])
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
                risk=user_risk[i] if finite else None,
                error=call_error or (None if finite else f"non-finite output: {user_risk[i]}"),
                latency_seconds=latency,
            )
            for event, fields in journal.pop(i):
                stream.emit(event, week, **fields)
            prompts[i] = shown[i]
            if i not in still_filing:
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

        users = np.asarray(user_ids)
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
        simulation.progress(week + 1, PERIODS, "filing season")
    emit_labels_until(max(pending_labels, default=0))

    system_metrics = _system_metrics(
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
    )
    if interaction is not None:
        system_metrics.update(interaction.metrics(filed))
    return _model_metrics(risk_all, population, u_audit), system_metrics


def _entry_interaction(
    simulation: Simulation, entered: Mapping[str, np.ndarray], filed: dict[str, np.ndarray]
) -> Any:
    """The entry checker and its users, when an ``interaction_policy`` is filled (else None)."""
    policy = simulation.extensions.get("interaction_policy")
    if policy is None:
        return None
    from mlip.systems.tax._interaction import EntryInteraction

    return EntryInteraction(policy=policy, entered=entered, filed=filed, seed=simulation.seed)


@dataclass
class _Screens:
    """The filing screens, played for many users at once.

    Users do not affect each other while filing, so every screen is played for all users in one
    go and each extension is asked once per screen, with a batch of independent calls. What each
    user lived is kept in their journal of events, emitted later in the order they lived it.
    """

    guard: Extension | None
    policy: Extension | None
    population: Any
    seen_amounts: Mapping[str, np.ndarray]
    true_amounts: Mapping[str, np.ndarray]
    filed_amounts: dict[str, np.ndarray]
    bought: np.ndarray
    followed: np.ndarray
    u_abandon: np.ndarray
    u_buy: np.ndarray
    u_follow: np.ndarray
    wait_penalty: float
    interaction: Any = None  # an EntryInteraction: the entry checker after the advice

    def play(
        self, user_risk: Mapping[int, float]
    ) -> tuple[dict[int, list[tuple[str, dict[str, Any]]]], dict[int, int], set[int]]:
        """Every user's journal of screen events, prompts seen, and who filed in the end."""
        guard, policy, population = self.guard, self.policy, self.population
        true_amounts, filed_amounts = self.true_amounts, self.filed_amounts
        bought, followed = self.bought, self.followed
        u_abandon, u_buy, u_follow = self.u_abandon, self.u_buy, self.u_follow
        wait_penalty, n = self.wait_penalty, len(bought)
        user_ids = list(user_risk)
        # NaN is never high risk: the naive system fails silently.
        high_risk = {i: user_risk[i] >= HIGH_RISK_THRESHOLD for i in user_ids}
        journal: dict[int, list[tuple[str, dict[str, Any]]]] = {i: [] for i in user_ids}
        shown = dict.fromkeys(user_ids, 0)
        filing = list(user_ids)  # users who have not abandoned (yet)
        for s, step in enumerate(FILING_STEPS):
            staying = []
            for i in filing:
                leave = ABANDON_BASE + ABANDON_PER_PROMPT * shown[i]
                if s == 0:
                    leave += wait_penalty
                if self.interaction is not None:
                    leave += self.interaction.leave_extra(i)
                if u_abandon[i, s] < leave:
                    journal[i].append(
                        ("abandoned", {"return_id": i, "step": step, "prompts_shown": shown[i]})
                    )
                else:
                    staying.append(i)
            filing = staying
            if step == "deductions":
                advised = [i for i in filing if high_risk[i]]
                records = [_record(i, population, self.seen_amounts) for i in advised]
                naive = [_naive_advice(record) for record in records]
                answers: list[Any] = (
                    guard.many(
                        [
                            (dict(advice), dict(record), user_risk[i])
                            for advice, record, i in zip(naive, records, advised, strict=True)
                        ]
                    )
                    if guard is not None
                    else list(naive)
                )
                for i, answer in zip(advised, answers, strict=True):
                    advice = _check_advice(answer) if guard is not None else answer
                    if advice is None:
                        continue
                    field = str(advice["field"])
                    journal[i].append(
                        (
                            "advice_shown",
                            {
                                "return_id": i,
                                "kind": advice["kind"],
                                "field": field,
                                "step": step,
                            },
                        )
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
                        journal[i].append(
                            (
                                "advice_followed",
                                {
                                    "return_id": i,
                                    "field": field,
                                    "old_amount": true_value,
                                    "new_amount": new_value,
                                },
                            )
                        )
            if self.interaction is not None and step == "deductions":
                self.interaction.on_deductions(filing, user_risk, shown, journal, step)
            if self.interaction is not None and step == "review":
                self.interaction.on_review(filing, journal, step)
            asked = [i for i in filing if not bought[i]]
            decisions = (
                [bool(d) for d in policy.many([(user_risk[i], shown[i], step) for i in asked])]
                if policy is not None
                else [high_risk[i] for i in asked]
            )
            for i, show in zip(asked, decisions, strict=True):
                if not show:
                    continue
                shown[i] += 1
                finite = math.isfinite(user_risk[i])
                journal[i].append(
                    (
                        "prompt_shown",
                        {
                            "return_id": i,
                            "step": step,
                            "prompts_shown": shown[i],
                            "risk": user_risk[i] if finite else None,
                        },
                    )
                )
                persuasion = (0.05 + 0.35 * float(population.risk_aversion[i])) * BUY_DECAY ** (
                    shown[i] - 1
                )
                if u_buy[i, s] < persuasion:
                    bought[i] = True
                    journal[i].append(
                        (
                            "purchase",
                            {"return_id": i, "step": step, "price": PROTECTION_PRICE},
                        )
                    )
        return journal, shown, set(filing)


def _record(i: int, population: Any, seen_amounts: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """The return as the advice service sees it (``None`` for an entry that did not arrive)."""
    record: dict[str, Any] = {
        "return_id": i,
        "filing_status": FILING_STATUSES[int(population.filing_status[i])],
        "age_band": AGE_BANDS[int(population.age_band[i])],
        "region": REGIONS[int(population.region[i])],
    }
    for name in AMOUNT_FIELDS:
        value = float(seen_amounts[name][i])
        record[name] = None if math.isnan(value) else value
    return record


def _model_metrics(risk: np.ndarray, population: Any, u_audit: np.ndarray) -> dict[str, float]:
    """Model quality against the hidden ground truth of the returns as users entered them."""
    truth = u_audit < audit_probability(population.amounts, population.audit_noise)
    valid = np.isfinite(risk) & (risk >= 0.0) & (risk <= 1.0)
    return {
        "auc": auc(risk, truth),
        "brier": brier(risk, truth),
        "ece": round(expected_calibration_error(usable_risk(risk), truth), 6),
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
