"""The running example systems and their registry.

Systems register under the ``mlip.systems`` entry-point group (see ``pyproject.toml``), the same
way a course's own system would, so the kit's three get no special treatment.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points

from mlip.errors import UnknownSystemError, UsageError
from mlip.systems._contract import (
    ALERT_EVENT,
    FAULT_KINDS,
    MONITOR_EXTENSION,
    Component,
    ComponentKind,
    Condition,
    EventField,
    EventSchema,
    ExtensionPoint,
    ProgressCallback,
    RunResult,
    System,
    TelemetrySink,
    TelemetryStream,
    TrainReport,
)
from mlip.systems._dataflow import DataFlow, data_flow

__all__ = [
    "ALERT_EVENT",
    "ENTRY_POINT_GROUP",
    "FAULT_KINDS",
    "MONITOR_EXTENSION",
    "Component",
    "ComponentKind",
    "Condition",
    "DataFlow",
    "EventField",
    "EventSchema",
    "ExtensionPoint",
    "ProgressCallback",
    "RunResult",
    "System",
    "TelemetrySink",
    "TelemetryStream",
    "TrainReport",
    "data_flow",
    "get_system",
    "system_names",
]

ENTRY_POINT_GROUP = "mlip.systems"


@cache
def _entry_points() -> dict[str, EntryPoint]:
    return {
        ep.name: ep for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)
    }


def system_names() -> list[str]:
    """Names of every installed system, sorted."""
    return list(_entry_points())


def get_system(name: str) -> System:
    """Instantiate the system registered as ``name``.

    Raises :class:`UnknownSystemError` (listing the known names) for a name nobody registered.
    """
    eps = _entry_points()
    if name not in eps:
        raise UnknownSystemError(name, list(eps))
    try:
        cls = eps[name].load()
    except Exception as error:  # a course's broken plugin gets one clear line, not a traceback
        raise UsageError(f"system {name!r} failed to load: {error}") from error
    if not (isinstance(cls, type) and issubclass(cls, System)):
        raise UsageError(f"entry point {name!r} does not name a mlip System subclass")
    return cls()
