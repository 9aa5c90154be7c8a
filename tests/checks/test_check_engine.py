"""The check engine: scoring, partial credit, failures as data, the plain-data boundary."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from mlip.checks import (
    Check,
    CheckContext,
    CheckResult,
    ExtensionSpec,
    ScenarioOutcome,
    describe_scenario,
    plain,
    run_check,
)
from mlip.checks._families import to_bool, to_float
from mlip.systems import (
    Component,
    ComponentKind,
    ExtensionPoint,
    Simulation,
    System,
    TrainReport,
)


class CounterSystem(System):
    """A tiny system: each of ``n`` items is 'harmful' when the guard lets a value above 10 pass."""

    name = "counter"
    title = "Counter"
    summary = "test double"

    def components(self) -> tuple[Component, ...]:
        return (Component("model", ComponentKind.ML, "guesses"),)

    def extension_points(self) -> tuple[ExtensionPoint, ...]:
        return (ExtensionPoint("cap", "guard", "cap(x: float) -> float", "caps", "model"),)

    def telemetry_schema(self) -> tuple[Any, ...]:
        return ()

    def checkpoint_path(self) -> Path:
        return Path("unused")

    def load_model(self, path: Path | None = None) -> Any:
        return None

    def train(self, **kwargs: Any) -> TrainReport:
        raise NotImplementedError

    def faulty_model(self, kind: str, *, model: Any = None) -> Any:
        return kind

    def simulate(self, simulation: Simulation) -> tuple[dict[str, float], dict[str, float]]:
        cap = simulation.extensions.get("cap")
        harmful = 0
        for index in range(simulation.n):
            nan = simulation.model == "nan"
            value = float(simulation.seed * 100 + index) if not nan else math.nan
            guarded = value if cap is None else cap(value)
            harmful += not (guarded <= 10.0)
        return {}, {"harmful": float(harmful)}


SPEC = ExtensionSpec("cap", coerce=to_float, fallback=lambda value: value)


def _no_harm(context: CheckContext, scenario: dict[str, Any]) -> ScenarioOutcome:
    model = scenario.get("fault")
    result = context.system.run(
        n=3, seed=int(scenario["seed"]), model=model, extensions=context.extensions
    )
    harmful = result.system_metrics["harmful"]
    return ScenarioOutcome(harmful == 0, f"{harmful:g} harmful")


CHECK = Check(
    name="no-harm",
    assignment="guards-counter",
    summary="no harm",
    max_points=4,
    hint="cap it",
    extensions=(SPEC,),
    scenarios=lambda system: [{"seed": 0}, {"seed": 0, "fault": "nan"}, {"seed": 1}, {"seed": 2}],
    verdict=_no_harm,
)


def run(function: Any) -> CheckResult:
    return run_check(CHECK, {"cap": function}, system=CounterSystem())


def test_a_correct_guard_gets_full_points() -> None:
    result = run(lambda value: min(value, 10.0) if value == value else 0.0)
    assert result.passed and result.points == 4 and result.scenario is None and result.hint == ""


def test_partial_credit_is_the_share_of_scenarios_passed() -> None:
    result = run(lambda value: min(value, 10.0))  # NaN slips through min()
    assert not result.passed
    assert result.points == 3.0
    assert result.scenario == {"seed": 0, "fault": "nan"}
    assert "3/4 scenarios passed" in result.message and result.hint == "cap it"


def test_without_partial_credit_one_failure_scores_zero() -> None:
    strict = Check(**{**CHECK.__dict__, "partial_credit": False})
    result = run_check(strict, {"cap": lambda value: min(value, 10.0)}, system=CounterSystem())
    assert result.points == 0.0


def test_a_check_scores_the_mean_credit_of_its_scenarios() -> None:
    """``ScenarioOutcome.credit`` is a scenario's share of the points; ``None`` means 1 or 0."""
    credits = {0: 0.5, 1: None, 2: 0.25}

    def verdict(context: CheckContext, scenario: dict[str, Any]) -> ScenarioOutcome:
        credit = credits[int(scenario["seed"])]
        return ScenarioOutcome(credit is None, "partly", credit=credit)

    check = Check(**{**CHECK.__dict__, "verdict": verdict, "scenarios": lambda system: [
        {"seed": 0}, {"seed": 1}, {"seed": 2}]})  # fmt: skip
    result = run_check(check, {"cap": lambda value: value}, system=CounterSystem())
    assert not result.passed
    assert result.points == pytest.approx(4 * (0.5 + 1.0 + 0.25) / 3, abs=0.01)
    strict = Check(**{**check.__dict__, "partial_credit": False})
    assert run_check(strict, {"cap": lambda value: value}, system=CounterSystem()).points == 0


def test_an_extension_that_raises_fails_the_scenario_with_its_input() -> None:
    def broken(value: float) -> float:
        raise ValueError("boom")

    result = run(broken)
    assert result.points == 0.0
    assert "cap(0.0) raised ValueError: boom" in result.message
    assert "must never raise" in result.hint


def test_a_stub_is_reported_as_not_written() -> None:
    def stub(value: float) -> float:
        raise NotImplementedError()

    result = run(stub)
    assert "cap is not written yet" in result.message
    assert "NotImplementedError" in result.hint


def test_a_missing_function_fails_with_a_clear_message() -> None:
    result = run_check(CHECK, {}, system=CounterSystem())
    assert not result.passed and "defines no function cap" in result.message


def test_returned_objects_are_coerced_to_plain_values() -> None:
    class Liar(float):
        def __le__(self, other: object) -> bool:
            return True

    result = run(lambda value: Liar(1e9))  # claims to be small, is coerced to a float
    assert result.points == 0.0


def test_results_are_json_and_round_trip() -> None:
    result = run(lambda value: min(value, 10.0))
    data = json.loads(json.dumps(result.to_dict()))
    assert CheckResult.from_dict(data) == result


def test_plain_rejects_objects_and_converts_numpy() -> None:
    import numpy as np

    assert plain({"a": np.float64(1.5), "b": [np.int64(2), None, "x"]}) == {
        "a": 1.5,
        "b": [2, None, "x"],
    }
    assert type(plain(np.float64(1.5))) is float
    with pytest.raises(TypeError):
        plain(object())


def test_coercions() -> None:
    assert to_bool(True) is True and to_bool(0) is False
    with pytest.raises(TypeError):
        to_bool("yes")
    assert to_float(3) == 3.0
    with pytest.raises(TypeError):
        to_float(None)


def test_describe_scenario_flattens_conditions() -> None:
    text = describe_scenario({"fault": "nan", "conditions": {"sensor_fault": "stuck_ir"}, "n": 5})
    assert text == "fault=nan, sensor_fault=stuck_ir, n=5"


class Batched:
    """A function that also answers batches, like the autograder's sandbox proxy."""

    def __init__(self, function: Any) -> None:
        self.function = function
        self.batches: list[list[tuple[Any, ...]]] = []

    def __call__(self, *args: Any) -> Any:
        return self.function(*args)

    def many(self, calls: list[tuple[Any, ...]]) -> list[Any]:
        self.batches.append(list(calls))
        answers: list[Any] = []
        for args in calls:
            try:
                answers.append(self.function(*args))
            except Exception as error:  # a failed call's slot holds its exception
                answers.append(error)
        return answers


def _cap_or_raise(value: float) -> Any:
    if value < 0:
        raise ValueError("negative")
    return "big" if value > 100 else min(value, 10.0)


def test_a_batch_is_answered_like_single_calls() -> None:
    from mlip.checks import RecordingExtension

    calls = [(3.0,), (50.0,), (-1.0,), (500.0,), (-2.0,)]
    single = RecordingExtension(SPEC, _cap_or_raise)
    expected = [single(*args) for args in calls]
    batched_function = Batched(_cap_or_raise)
    batched = RecordingExtension(SPEC, batched_function)
    assert batched.many(calls) == expected == [3.0, 10.0, -1.0, 500.0, -2.0]
    assert batched_function.batches == [calls]  # one batch, plain arguments
    assert batched.calls == single.calls == 5
    assert batched.failure is not None and single.failure is not None
    assert (
        batched.failure.describe()
        == single.failure.describe()
        == ("cap(-1.0) raised ValueError: negative")
    )
    assert batched.many([(1.0,), (20.0,)]) == [1.0, 10.0]  # after a failure: one by one
    assert batched_function.batches == [calls]


def test_a_coercion_failure_in_a_batch_is_recorded() -> None:
    from mlip.checks import RecordingExtension

    batched = RecordingExtension(SPEC, Batched(_cap_or_raise))
    assert batched.many([(1.0,), (200.0,)]) == [1.0, 200.0]  # "big" is no number: fallback
    assert batched.failure is not None
    assert batched.failure.describe() == "cap(200.0) raised TypeError: expected a number, got 'big'"
    plain_function = RecordingExtension(SPEC, _cap_or_raise)
    assert plain_function.many([(1.0,), (20.0,)]) == [1.0, 10.0]  # no batch method: one by one


def test_toaster_verdicts_are_the_same_with_batches() -> None:
    """The toaster asks a batch-capable extension per step; verdicts must not change."""
    from mlip.checks import get_check

    def heating_guard(predicted: float, readings: dict[str, float]) -> float:
        return min(predicted, 200.0) if predicted == predicted else 90.0

    def thermal_cutoff(state: dict[str, float]) -> bool:
        if state["elapsed_seconds"] > 250:
            raise RuntimeError("too long")
        return state["chamber_temp_c"] > 240.0

    for name in ("keeps-good-toast", "no-fire-under-chaos"):
        check = get_check("guards-toaster", name)
        one_by_one = run_check(
            check, {"heating_guard": heating_guard, "thermal_cutoff": thermal_cutoff}
        )
        cutoff = Batched(thermal_cutoff)
        batched = run_check(
            check, {"heating_guard": Batched(heating_guard), "thermal_cutoff": cutoff}
        )
        assert batched == one_by_one
        assert cutoff.batches and max(len(batch) for batch in cutoff.batches) > 1
