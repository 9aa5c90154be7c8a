"""The conformance suite every system must pass (like scikit-learn's ``check_estimator``).

``system_checks(system)`` yields ``(check_name, check_function)`` pairs; each function raises
``AssertionError`` with a readable message when the system breaks the contract.
``check_system(system)`` runs them all. The kit's tests parametrize over every registered
system, and a course adding its own system can run the same suite on it::

    from mlip.systems import get_system
    from mlip.systems.conformance import check_system
    check_system(get_system("my-system"))
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from mlip.errors import UsageError
from mlip.systems._contract import FAULT_KINDS, ComponentKind, ExtensionPoint, RunResult, System
from mlip.systems._dataflow import data_flow

__all__ = ["CHECKS", "SMALL_N", "check_system", "system_checks"]

#: Sessions per conformance run: enough to exercise every code path, small enough to be quick.
SMALL_N = 40

EXTENSION_KINDS = {"guard", "monitor", "policy", "requirement"}
HEAVY_MODULES = ("torch", "sklearn", "numpy", "scipy")
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "float": (float, int),
    "str": (str,),
    "bool": (bool,),
    "list": (list,),
    "dict": (dict,),
    "null": (type(None),),
}

Check = Callable[[System], None]


def _assert_finite_metrics(result: RunResult) -> None:
    for group, metrics in (("model", result.model), ("system_metrics", result.system_metrics)):
        assert metrics, f"{group} metrics are empty"
        for key, value in metrics.items():
            assert isinstance(value, float), f"{group}.{key} is {type(value).__name__}, not float"
            assert math.isfinite(value), f"{group}.{key} is not finite: {value}"


def check_components(system: System) -> None:
    components = system.components()
    assert components, "components() is empty"
    names = [c.name for c in components]
    assert len(names) == len(set(names)), f"duplicate component names: {names}"
    kinds = {c.kind for c in components}
    assert ComponentKind.ML in kinds, "no ML component: what is the model?"
    assert ComponentKind.NON_ML in kinds, "no non-ML component: a model alone is not a system"
    for c in components:
        assert c.description, f"component {c.name!r} has no description"
    try:
        data_flow(components)  # every consumed item has one producer, or a declared source
    except UsageError as error:
        raise AssertionError(f"components() data flow: {error}") from None


def check_extension_points(system: System) -> None:
    points = system.extension_points()
    assert points, "extension_points() is empty: assignments need somewhere to plug in"
    names = [p.name for p in points]
    assert len(names) == len(set(names)), f"duplicate extension point names: {names}"
    components = {c.name for c in system.components()} | {"telemetry"}
    for p in points:
        assert p.kind in EXTENSION_KINDS, f"extension point {p.name!r} has unknown kind {p.kind!r}"
        assert p.attaches_to in components, (
            f"extension point {p.name!r} attaches to unknown component {p.attaches_to!r}"
        )
        assert p.signature.startswith(p.name + "("), (
            f"{p.name!r}: signature must start with its name"
        )
    assert any(p.kind == "monitor" for p in points), "no monitor extension point"


def _type_matches(value: Any, declared: str) -> bool:
    for alternative in declared.split("|"):
        expected = _JSON_TYPES.get(alternative.strip())
        assert expected is not None, f"unknown type {alternative!r} in telemetry schema"
        if isinstance(value, expected) and not (alternative != "bool" and isinstance(value, bool)):
            return True
    return False


def check_telemetry_schema(system: System) -> None:
    schema = {s.event: s for s in system.telemetry_schema()}
    assert schema, "telemetry_schema() is empty"
    for event in schema.values():
        for declared_field in event.fields:
            assert not declared_field.time or declared_field.type in ("int", "int|null"), (
                f"event {event.event!r}: time field {declared_field.name!r} must be an int, "
                f"not {declared_field.type}"
            )
    events: list[dict[str, Any]] = []
    system.run(n=SMALL_N, seed=0, telemetry=events.append)
    assert events, "run() emitted no telemetry"
    last_t = -math.inf
    for record in events:
        json.dumps(record)  # must be JSON-native
        name = record.get("event")
        assert name in schema, f"event {name!r} is not in telemetry_schema()"
        declared = {f.name: f.type for f in schema[name].fields}
        keys = set(record) - {"event", "t"}
        assert keys == set(declared), (
            f"event {name!r} has fields {sorted(keys)}, schema says {sorted(declared)}"
        )
        assert isinstance(record["t"], int), f"event {name!r}: t must be an int"
        assert record["t"] >= last_t, f"event {name!r}: t went backwards"
        last_t = record["t"]
        for field, declared_type in declared.items():
            assert _type_matches(record[field], declared_type), (
                f"event {name!r} field {field!r} = {record[field]!r} is not {declared_type}"
            )
        for field in schema[name].time_fields:
            value = record[field]
            assert value is None or (isinstance(value, int) and value <= record["t"]), (
                f"event {name!r} time field {field!r} = {value!r} is not a time index up to t"
            )


def check_run_is_deterministic(system: System) -> None:
    first = system.run(n=SMALL_N, seed=3)
    second = system.run(n=SMALL_N, seed=3)
    assert first.to_dict() == second.to_dict(), "equal seeds gave different results"
    other = system.run(n=SMALL_N, seed=4)
    assert other.to_dict() != first.to_dict(), "different seeds gave identical results"
    assert (first.system, first.n, first.seed) == (system.name, SMALL_N, 3)
    _assert_finite_metrics(first)


def check_run_reports_progress(system: System) -> None:
    calls: list[tuple[int, int, str]] = []
    system.run(n=SMALL_N, seed=0, progress=lambda d, t, s: calls.append((d, t, s)))
    assert calls, "run() never called the progress callback"
    done, total, _ = calls[-1]
    assert done == total, f"the last progress report says {done} of {total}"


def check_faulty_models_do_not_crash_the_simulation(system: System) -> None:
    for kind in FAULT_KINDS:
        model = system.faulty_model(kind)
        result = system.run(n=SMALL_N, seed=0, model=model)
        _assert_finite_metrics(result)
    try:
        system.faulty_model("no-such-fault")
    except UsageError:
        pass
    else:
        raise AssertionError("faulty_model accepted an unknown kind")


def check_conditions(system: System) -> None:
    for condition in system.conditions():
        assert condition.values, f"condition {condition.name!r} has no values"
        for value in condition.values:
            result = system.run(n=SMALL_N, seed=0, conditions={condition.name: value})
            _assert_finite_metrics(result)
    for bad in ({"no-such-condition": "x"},):
        try:
            system.run(n=SMALL_N, seed=0, conditions=bad)
        except UsageError:
            continue
        raise AssertionError(f"run() accepted unknown conditions {bad}")
    for condition in system.conditions()[:1]:
        try:
            system.run(n=SMALL_N, seed=0, conditions={condition.name: "no-such-value"})
        except UsageError:
            continue
        raise AssertionError(f"run() accepted an unknown value for {condition.name!r}")


def check_unknown_extension_is_refused(system: System) -> None:
    try:
        system.run(n=SMALL_N, seed=0, extensions={"no_such_extension": lambda *a: None})
    except UsageError:
        return
    raise AssertionError("run() accepted an unknown extension name")


def check_monitor_sees_every_event(system: System) -> None:
    seen: list[dict[str, Any]] = []

    def monitor(event: dict[str, Any]) -> str | None:
        seen.append(event)
        return "first event" if len(seen) == 1 else None

    events: list[dict[str, Any]] = []
    system.run(n=SMALL_N, seed=0, extensions={"monitor": monitor}, telemetry=events.append)
    non_alert = [e for e in events if e["event"] != "alert"]
    assert seen == non_alert, "the monitor did not see exactly the emitted events"
    alerts = [e for e in events if e["event"] == "alert"]
    assert len(alerts) == 1, f"expected one alert event, got {len(alerts)}"


def check_run_is_the_shared_pipeline(system: System) -> None:
    assert type(system).run is System.run, (
        "run() is overridden: implement simulate() and let System.run validate the arguments, "
        "load the model, build the telemetry stream and report progress for every system alike"
    )


def _guard_points(system: System) -> list[ExtensionPoint]:
    """The extension points a simulation calls (every kind but the monitor, which watches)."""
    return [point for point in system.extension_points() if point.kind != "monitor"]


def check_extension_points_declare_naive_behaviour(system: System) -> None:
    for point in _guard_points(system):
        assert callable(point.naive), (
            f"extension point {point.name!r} declares no naive function (the extension that "
            "changes nothing), so nobody can tell what the system does without it"
        )


class _Probe(Exception):
    """Raised by a probe extension; run() must let it out (it means: the point was called)."""


def _raise_probe(*args: Any) -> Any:
    raise _Probe


class _BatchProbe:
    """A probe offering ``many``, like the check engine's wrapper of a student's function."""

    def __call__(self, *args: Any) -> Any:
        raise _Probe

    def many(self, calls: list[tuple[Any, ...]]) -> list[Any]:
        raise _Probe


def _is_called(system: System, name: str, probe: Any) -> bool:
    """Whether any of a few small runs calls extension ``name`` (the probe's error escapes)."""
    for seed in range(5):
        try:
            system.run(n=SMALL_N, seed=seed, extensions={name: probe})
        except _Probe:
            return True
    return False


def check_extensions_are_called(system: System) -> None:
    for point in _guard_points(system):
        assert _is_called(system, point.name, _raise_probe), (
            f"run() never called extension {point.name!r} (or swallowed the error it raised): "
            "the system ignores the code students plug in"
        )
        assert _is_called(system, point.name, _BatchProbe()), (
            f"run() never called extension {point.name!r} when it offers many() (or swallowed "
            "the error it raised)"
        )


class _Batching:
    """The naive function offering ``many``; counts calls and batch sizes."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function
        self.single_calls = 0
        self.batches: list[int] = []

    def __call__(self, *args: Any) -> Any:
        self.single_calls += 1
        return self.function(*args)

    def many(self, calls: list[tuple[Any, ...]]) -> list[Any]:
        self.batches.append(len(calls))
        return [self.function(*args) for args in calls]


def _run_with_events(system: System, **arguments: Any) -> tuple[dict[str, Any], list[Any]]:
    events: list[dict[str, Any]] = []
    result = system.run(n=SMALL_N, seed=1, telemetry=events.append, **arguments)
    return result.to_dict(), events


def check_naive_extensions_change_nothing(system: System) -> None:
    naive = {point.name: point.naive for point in _guard_points(system) if point.naive}
    if not naive:
        return
    plain = _run_with_events(system)
    # metrics a point reports only while it is filled are the one difference allowed
    own = {name for point in _guard_points(system) if point.naive for name in point.reports}

    def without_own(run: tuple[dict[str, Any], list[Any]]) -> tuple[dict[str, Any], list[Any]]:
        if not own:
            return run
        result, events = run
        metrics = result["system_metrics"]
        assert own <= set(metrics), f"a run with {sorted(naive)} does not report {sorted(own)}"
        kept = {key: value for key, value in metrics.items() if key not in own}
        return {**result, "system_metrics": kept}, events

    assert without_own(_run_with_events(system, extensions=naive)) == plain, (
        "with every extension point's naive function plugged in, the run differs from the "
        "system without extensions: either a naive function is not naive, or answers are not "
        "used for their own calls (a batch's answers come in the order of its calls)"
    )
    batching = {name: _Batching(function) for name, function in naive.items()}
    assert without_own(_run_with_events(system, extensions=batching)) == plain, (
        "with naive extensions answering in batches (many), the run differs from the system "
        "without extensions: batched answers must be used exactly like one-by-one answers, "
        "in the order of the calls"
    )
    for name, spy in batching.items():
        assert any(size > 1 for size in spy.batches), (
            f"extension {name!r} is never called in batches ({spy.single_calls} single calls, "
            f"batch sizes {sorted(set(spy.batches))}): pass independent calls to "
            "extension.many() so a sandboxed student function costs one round trip per batch"
        )


def check_checkpoint_and_training(system: System) -> None:
    path = system.checkpoint_path()
    assert path.exists(), f"committed checkpoint {path} is missing"
    assert path.stat().st_size < 5 * 1024 * 1024, f"checkpoint {path} is over 5 MB"
    system.load_model()
    calls: list[tuple[int, int, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / ("retrained" + path.suffix)
        report = system.train(
            seed=0, quick=True, checkpoint=target, progress=lambda d, t, s: calls.append((d, t, s))
        )
        assert target.exists(), "train(checkpoint=...) did not write the checkpoint there"
        assert report.checkpoint == str(target)
        assert calls, "train() never reported progress"
        model = system.load_model(target)
        _assert_finite_metrics(system.run(n=SMALL_N, seed=0, model=model))


def check_entry_point_import_is_light(system: System) -> None:
    module = type(system).__module__
    code = (
        f"import sys, importlib; importlib.import_module({module!r}); "
        f"print(' '.join(m for m in {HEAVY_MODULES!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert not out.stdout.strip(), f"importing {module} loads {out.stdout.strip()}"


CHECKS: tuple[Check, ...] = (
    check_components,
    check_extension_points,
    check_run_is_the_shared_pipeline,
    check_extension_points_declare_naive_behaviour,
    check_telemetry_schema,
    check_extensions_are_called,
    check_naive_extensions_change_nothing,
    check_run_is_deterministic,
    check_run_reports_progress,
    check_faulty_models_do_not_crash_the_simulation,
    check_conditions,
    check_unknown_extension_is_refused,
    check_monitor_sees_every_event,
    check_checkpoint_and_training,
    check_entry_point_import_is_light,
)


def system_checks(system: System) -> Iterator[tuple[str, Check]]:
    """Yield every conformance check as ``(name, function)``."""
    for check in CHECKS:
        yield check.__name__, check


def check_system(system: System) -> None:
    """Run every conformance check on ``system``; raise ``AssertionError`` on the first failure."""
    for name, check in system_checks(system):
        try:
            check(system)
        except AssertionError as error:
            raise AssertionError(f"{system.name}: {name}: {error}") from error
