"""REQ/SPEC evaluation over telemetry and schema validation."""

from __future__ import annotations

from typing import Any

from mlip.requirements import (
    Assumption,
    Requirement,
    Specification,
    evaluate,
    requirement_from_dict,
    schema_problems,
)

EVENTS = [
    {"event": "outcome", "t": 0, "fire": False, "shade": 4.0},
    {"event": "outcome", "t": 1, "fire": True, "shade": 11.0},
    {"event": "outcome", "t": 2, "fire": False, "shade": 5.0},
    {"event": "outcome", "t": 3, "fire": False, "shade": None},
    {"event": "session", "t": 3},
]
SCHEMA = {"outcome": {"fire", "shade"}, "session": set()}


def _req(**overrides: object) -> Requirement:
    fields: dict = dict(
        id="R", text="", event="outcome", field="fire", aggregate="rate", bound="<=", threshold=0
    )
    fields.update(overrides)
    return Requirement(**fields)


def test_rate_count_mean_max_quantile() -> None:
    assert evaluate(_req(), EVENTS).value == 0.25
    assert not evaluate(_req(), EVENTS).holds
    assert evaluate(_req(per=10_000, threshold=3000), EVENTS).value == 2500.0
    assert evaluate(_req(field="shade", aggregate="count"), EVENTS).value == 3.0
    assert evaluate(_req(field="shade", aggregate="mean", threshold=7), EVENTS).value == 6.666667
    assert evaluate(_req(field="shade", aggregate="max", threshold=12), EVENTS).holds
    median = _req(field="shade", aggregate="quantile", quantile=0.5, threshold=5)
    assert evaluate(median, EVENTS).value == 5.0


def test_where_and_per_event_scope() -> None:
    fires = _req(field="shade", aggregate="count", where={"fire": True}, per_event="session")
    assert evaluate(fires, EVENTS).value == 1.0


def test_missing_field_and_event_are_named() -> None:
    assert "no field 'smoke'" in schema_problems(_req(field="smoke"), SCHEMA)[0]
    assert "no event 'fire'" in schema_problems(_req(event="fire"), SCHEMA)[0]
    assert schema_problems(_req(aggregate="median"), SCHEMA)


def test_round_trip_through_plain_data() -> None:
    spec = Specification("S", "", "outcome", "shade", "max", "<=", 9.0)
    assumption = Assumption("A", "sensor works", rules_out={"sensor_fault": ("smoke_dead",)})
    for statement in (_req(), spec, assumption):
        assert requirement_from_dict(statement.to_dict()) == statement


def test_an_assumption_with_a_single_value_keeps_it_whole() -> None:
    """``rules_out={"bread": "unseen"}`` means one value, not the letters of one."""
    from mlip.requirements import Assumption, requirement_from_dict

    single: Any = {"rules_out": {"bread": "unseen"}, "model_faults": "nan"}  # untyped notebooks
    asm = Assumption("A", "bread as usual", **single)
    assert asm.excludes("bread", "unseen") and not asm.excludes("bread", "u")
    data = asm.to_dict()
    assert data["rules_out"] == {"bread": ["unseen"]} and data["model_faults"] == ["nan"]
    assert requirement_from_dict(data) == Assumption(
        "A", "bread as usual", rules_out={"bread": ("unseen",)}, model_faults=("nan",)
    )
