"""The System contract every running example implements.

A running example is an ML-enabled system: one or more machine-learned components inside a
larger system of ordinary (non-ML) software, sensors and people. The contract asks each system
to describe its architecture (:meth:`System.components`), the places where assignments extend it
(:meth:`System.extension_points`), the telemetry it emits (:meth:`System.telemetry_schema`), and
to simulate itself against a seeded environment, reporting model quality and system quality
side by side, because the point of the course is that they differ.

:meth:`System.run` is the same pipeline for every system (a template method, like
scikit-learn's ``BaseEstimator``): it validates the arguments, resolves conditions and a faulty
model, loads the model, builds the telemetry stream, reports progress, and calls the one step
each system writes, :meth:`System.simulate`, with a :class:`Simulation`. Extensions reach the
simulation as :class:`Extension` objects that answer batches of independent calls
(:meth:`Extension.many`), so a sandboxed student function costs one round trip per batch.

This module imports nothing heavy; a system's module that defines its :class:`System` subclass
must stay light too (numpy, torch and scikit-learn are imported inside methods or submodules),
so that ``mlip systems list`` and ``mlip --help`` stay fast. The conformance suite checks this.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, ClassVar

from mlip.errors import UsageError

__all__ = [
    "ALERT_EVENT",
    "FAULT_KINDS",
    "MONITOR_EXTENSION",
    "Component",
    "ComponentKind",
    "Condition",
    "EventField",
    "EventSchema",
    "Extension",
    "ExtensionPoint",
    "ProgressCallback",
    "RunResult",
    "Simulation",
    "System",
    "TelemetrySink",
    "TelemetryStream",
    "TrainReport",
    "event_schema",
]

#: Kinds of misbehaving model every system can produce with :meth:`System.faulty_model`.
#: ``nan``/``inf``/``negative``/``huge`` corrupt the output value, ``constant`` ignores the input,
#: ``exception`` raises on every call, ``slow`` answers correctly but too late.
FAULT_KINDS: tuple[str, ...] = ("nan", "inf", "negative", "huge", "constant", "exception", "slow")

#: Receives one telemetry event (a JSON-serialisable dict with at least ``event`` and ``t``).
TelemetrySink = Callable[[dict[str, Any]], None]

#: Reports progress of long work: ``(done, total, description)``.
ProgressCallback = Callable[[int, int, str], None]


class ComponentKind(str, Enum):  # noqa: UP042 - StrEnum would change str() of members
    """Whether a component is machine-learned or ordinary software/hardware/people."""

    ML = "ml"
    NON_ML = "non-ml"


@dataclass(frozen=True)
class Component:
    """One box in the system's architecture diagram.

    An arrow runs from every component that produces an item to every one that consumes it.
    When several components produce an item this one consumes, ``sources`` names the one it
    reads (item → component name); :func:`mlip.systems.data_flow` refuses to guess.
    """

    name: str
    kind: ComponentKind
    description: str
    consumes: tuple[str, ...] = ()
    produces: tuple[str, ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class ExtensionPoint:
    """A place where an assignment plugs student code into the running system.

    ``kind`` is one of ``guard``, ``monitor``, ``policy`` or ``requirement``; ``signature`` is
    the Python signature students implement, written out for humans; ``attaches_to`` names the
    component the extension wraps or observes. ``naive`` is the extension that changes nothing:
    the system with it behaves exactly as without any (the conformance suite checks this, and
    uses it to check that the system calls the point and batches its calls correctly); every
    point except a monitor declares one. ``reports`` names the system metrics a run reports only
    when this point is filled (an interaction policy's user effort, say): with the naive
    function plugged in they are the only difference from a run without it.
    """

    name: str
    kind: str
    signature: str
    description: str
    attaches_to: str
    naive: Callable[..., Any] | None = field(default=None, compare=False, repr=False)
    reports: tuple[str, ...] = ()


@dataclass(frozen=True)
class Condition:
    """An environment condition :meth:`System.run` accepts in ``conditions``.

    Conditions are how checks inject sensor faults, unseen inputs and drift. ``values`` lists
    the accepted values; the first one is the default (the normal world).
    """

    name: str
    values: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class EventField:
    """One field of a telemetry event.

    ``time`` marks a field that holds a time index on the same clock as the event's ``t`` (e.g.
    the week a late-labelled return was filed): tools that shift ``t``, such as joining runs
    into one long stream, shift these fields too, without knowing any system's field names.
    """

    name: str
    type: str  # "int", "float", "str", "bool", "list", "dict" or a union such as "float|null"
    description: str
    time: bool = False


@dataclass(frozen=True)
class EventSchema:
    """The documented shape of one telemetry event type.

    Every event also carries ``event`` (the type name) and ``t`` (an integer time index that
    never decreases within a run); those two are implied and not listed in ``fields``.
    """

    event: str
    description: str
    fields: tuple[EventField, ...]

    @property
    def time_fields(self) -> tuple[str, ...]:
        """Names of the fields marked ``time`` (on the clock of ``t``)."""
        return tuple(f.name for f in self.fields if f.time)


def event_schema(
    event: str, description: str, *fields: EventField | tuple[str, str, str]
) -> EventSchema:
    """The one way systems declare an event: fields as ``(name, type, description)`` triples.

    Use an :class:`EventField` for a field that needs more, e.g. ``EventField("filed_t", "int",
    "week the return was filed", time=True)``.
    """
    return EventSchema(
        event,
        description,
        tuple(item if isinstance(item, EventField) else EventField(*item) for item in fields),
    )


@dataclass(frozen=True)
class RunResult:
    """Outcome of simulating a system: model quality and system quality side by side."""

    system: str
    n: int
    seed: int
    model: Mapping[str, float]
    system_metrics: Mapping[str, float]
    conditions: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` (key order fixed so equal runs give equal bytes)."""
        return {
            "system": self.system,
            "n": self.n,
            "seed": self.seed,
            "conditions": dict(sorted(self.conditions.items())),
            "model": dict(sorted(self.model.items())),
            "system_metrics": dict(sorted(self.system_metrics.items())),
        }


@dataclass(frozen=True)
class TrainReport:
    """What training produced: held-out metrics and where the checkpoint went."""

    system: str
    seed: int
    n_train: int
    n_test: int
    metrics: Mapping[str, float]
    checkpoint: str
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {
            "system": self.system,
            "seed": self.seed,
            "n_train": self.n_train,
            "n_test": self.n_test,
            "metrics": dict(sorted(self.metrics.items())),
            "checkpoint": self.checkpoint,
            "seconds": round(self.seconds, 3),
        }


class System(ABC):
    """Base class of every running example system.

    Subclasses are registered under the ``mlip.systems`` entry-point group, so a course can add
    its own system exactly the way the kit's three are added. ``__init__`` takes no arguments.
    """

    #: Short registry name, e.g. ``"toaster"``.
    name: ClassVar[str]
    #: Human title, e.g. ``"Smart toaster"``.
    title: ClassVar[str]
    #: One sentence on what the system does and where ML sits in it.
    summary: ClassVar[str]
    #: Default number of sessions/items of :meth:`run`.
    default_n: ClassVar[int] = 10_000

    @abstractmethod
    def components(self) -> tuple[Component, ...]:
        """The architecture: every ML and non-ML component with its inputs and outputs."""

    @abstractmethod
    def extension_points(self) -> tuple[ExtensionPoint, ...]:
        """Where assignments plug in guards, monitors, policies and requirements."""

    @abstractmethod
    def telemetry_schema(self) -> tuple[EventSchema, ...]:
        """Every event type :meth:`run` can emit, with its fields."""

    def conditions(self) -> tuple[Condition, ...]:
        """Environment conditions (faults, drift) :meth:`run` accepts; none by default."""
        return ()

    # -- argument checks shared by every system's run() and faulty_model() -------------------

    def check_run_size(self, n: object) -> None:
        """Refuse a run size that is not a positive integer (bools included)."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise UsageError(f"n must be a positive number of sessions, got {n!r}")

    def check_extensions(self, extensions: Mapping[str, Any] | None) -> dict[str, Any]:
        """The extensions as a dict, refusing names no extension point has and non-callables."""
        known = {point.name for point in self.extension_points()}
        chosen = dict(extensions or {})
        for name, function in chosen.items():
            if name not in known:
                raise UsageError(
                    f"unknown extension {name!r} for {self.name}; known: {', '.join(sorted(known))}"
                )
            if not callable(function):
                raise UsageError(
                    f"extension {name!r} must be a function, got {type(function).__name__}"
                )
        return chosen

    def resolve_conditions(self, conditions: Mapping[str, str] | None) -> dict[str, str]:
        """Every declared condition with its value: the one given, else its default (first)."""
        declared = {condition.name: condition for condition in self.conditions()}
        chosen = {name: condition.values[0] for name, condition in declared.items()}
        for name, value in (conditions or {}).items():
            if name not in declared:
                listing = ", ".join(declared) or "none"
                raise UsageError(f"unknown condition {name!r} for {self.name}; known: {listing}")
            if value not in declared[name].values:
                raise UsageError(
                    f"unknown value {value!r} for condition {name!r}; "
                    f"choose one of: {', '.join(declared[name].values)}"
                )
            chosen[name] = value
        return chosen

    def check_fault_kind(self, kind: str) -> None:
        """Refuse a fault kind outside :data:`FAULT_KINDS`."""
        if kind not in FAULT_KINDS:
            raise UsageError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")

    def metric_descriptions(self) -> Mapping[str, str]:
        """What each metric :meth:`run` reports means (for ``systems show`` and the docs)."""
        return {}

    def notes(self) -> tuple[str, ...]:
        """Further things a user of the system should know (``systems show`` lists them)."""
        return ()

    @abstractmethod
    def checkpoint_path(self) -> Path:
        """Where the committed model checkpoint lives."""

    @abstractmethod
    def load_model(self, path: Path | None = None) -> Any:
        """Load the trained ML component (from the committed checkpoint by default)."""

    @abstractmethod
    def train(
        self,
        *,
        seed: int = 0,
        quick: bool = False,
        checkpoint: Path | None = None,
        progress: ProgressCallback | None = None,
    ) -> TrainReport:
        """Train the ML component from data the system's own environment generates.

        Deterministic given ``seed``. ``quick`` trains on less data for tests. The checkpoint is
        written to ``checkpoint`` (default :meth:`checkpoint_path`).
        """

    @abstractmethod
    def faulty_model(self, kind: str, *, model: Any = None) -> Any:
        """A misbehaving stand-in for the ML component, one of :data:`FAULT_KINDS`.

        ``model`` is the healthy model to wrap (the committed one by default), used by kinds that
        answer from it (``slow``) or derive their output from it.
        """

    def run(
        self,
        *,
        n: int,
        seed: int,
        model: Any = None,
        fault: str | None = None,
        extensions: Mapping[str, Any] | None = None,
        conditions: Mapping[str, str] | None = None,
        telemetry: TelemetrySink | None = None,
        progress: ProgressCallback | None = None,
    ) -> RunResult:
        """Simulate ``n`` sessions against the environment seeded with ``seed``.

        ``model`` replaces the ML component (default: the committed checkpoint); ``fault``
        wraps it in a :meth:`faulty_model` of that kind; ``extensions`` maps extension-point
        names to student code; ``conditions`` selects environment conditions. With no
        extensions the system behaves naively (it trusts its model), so assignments have
        something to improve. Deterministic: equal arguments give equal results.

        The pipeline is the same for every system; only :meth:`simulate` differs.
        """
        self.check_run_size(n)
        chosen_extensions = self.check_extensions(extensions)
        chosen_conditions = self.resolve_conditions(conditions)
        if fault is not None:
            self.check_fault_kind(fault)
        healthy = model if model is not None else self.load_model()
        used = self.faulty_model(fault, model=healthy) if fault is not None else healthy
        stream = TelemetryStream(telemetry, monitor=chosen_extensions.get("monitor"))
        reporter = _ProgressReporter(progress)
        model_metrics, system_metrics = self.simulate(
            Simulation(
                n=n,
                seed=seed,
                model=used,
                conditions=chosen_conditions,
                extensions={
                    name: Extension(name, function) for name, function in chosen_extensions.items()
                },
                telemetry=stream,
                progress=reporter,
            )
        )
        reporter.finish(n)
        return RunResult(
            system=self.name,
            n=n,
            seed=seed,
            model=dict(model_metrics),
            system_metrics=dict(system_metrics),
            conditions=chosen_conditions,
        )

    @abstractmethod
    def simulate(self, simulation: Simulation) -> tuple[Mapping[str, float], Mapping[str, float]]:
        """The system's own step of :meth:`run`: ``(model metrics, system metrics)``.

        ``simulation`` holds validated arguments, the model to use, the extensions (call
        independent calls in one :meth:`Extension.many` batch), the telemetry stream to emit
        every event through (its ``alerts`` count belongs in the system metrics) and a progress
        callback to call as work gets done.
        """


class Extension:
    """Student code at one extension point, as a simulation calls it.

    ``extension(*args)`` is one call. ``extension.many(calls)`` answers several independent
    calls (a list of argument tuples) in order, exactly as calling them one by one would; when
    the student's function offers ``many`` itself (the check engine's wrapper, the autograder's
    sandbox proxy), the whole batch goes there in one go: one round trip instead of one per call.
    Simulations batch wherever calls do not depend on each other's answers.
    """

    def __init__(self, name: str, function: Callable[..., Any]) -> None:
        self.name = name
        self.function = function
        self.__name__ = getattr(function, "__name__", name)

    def __call__(self, *args: Any) -> Any:
        return self.function(*args)

    def many(self, calls: Sequence[Sequence[Any]]) -> list[Any]:
        """The answers to ``calls``, in order (see the class docstring)."""
        batch = [tuple(args) for args in calls]
        if not batch:
            return []
        offered = getattr(self.function, "many", None)
        if not callable(offered):
            return [self.function(*args) for args in batch]
        answers = list(offered(batch))
        if len(answers) != len(batch):
            raise UsageError(
                f"extension {self.name!r} gave {len(answers)} answers to {len(batch)} calls"
            )
        return answers


@dataclass(frozen=True)
class Simulation:
    """What :meth:`System.run` hands to :meth:`System.simulate`: everything already checked.

    ``conditions`` holds every declared condition (defaults filled in); ``extensions`` only the
    extension points the caller filled, so a missing name means the naive system.
    """

    n: int
    seed: int
    model: Any
    conditions: Mapping[str, str]
    extensions: Mapping[str, Extension]
    telemetry: TelemetryStream
    progress: ProgressCallback


class _ProgressReporter:
    """Forwards progress to the caller's callback and makes sure the last report says done."""

    def __init__(self, callback: ProgressCallback | None) -> None:
        self._callback = callback
        self._last: tuple[int, int, str] | None = None

    def __call__(self, done: int, total: int, description: str) -> None:
        self._last = (done, total, description)
        if self._callback is not None:
            self._callback(done, total, description)

    def finish(self, n: int) -> None:
        if self._last is None:
            self(n, n, "simulating")
        elif self._last[0] != self._last[1]:
            self(self._last[1], self._last[1], self._last[2])


class TelemetryStream:
    """What a system's :meth:`System.run` emits events through.

    It forwards every event to the run's sink (a JSON-lines file, a list, a monitor harness),
    lets an optional ``monitor`` extension look at each event and raise an alert (any non-empty
    string it returns is the alert's reason), and counts events by type for the run's metrics.
    Field values must already be JSON-native (int, float, str, bool, None, list, dict).
    """

    def __init__(
        self,
        sink: TelemetrySink | None = None,
        monitor: Callable[[dict[str, Any]], object] | None = None,
    ) -> None:
        self._sink = sink
        self._monitor = monitor
        self.counts: dict[str, int] = {}

    def emit(self, event: str, t: int, **fields: Any) -> None:
        """Emit one event of type ``event`` at time index ``t``."""
        record: dict[str, Any] = {"event": event, "t": t, **fields}
        self.counts[event] = self.counts.get(event, 0) + 1
        if self._sink is not None:
            self._sink(record)
        if self._monitor is not None and event != "alert":
            reason = self._monitor(record)
            if reason:
                self.emit(
                    "alert",
                    t,
                    monitor=getattr(self._monitor, "__name__", "monitor"),
                    reason=str(reason),
                )

    @property
    def alerts(self) -> int:
        """How many alerts the monitor raised so far."""
        return self.counts.get("alert", 0)


#: The ``monitor`` extension point :class:`TelemetryStream` gives every system that emits its
#: events through it; systems list it in :meth:`System.extension_points`.
MONITOR_EXTENSION = ExtensionPoint(
    "monitor",
    "monitor",
    "monitor(event: dict) -> str | None",
    "Sees every telemetry event as it is emitted; a non-empty string raises an alert with that "
    "reason.",
    "telemetry",
)

#: Schema of the ``alert`` event :class:`TelemetryStream` emits for a monitor; systems that
#: offer a ``monitor`` extension point include it in their :meth:`System.telemetry_schema`.
ALERT_EVENT = event_schema(
    "alert",
    "A monitor extension raised an alert after seeing an event.",
    ("monitor", "str", "name of the monitor function"),
    ("reason", "str", "why the monitor alerted, in its own words"),
)
