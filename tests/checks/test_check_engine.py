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
from mlip.systems import Component, ComponentKind, ExtensionPoint, RunResult, System, TrainReport


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

    def run(
        self,
        *,
        n: int,
        seed: int,
        model: Any = None,
        extensions: Any = None,
        conditions: Any = None,
        telemetry: Any = None,
        progress: Any = None,
    ) -> RunResult:
        cap = (extensions or {}).get("cap")
        harmful = 0
        for index in range(n):
            value = float(seed * 100 + index) if model != "nan" else math.nan
            guarded = value if cap is None else cap(value)
            harmful += not (guarded <= 10.0)
        return RunResult("counter", n, seed, {}, {"harmful": float(harmful)})


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
