"""Requirements in the world/machine vocabulary, measurable over a system's telemetry.

Following the world-versus-machine view of requirements engineering: a *requirement* (REQ) is
what must hold in the world (no kitchen fire), an *assumption* (ASM) is what we rely on the
environment to do (the smoke sensor works), and a *specification* (SPEC) is what the software
itself does (the planned heating time never exceeds five minutes). A REQ follows from SPECs only
if the ASMs hold, which is why the checks break assumptions on purpose and watch what fails.

Each REQ and SPEC names one telemetry event type and field, an aggregate over the matching
events, a bound and optionally a scope: ``per=10_000`` scales a rate to "per 10,000 events",
``per_event="return_started"`` turns a count into "per return started" (times ``per`` if given),
and ``where`` keeps only events whose fields have the given values.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "AGGREGATES",
    "BOUNDS",
    "Assumption",
    "Evaluation",
    "Requirement",
    "Specification",
    "evaluate",
    "requirement_from_dict",
    "schema_problems",
]

#: How the field values of the matching events are summarised.
#: ``rate``: share of events whose field is true (or non-zero); ``count``: events carrying a value
#: for the field; ``mean``/``max``/``min``/``sum``; ``quantile``: needs ``quantile=0.95`` etc.
AGGREGATES: tuple[str, ...] = ("rate", "count", "mean", "max", "min", "sum", "quantile")
#: Comparisons a bound may use: ``value <= threshold`` and so on.
BOUNDS: tuple[str, ...] = ("<=", "<", ">=", ">", "==")


@dataclass(frozen=True)
class _Measured:
    """A statement measured over telemetry: aggregate(field of event) bound threshold."""

    id: str
    text: str
    event: str
    field: str
    aggregate: str
    bound: str
    threshold: float
    where: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    per: int | None = None
    quantile: float | None = None
    per_event: str | None = None

    kind = "REQ"

    def describe(self) -> str:
        """The measurable part as one line, e.g. ``rate(outcome.fire) <= 0``."""
        name = f"{self.aggregate}({self.event}.{self.field})"
        if self.aggregate == "quantile":
            name = f"quantile{self.quantile}({self.event}.{self.field})"
        scope = f" per {self.per:,} {self.per_event or self.event} events" if self.per else ""
        if self.per_event and not self.per:
            scope = f" per {self.per_event} event"
        where = ""
        if self.where:
            where = " where " + ", ".join(f"{k}={v!r}" for k, v in self.where.items())
        return f"{name}{where}{scope} {self.bound} {self.threshold:g}"

    def to_dict(self) -> dict[str, Any]:
        """Plain data (what crosses a process boundary in grading)."""
        return {
            "kind": self.kind,
            "id": self.id,
            "text": self.text,
            "event": self.event,
            "field": self.field,
            "aggregate": self.aggregate,
            "bound": self.bound,
            "threshold": float(self.threshold),
            "where": dict(self.where),
            "per": self.per,
            "quantile": self.quantile,
            "per_event": self.per_event,
        }


@dataclass(frozen=True)
class Requirement(_Measured):
    """REQ: a desired effect in the world, e.g. no fire in any toasting session."""

    kind = "REQ"


@dataclass(frozen=True)
class Specification(_Measured):
    """SPEC: what the software does at its interface, e.g. it never plans > 300 s of heating."""

    kind = "SPEC"


@dataclass(frozen=True)
class Assumption:
    """ASM: something the environment must do for the SPECs to imply the REQs.

    ``rules_out`` names the environment conditions the assumption excludes, as
    ``{condition: (value, ...)}`` using the system's :meth:`~mlip.systems.System.conditions`
    (e.g. "the smoke sensor works" rules out ``{"sensor_fault": ("smoke_dead",)}``), and
    ``model_faults`` the chaos kinds it excludes (e.g. "the model answers" rules out
    ``("exception",)``).
    """

    id: str
    text: str
    rules_out: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    model_faults: tuple[str, ...] = ()

    kind = "ASM"

    def excludes(self, condition: str, value: str) -> bool:
        """Whether this assumption rules out ``condition=value``."""
        return value in _as_values(self.rules_out.get(condition, ()))

    def to_dict(self) -> dict[str, Any]:
        """Plain data (what crosses a process boundary in grading)."""
        return {
            "kind": self.kind,
            "id": self.id,
            "text": self.text,
            "rules_out": {key: list(_as_values(values)) for key, values in self.rules_out.items()},
            "model_faults": list(_as_values(self.model_faults)),
        }


def _as_values(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(str(item) for item in value)


def requirement_from_dict(data: Mapping[str, Any]) -> Requirement | Specification | Assumption:
    """Rebuild a REQ/SPEC/ASM from :meth:`to_dict` output; ``ValueError`` on malformed data."""
    kind = str(data.get("kind", "")).upper()
    try:
        if kind == "ASM":
            rules = data.get("rules_out") or {}
            if not isinstance(rules, Mapping):
                raise ValueError("rules_out must map condition names to values")
            return Assumption(
                id=str(data["id"]),
                text=str(data.get("text", "")),
                rules_out={str(key): _as_values(values) for key, values in rules.items()},
                model_faults=_as_values(data.get("model_faults") or ()),
            )
        if kind not in ("REQ", "SPEC"):
            raise ValueError(f"kind must be REQ, SPEC or ASM, not {kind!r}")
        where = data.get("where") or {}
        if not isinstance(where, Mapping):
            raise ValueError("where must map field names to values")
        per = data.get("per")
        quantile = data.get("quantile")
        cls = Requirement if kind == "REQ" else Specification
        return cls(
            id=str(data["id"]),
            text=str(data.get("text", "")),
            event=str(data["event"]),
            field=str(data["field"]),
            aggregate=str(data["aggregate"]),
            bound=str(data["bound"]),
            threshold=float(data["threshold"]),
            where={str(key): value for key, value in where.items()},
            per=None if per is None else int(per),
            quantile=None if quantile is None else float(quantile),
            per_event=None if data.get("per_event") is None else str(data["per_event"]),
        )
    except KeyError as error:
        raise ValueError(f"a {kind or 'requirement'} needs {error.args[0]!r}") from None
    except (TypeError, ValueError) as error:
        raise ValueError(str(error)) from None


def schema_problems(statement: _Measured, schema: Mapping[str, Iterable[str]]) -> list[str]:
    """What is wrong with ``statement`` against a telemetry schema ``{event: fields}``.

    An empty list means the statement names a real event and field and a valid measurement.
    """
    problems: list[str] = []
    label = f"{statement.kind} {statement.id}"
    if statement.event not in schema:
        known = ", ".join(sorted(schema))
        return [f"{label}: the system emits no event {statement.event!r} (events: {known})"]
    fields = set(schema[statement.event])
    if statement.field not in fields:
        problems.append(
            f"{label}: event {statement.event!r} has no field {statement.field!r} "
            f"(fields: {', '.join(sorted(fields))})"
        )
    for name in statement.where:
        if name not in fields:
            problems.append(f"{label}: where names {name!r}, not a field of {statement.event!r}")
    if statement.aggregate not in AGGREGATES:
        problems.append(f"{label}: aggregate must be one of {', '.join(AGGREGATES)}")
    if statement.bound not in BOUNDS:
        problems.append(f"{label}: bound must be one of {', '.join(BOUNDS)}")
    if statement.aggregate == "quantile" and not (
        statement.quantile is not None and 0.0 <= statement.quantile <= 1.0
    ):
        problems.append(f"{label}: a quantile aggregate needs quantile= between 0 and 1")
    if not math.isfinite(statement.threshold):
        problems.append(f"{label}: the threshold must be a finite number")
    if statement.per is not None and statement.per <= 0:
        problems.append(f"{label}: per= must be a positive number of events")
    if statement.per_event is not None:
        if statement.per_event not in schema:
            problems.append(f"{label}: per_event names {statement.per_event!r}, not an event")
        if statement.aggregate not in ("count", "sum"):
            problems.append(f"{label}: per_event= scales a count or a sum")
    elif statement.per is not None and statement.aggregate != "rate":
        problems.append(f"{label}: per= alone scales a rate; add per_event= for a count")
    return problems


@dataclass(frozen=True)
class Evaluation:
    """A statement measured on one run: the value, whether the bound holds, how many events."""

    statement: str
    value: float | None
    holds: bool
    matched: int

    def describe(self) -> str:
        """One line, e.g. ``REQ1: rate(outcome.fire) = 0.0125 (400 events): violated``."""
        shown = "no value" if self.value is None else f"{self.value:.6g}"
        verdict = "holds" if self.holds else "violated"
        return f"{self.statement} = {shown} over {self.matched} events: {verdict}"


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0 and not (isinstance(value, float) and math.isnan(value))
    return value not in (None, "", [], {})


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _aggregate(
    statement: _Measured, events: list[Mapping[str, Any]], scope_events: int
) -> float | None:
    value = _summarise(statement, events)
    if statement.per_event is not None and value is not None:
        return value / scope_events * (statement.per or 1) if scope_events else 0.0
    return value


def _summarise(statement: _Measured, events: list[Mapping[str, Any]]) -> float | None:
    raw = [event.get(statement.field) for event in events]
    if statement.aggregate == "rate":
        if not raw:
            return 0.0
        rate = sum(_truthy(value) for value in raw) / len(raw)
        return rate * statement.per if statement.per and not statement.per_event else rate
    if statement.aggregate == "count":
        return float(sum(value is not None for value in raw))
    numbers = [
        float(value)
        for value in raw
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    ] + [float(value) for value in raw if isinstance(value, bool)]
    if statement.aggregate == "sum":
        return float(sum(numbers))
    if not numbers:
        return None
    if statement.aggregate == "mean":
        return sum(numbers) / len(numbers)
    if statement.aggregate == "max":
        return max(numbers)
    if statement.aggregate == "min":
        return min(numbers)
    return _quantile(numbers, float(statement.quantile or 0.0))


def _compare(value: float, bound: str, threshold: float) -> bool:
    if bound == "<=":
        return value <= threshold + 1e-12
    if bound == "<":
        return value < threshold
    if bound == ">=":
        return value >= threshold - 1e-12
    if bound == ">":
        return value > threshold
    return abs(value - threshold) <= 1e-12


def evaluate(statement: _Measured, events: Iterable[Mapping[str, Any]]) -> Evaluation:
    """Measure ``statement`` over a run's telemetry events.

    Only events of the statement's type (and matching ``where``) count. With no value to
    measure (e.g. the mean of no events) an upper bound holds vacuously and a lower bound fails.
    """
    events = list(events)
    matching = [
        event
        for event in events
        if event.get("event") == statement.event
        and all(event.get(key) == value for key, value in statement.where.items())
    ]
    scope_events = sum(event.get("event") == statement.per_event for event in events)
    value = _aggregate(statement, matching, scope_events)
    if value is None:
        holds = statement.bound in ("<=", "<")
    else:
        holds = _compare(value, statement.bound, statement.threshold)
    rounded = None if value is None else round(value, 6)
    return Evaluation(statement.describe(), rounded, holds, len(matching))
