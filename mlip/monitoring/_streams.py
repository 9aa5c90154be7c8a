"""Telemetry streams with (and without) drift, recorded from a system's own simulator.

A stream is a concatenation of *segments*: each segment is one :meth:`System.run` under some
environment conditions. Segments run in the drifted world are marked, so every drift *episode*
(consecutive drifted segments) has an exactly known start and end in the stream. Time ``t`` is
renumbered so it keeps increasing across segments, as in one long production log; fields the
system's telemetry schema marks as ``time`` (on the clock of ``t``, e.g. when a late-labelled
return was filed) are shifted with it.

- sudden drift: normal segments, then drifted ones;
- gradual drift: normal segments, then a run whose condition itself worsens over time (e.g. an
  ageing heating element) - the episode starts where the worsening starts;
- recurring drift: normal and drifted segments alternate (e.g. a noisy room on some days).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlip.systems import System

__all__ = ["DriftStream", "Segment", "StreamSpec", "build_stream"]


@dataclass(frozen=True)
class Segment:
    """One stretch of production: ``sessions`` sessions under ``conditions``."""

    sessions: int
    conditions: Mapping[str, str] = field(default_factory=dict)
    drifted: bool = False
    #: The segment's own time index at which its drift begins (a condition such as the tax
    #: system's ``income_shift=sudden`` only changes the world halfway through a run).
    drift_from_t: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for a check's scenario)."""
        return {
            "sessions": self.sessions,
            "conditions": dict(self.conditions),
            "drifted": self.drifted,
            "drift_from_t": self.drift_from_t,
        }


@dataclass(frozen=True)
class StreamSpec:
    """How to record a stream: its name, drift kind (``none``, ``sudden``...) and segments."""

    name: str
    kind: str
    segments: tuple[Segment, ...]
    seed: int = 0

    def describe(self) -> str:
        """One line for hints, e.g. ``sudden: 3 normal segments, then bread=unseen``."""
        drifted = [segment for segment in self.segments if segment.drifted]
        if not drifted:
            return f"{self.name}: no drift"
        changes = sorted({f"{k}={v}" for s in drifted for k, v in s.conditions.items()})
        return f"{self.name}: {self.kind} drift ({', '.join(changes)})"


@dataclass(frozen=True)
class DriftStream:
    """A recorded stream: its events in order and where the drift episodes are.

    ``episodes`` holds ``(start, end)`` event indices (end exclusive) of each drifted stretch;
    empty for a drift-free stream.
    """

    spec: StreamSpec
    events: tuple[dict[str, Any], ...]
    episodes: tuple[tuple[int, int], ...]

    @property
    def onset(self) -> int | None:
        """Index of the first drifted event, or None for a drift-free stream."""
        return self.episodes[0][0] if self.episodes else None

    def __len__(self) -> int:
        return len(self.events)


def build_stream(
    system: System,
    spec: StreamSpec,
    *,
    model: Any = None,
    runs: MutableMapping[Any, list[dict[str, Any]]] | None = None,
) -> DriftStream:
    """Record ``spec`` by running ``system`` segment by segment (deterministic given the spec).

    Segment ``i`` runs with seed ``spec.seed * 1000 + i``. ``runs`` caches recorded segments,
    so streams that share a prefix (same seed, same first segments) simulate it only once.
    """
    time_fields = {schema.event: schema.time_fields for schema in system.telemetry_schema()}
    events: list[dict[str, Any]] = []
    episodes: list[tuple[int, int]] = []
    offset = 0
    for index, segment in enumerate(spec.segments):
        seed = spec.seed * 1000 + index
        key = (system.name, segment.sessions, tuple(sorted(segment.conditions.items())), seed)
        recorded: list[dict[str, Any]] = [] if runs is None else runs.get(key, [])
        if not recorded:
            system.run(
                n=segment.sessions,
                seed=seed,
                model=model,
                conditions=dict(segment.conditions),
                telemetry=recorded.append,
            )
            if runs is not None:
                runs[key] = recorded
        start: int | None = None
        last_t = -1
        for event in recorded:
            if event.get("event") == "alert":
                continue
            if start is None and int(event["t"]) >= segment.drift_from_t:
                start = len(events)
            last_t = max(last_t, int(event["t"]))
            renumbered = dict(event)
            renumbered["t"] = int(event["t"]) + offset
            for name in time_fields.get(str(event.get("event")), ()):
                if isinstance(renumbered.get(name), int):
                    renumbered[name] += offset
            events.append(renumbered)
        offset += last_t + 1
        if start is None:
            start = len(events)
        if segment.drifted:
            if episodes and episodes[-1][1] == start:
                episodes[-1] = (episodes[-1][0], len(events))
            else:
                episodes.append((start, len(events)))
    return DriftStream(spec=spec, events=tuple(events), episodes=tuple(episodes))
