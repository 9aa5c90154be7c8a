"""The check engine: scoring, partial credit, failures as data, the plain-data boundary."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from mlip.checks import (
    BoundedCache,
    Check,
    CheckContext,
    CheckResult,
    ExtensionSpec,
    Margin,
    Scenario,
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


def _graded(credits: dict[int, float | None], *, passed: bool = False) -> Check:
    """A check whose scenario ``seed`` earns ``credits[seed]`` (a seed not listed: full)."""

    def verdict(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
        seed = int(scenario["seed"])
        if seed not in credits:
            return ScenarioOutcome(True, "fine")
        return ScenarioOutcome(
            passed, f"seed {seed}", hint=f"fix seed {seed}", credit=credits[seed]
        )

    return Check(
        **{
            **CHECK.__dict__,
            "scenarios": lambda system: [{"seed": seed} for seed in range(4)],
            "verdict": verdict,
        }
    )


def test_points_are_the_mean_credit_over_scenarios() -> None:
    result = run_check(_graded({1: 0.5, 2: 0.0}), {"cap": abs}, system=CounterSystem())
    assert result.points == 4 * (1 + 0.5 + 0 + 1) / 4
    assert not result.passed and result.scenario == {"seed": 1}
    assert result.hint == "fix seed 1"  # the hint of the first scenario short of full credit
    assert "(2/4 scenarios passed, 1 for part of their points)" in result.message


def test_credit_none_means_pass_or_fail_and_nonsense_credit_earns_nothing_extra() -> None:
    system = CounterSystem()
    assert run_check(_graded({1: None}), {"cap": abs}, system=system).points == 3.0
    assert run_check(_graded({1: None}, passed=True), {"cap": abs}, system=system).passed
    for nonsense, earned in ((math.nan, 0.0), (-2.0, 0.0), (7.0, 1.0)):
        result = run_check(_graded({1: nonsense}), {"cap": abs}, system=system)
        assert result.points == 3.0 + earned, nonsense


def test_without_partial_credit_half_credit_scores_zero() -> None:
    strict = Check(**{**_graded({1: 0.5}).__dict__, "partial_credit": False})
    assert run_check(strict, {"cap": abs}, system=CounterSystem()).points == 0.0


def test_a_passing_check_reports_its_tightest_margin() -> None:
    def verdict(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
        delay = Margin("detection delay", 100.0 * (1 + int(scenario["seed"])), 300, " events")
        good = Margin("good toast", 95.0 - int(scenario["seed"]), 90.0, "%", higher_is_better=True)
        return ScenarioOutcome(True, "ok", margins=(delay, good))

    check = Check(**{**_graded({}).__dict__, "verdict": verdict})
    result = run_check(check, {"cap": abs}, system=CounterSystem())
    assert result.passed
    assert result.margin_lines() == [
        "detection delay: 400 events (limit <= 300 events)",  # seed 3: past the limit
        "good toast: 92% (limit >= 90%)",
    ]
    assert CheckResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result


def test_the_repro_line_is_the_complete_failing_call_and_runs() -> None:
    seen: list[Any] = []

    def picky(value: Any) -> float:
        seen.append(value)
        raise ValueError("no")

    long_text = "Your mortgage interest looks high; " * 10
    scenarios = lambda system: [{"seed": 0}]  # noqa: E731

    def verdict(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
        context.extensions["cap"]({"message": long_text, "risk": math.nan, "big": [math.inf]})
        return ScenarioOutcome(True, "ok")

    check = Check(**{**CHECK.__dict__, "scenarios": scenarios, "verdict": verdict})
    result = run_check(check, {"cap": picky}, system=CounterSystem())
    assert "..." in result.message  # the message stays short...
    assert result.repro.startswith("cap({'message': 'Your mortgage")  # ...the repro is complete
    assert long_text in result.repro and "float('nan')" in result.repro
    assert "Paste the repro line" in result.hint
    seen.clear()
    with pytest.raises(ValueError):
        eval(result.repro, {"cap": picky})  # trusted test input: the line runs as shown
    assert seen[0]["message"] == long_text and math.isnan(seen[0]["risk"])
    assert json.loads(json.dumps(result.to_dict()))["repro"] == result.repro


def test_a_stub_has_no_repro_line() -> None:
    def stub(value: float) -> float:
        raise NotImplementedError()

    assert run(stub).repro == ""


def test_bounded_cache_forgets_the_least_recently_used() -> None:
    cache = BoundedCache(max_entries=2)
    cache["a"], cache["b"] = 1, 2
    assert cache["a"] == 1  # "a" is now the most recent
    cache["c"] = 3
    assert set(cache) == {"a", "c"} and len(cache) == 2
    assert cache.remember("b", lambda: 20) == 20 and "a" not in cache


class CountingSystem(CounterSystem):
    loads = 0

    def load_model(self, path: Path | None = None) -> Any:
        CountingSystem.loads += 1
        return None


def test_each_check_loads_the_model_once_and_shares_no_model() -> None:
    def verdict(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
        context.model()
        return ScenarioOutcome(True, "ok")

    check = Check(**{**CHECK.__dict__, "verdict": verdict})  # four scenarios
    system = CountingSystem()
    CountingSystem.loads = 0
    shared = BoundedCache()
    for _ in range(3):
        run_check(check, {"cap": abs}, system=system, recordings=shared)
    assert CountingSystem.loads == 3  # once per check, never handed from one check to another
    assert list(shared) == []


def test_a_system_failure_of_a_public_check_repros_as_a_replay_of_its_scenario() -> None:
    result = run(lambda value: min(value, 10.0))  # NaN slips through: the system failed
    assert result.repro == (
        "from mlip.checks.repro import replay; "
        "replay('guards-counter', 'no-harm', {'seed': 0, 'fault': 'nan'})"
    )
    hidden = Check(**{**CHECK.__dict__, "public": False})
    assert run_check(hidden, {"cap": lambda v: min(v, 10.0)}, system=CounterSystem()).repro == ""


def test_the_replay_line_runs_the_failing_scenario_in_the_notebook(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    from mlip.checks import get_check

    def heating_guard(predicted: float, readings: dict[str, float]) -> float:
        return min(predicted, 200.0)  # NaN slips through min()

    def thermal_cutoff(state: dict[str, float]) -> bool:
        return False

    functions: dict[str, Any] = {"heating_guard": heating_guard, "thermal_cutoff": thermal_cutoff}
    result = run_check(get_check("guards-toaster", "no-fire-under-chaos"), functions)
    assert not result.passed and result.repro.startswith("from mlip.checks.repro import replay")
    for name, function in functions.items():  # what a notebook cell defines lives in __main__
        monkeypatch.setattr(sys.modules["__main__"], name, function, raising=False)
    capsys.readouterr()
    exec(result.repro, {})  # trusted: the line the student pastes
    shown = capsys.readouterr().out
    assert shown.startswith("[FAIL] no-fire-under-chaos, one scenario: 0/7 points")
    assert "fire(s) in 120 sessions" in shown and "hint:" in shown


def test_the_system_comes_from_the_registered_assignment_not_its_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An id need not end in its system's name (``feedback-loops-tax``, a course's ``lab3``)."""
    from dataclasses import replace

    import mlip.assignments as assignments
    from mlip.assignments._registry import Registry
    from mlip.checks import public_checks

    kit = assignments.registry()
    renamed = replace(assignments.get_assignment("guards-tax"), id="lab-3")
    registry = Registry((*kit.assignments, renamed), kit.broken, kit.packages)
    monkeypatch.setattr(assignments, "registry", lambda: registry)
    check = replace(public_checks("guards-tax")[2], assignment="lab-3")  # prompts-bounded
    result = run_check(
        check, {"advice_guard": lambda a, r, s: None, "prompt_policy": lambda *a: False}
    )
    assert result.passed, result.message
