"""The tax system: calculator golden cases, the model, biased late labels, and the naive harm."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mlip.errors import InputError, UsageError
from mlip.systems import FAULT_KINDS
from mlip.systems.metrics import expected_calibration_error
from mlip.systems.tax import (
    HIGH_RISK_THRESHOLD,
    TaxSystem,
    naive_advice_guard,
    naive_prompt_policy,
)
from mlip.systems.tax._calculator import bracket_tax, compute_tax
from mlip.systems.tax._metrics import auc, brier, usable_risk
from mlip.systems.tax._model import AuditRiskModel, featurise
from mlip.systems.tax._population import audit_probability, generate_population
from mlip.systems.tax._training import historical_labels

CASES = json.loads((Path(__file__).parent / "data" / "tax_cases.json").read_text())["cases"]
N = 3000  # users per behavioural run: enough for stable rates, fast enough for tests


@pytest.fixture(scope="module")
def system() -> TaxSystem:
    return TaxSystem()


@pytest.fixture(scope="module")
def naive(system: TaxSystem) -> Any:
    events: list[dict[str, Any]] = []
    result = system.run(n=N, seed=0, telemetry=events.append)
    return result, events


# -- the calculator ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_calculator_matches_hand_computed_cases(case: dict[str, Any]) -> None:
    result = compute_tax(case["return"])
    expected = case["expected"]
    assert result.deduction == expected["deduction"]
    assert result.taxable_income == pytest.approx(expected["taxable_income"])
    assert result.tax_due == pytest.approx(expected["tax_due"])


def test_calculator_picks_the_larger_deduction() -> None:
    just_below = compute_tax({"filing_status": "single", "wages": 80_000, "charitable": 14_000})
    above = compute_tax({"filing_status": "single", "wages": 80_000, "charitable": 16_000})
    assert just_below.deduction == "standard"
    assert just_below.taxable_income == 80_000 - 14_600
    assert above.deduction == "itemized"
    assert above.taxable_income == 80_000 - 16_000


def test_brackets_are_progressive() -> None:
    for status in ("single", "married_joint", "head_of_household"):
        taxes = [bracket_tax(income, status) for income in range(0, 1_000_001, 50_000)]
        assert taxes == sorted(taxes)
        assert bracket_tax(1_000_000, status) / 1_000_000 < 0.37


def test_calculator_refuses_an_unknown_filing_status() -> None:
    with pytest.raises(ValueError, match="filing status"):
        compute_tax({"filing_status": "pirate", "wages": 1})


# -- the model --------------------------------------------------------------------------------


def test_committed_model_separates_and_is_calibrated_on_fresh_returns(system: TaxSystem) -> None:
    rng = np.random.default_rng(12345)
    population = generate_population(rng, 20_000)
    truth = rng.random(len(population)) < audit_probability(
        population.amounts, population.audit_noise
    )
    risk = system.load_model().predict_risk(population.columns())
    assert auc(risk, truth) > 0.78
    assert brier(risk, truth) < 0.05  # a constant at the base rate scores about 0.052
    assert expected_calibration_error(usable_risk(risk), truth) < 0.05


def test_model_underestimates_risk_because_labels_are_biased_and_late(system: TaxSystem) -> None:
    result = system.run(n=N, seed=1)
    assert result.model["mean_risk"] < result.model["true_audit_rate"]


def test_json_checkpoint_replays_scikit_learn_exactly(tmp_path: Path, system: TaxSystem) -> None:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression

    history = historical_labels(np.random.default_rng(7), 1, 3000)
    classifier = CalibratedClassifierCV(
        LogisticRegression(max_iter=2000), method="isotonic", cv=3
    ).fit(history.features, history.known)
    folds = classifier.calibrated_classifiers_
    model = AuditRiskModel(
        mean=np.zeros(history.features.shape[1]),
        scale=np.ones(history.features.shape[1]),
        coefficients=np.vstack([f.estimator.coef_[0] for f in folds]),
        intercepts=np.array([f.estimator.intercept_[0] for f in folds]),
        calibration_x=[f.calibrators[0].X_thresholds_ for f in folds],
        calibration_y=[f.calibrators[0].y_thresholds_ for f in folds],
    )
    model.save(tmp_path / "m.json")
    reloaded = AuditRiskModel.load(tmp_path / "m.json")
    expected = classifier.predict_proba(history.features)[:, 1]
    np.testing.assert_allclose(reloaded.predict_features(history.features), expected, atol=1e-9)


def test_missing_amounts_give_no_risk_instead_of_a_guess(system: TaxSystem) -> None:
    population = generate_population(np.random.default_rng(0), 5)
    columns = population.columns()
    columns["wages"] = columns["wages"].copy()
    columns["wages"][2] = np.nan
    risk = system.load_model().predict_risk(columns)
    assert np.isnan(risk[2])
    assert np.isfinite(np.delete(risk, 2)).all()
    assert featurise(columns).shape == (5, len(system.load_model().mean_))


def test_loading_a_non_checkpoint_is_an_input_error(tmp_path: Path, system: TaxSystem) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}')
    with pytest.raises(InputError):
        system.load_model(bad)
    with pytest.raises(InputError):
        system.load_model(tmp_path / "missing.json")


def test_quick_training_writes_a_usable_checkpoint(tmp_path: Path, system: TaxSystem) -> None:
    calls: list[tuple[int, int, str]] = []
    target = tmp_path / "model.json"
    report = system.train(
        seed=0, quick=True, checkpoint=target, progress=lambda *c: calls.append(c)
    )
    assert report.checkpoint == str(target)
    assert calls[-1][0] == calls[-1][1]
    assert report.metrics["auc"] > 0.7
    # Labels the company trains on miss audits that were never reported or not reported yet.
    assert report.metrics["label_rate"] < report.metrics["true_audit_rate"]
    system.train(seed=0, quick=True, checkpoint=tmp_path / "again.json")
    assert target.read_text() == (tmp_path / "again.json").read_text()
    result = system.run(n=200, seed=0, model=system.load_model(target))
    assert result.model["valid_output_rate"] == 1.0


# -- labels: only audited returns, and late ---------------------------------------------------


def test_audit_labels_arrive_late_and_only_for_audited_filed_returns(naive: Any) -> None:
    _, events = naive
    labels = [e for e in events if e["event"] == "audit_label"]
    filed = {e["return_id"]: e["t"] for e in events if e["event"] == "filed"}
    assert labels
    assert len(labels) < 0.1 * len(filed)  # the tax office audits only a small fraction
    for label in labels:
        assert label["return_id"] in filed
        assert label["filed_t"] == filed[label["return_id"]]
        assert label["t"] - label["filed_t"] >= 6
    assert max(e["t"] for e in labels) > 51  # some arrive after the season is over
    times = [e["t"] for e in events]
    assert times == sorted(times)


# -- behaviour of the naive system and the extensions ------------------------------------------


def test_naive_system_harms_users(naive: Any) -> None:
    result, events = naive
    assert result.system_metrics["harmful_advice"] > 0.01
    assert result.system_metrics["overpaid_tax_per_user"] > 0
    assert result.system_metrics["prompts_per_user"] > 0.2
    prompts: dict[int, int] = {}
    for e in events:
        if e["event"] == "prompt_shown":
            prompts[e["return_id"]] = e["prompts_shown"]
    assert max(prompts.values()) >= 3  # the same user is nagged on screen after screen
    followed = [e for e in events if e["event"] == "advice_followed"]
    assert all(e["new_amount"] < e["old_amount"] for e in followed)


def test_identity_extensions_reproduce_the_naive_system(system: TaxSystem, naive: Any) -> None:
    result, events = naive
    seen: list[dict[str, Any]] = []
    identity = system.run(
        n=N,
        seed=0,
        extensions={"advice_guard": naive_advice_guard, "prompt_policy": naive_prompt_policy},
        telemetry=seen.append,
    )
    assert identity.to_dict() == result.to_dict()
    assert seen == events


def review_only_guard(advice: dict[str, Any], tax_return: dict[str, Any], risk: float) -> dict:
    """Never ask anyone to change a truthful entry; ask them to double-check it instead."""
    if advice["kind"] == "change_entry":
        return {**advice, "kind": "review_entry", "message": "Please double-check this entry."}
    return advice


def once_at_review(risk: float, prompts_shown: int, step: str) -> bool:
    """Offer protection at most once, on the review screen, only when the risk is high."""
    return step == "review" and prompts_shown == 0 and risk >= HIGH_RISK_THRESHOLD


def test_simple_guard_and_policy_remove_the_harm_and_keep_the_business(
    system: TaxSystem, naive: Any
) -> None:
    before = naive[0].system_metrics
    after = system.run(
        n=N,
        seed=0,
        extensions={"advice_guard": review_only_guard, "prompt_policy": once_at_review},
    ).system_metrics
    assert after["harmful_advice"] == 0.0
    assert after["overpaid_tax_per_user"] == 0.0
    assert after["prompts_per_user"] <= 1.0
    assert after["abandon_rate"] < before["abandon_rate"]
    assert after["revenue"] >= 0.9 * before["revenue"]
    assert after["conversion_rate"] >= 0.35 * before["conversion_rate"]


def test_a_guard_that_hides_all_advice_shows_nothing(system: TaxSystem) -> None:
    events: list[dict[str, Any]] = []
    system.run(
        n=500, seed=0, extensions={"advice_guard": lambda a, r, k: None}, telemetry=events.append
    )
    assert not [e for e in events if e["event"] in ("advice_shown", "advice_followed")]


def test_guard_receives_the_return_and_the_naive_advice(system: TaxSystem) -> None:
    calls: list[tuple[dict[str, Any], dict[str, Any], float]] = []

    def spy(advice: dict[str, Any], tax_return: dict[str, Any], risk: float) -> dict:
        calls.append((advice, tax_return, risk))
        return advice

    system.run(n=500, seed=0, extensions={"advice_guard": spy})
    assert calls
    for advice, tax_return, risk in calls:
        assert risk >= HIGH_RISK_THRESHOLD
        assert {"kind", "field", "message"} <= set(advice)
        assert "filing_status" in tax_return and "charitable" in tax_return
        json.dumps(tax_return)


def test_a_malformed_guard_answer_is_a_usage_error(system: TaxSystem) -> None:
    with pytest.raises(UsageError, match="advice_guard"):
        system.run(n=500, seed=0, extensions={"advice_guard": lambda a, r, k: "lower it"})


# -- determinism, faults, conditions ----------------------------------------------------------


def test_runs_are_deterministic_and_seed_dependent(system: TaxSystem) -> None:
    first = system.run(n=400, seed=5).to_dict()
    assert system.run(n=400, seed=5).to_dict() == first
    assert system.run(n=400, seed=6).to_dict() != first


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_faulty_models_never_stop_the_season(system: TaxSystem, kind: str) -> None:
    events: list[dict[str, Any]] = []
    result = system.run(n=300, seed=0, model=system.faulty_model(kind), telemetry=events.append)
    assert all(math.isfinite(v) for v in result.system_metrics.values())
    assert (
        sum(e["event"] == "filed" for e in events) + sum(e["event"] == "abandoned" for e in events)
        == 300
    )
    if kind in ("nan", "inf", "exception"):
        assert result.system_metrics["scoring_error_rate"] == 1.0
        assert all(e["error"] for e in events if e["event"] == "risk_scored")


def test_a_slow_model_makes_users_give_up(system: TaxSystem, naive: Any) -> None:
    slow = system.run(n=N, seed=0, model=system.faulty_model("slow"))
    assert slow.system_metrics["abandon_rate"] > naive[0].system_metrics["abandon_rate"] + 0.1


def test_conditions_change_what_the_system_sees(system: TaxSystem, naive: Any) -> None:
    base = naive[0]
    unit = system.run(n=N, seed=0, conditions={"data_fault": "unit_error"})
    assert unit.system_metrics["prompts_per_user"] > base.system_metrics["prompts_per_user"]
    missing = system.run(n=N, seed=0, conditions={"data_fault": "missing_fields"})
    assert missing.system_metrics["scoring_error_rate"] > 0.05
    new = system.run(n=N, seed=0, conditions={"deduction_pattern": "new"})
    assert new.system_metrics["harmful_advice"] > base.system_metrics["harmful_advice"]
    assert new.conditions["deduction_pattern"] == "new"
    with pytest.raises(UsageError):
        system.run(n=10, seed=0, conditions={"income_shift": "sideways"})
    with pytest.raises(UsageError):
        system.run(n=0, seed=0)
