"""Alerts as plain data, replaying a stream through a monitor, and the published score scale.

Scale (also printed in the notebooks and the checks' hints):

- **False alarms** are alerts outside drift episodes (an alert up to ``grace`` events after an
  episode ends still counts as seeing that episode). Per 10,000 events: at most
  :data:`QUIET_FULL` earns full credit, at most :data:`QUIET_HALF` half, more earns nothing.
- **Detection delay** of an episode is the number of events from its start to the first alert
  inside it. At most the system's ``budget`` earns full credit, at most twice the budget half,
  later (or never) earns nothing.
- An episode only counts as detected when the monitor was quiet enough before it (false alarm
  rate at most :data:`QUIET_HALF`): a monitor that alerts on every event detects nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from mlip.monitoring._streams import DriftStream

__all__ = [
    "QUIET_FULL",
    "QUIET_HALF",
    "Alert",
    "EpisodeScore",
    "StreamScore",
    "detection_credit",
    "false_alarm_credit",
    "replay",
    "score_stream",
]

QUIET_FULL = 10.0
QUIET_HALF = 40.0
#: Events per batch :func:`replay` hands a monitor that answers batches: one sandbox round trip
#: per batch instead of one per event (a stream has thousands of events). Small enough that the
#: judge buffers at most 64 calls' output allowance for one answer; a larger batch would save
#: only a few hundred round trips more per submission.
REPLAY_BATCH = 64


@dataclass(frozen=True)
class Alert:
    """One alert: where in the stream (event index), its time ``t``, who raised it and why."""

    index: int
    t: int
    monitor: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {"index": self.index, "t": self.t, "monitor": self.monitor, "reason": self.reason}


def replay(
    stream: DriftStream,
    monitor: Callable[[dict[str, Any]], object],
    *,
    name: str = "monitor",
) -> list[Alert]:
    """Feed every event of ``stream`` (a fresh copy each) to ``monitor``; collect its alerts.

    Any non-empty string the monitor returns is an alert (``None``, ``""`` and ``False`` are not).
    A monitor that answers batches (``many``, like the check engine's wrapper of a sandboxed
    monitor) gets the events :data:`REPLAY_BATCH` at a time: its answers never change the
    stream, so it still sees every event once, in order, as with one call per event.
    """
    events = stream.events
    many = getattr(monitor, "many", None)
    reasons: Iterable[object]
    if callable(many):
        reasons = [
            reason
            for start in range(0, len(events), REPLAY_BATCH)
            for reason in many([(_copy(event),) for event in events[start : start + REPLAY_BATCH]])
        ]
    else:
        reasons = (monitor(_copy(event)) for event in events)
    alerts: list[Alert] = []
    for index, (event, reason) in enumerate(zip(events, reasons, strict=True)):
        if reason:
            alerts.append(Alert(index, int(event["t"]), name, str(reason)))
    return alerts


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


@dataclass(frozen=True)
class EpisodeScore:
    """How quickly one drift episode was noticed."""

    start: int
    end: int
    delay: int | None  # events from the episode's start to the first alert in it; None: missed


@dataclass(frozen=True)
class StreamScore:
    """False alarms and detection delays of one monitor on one stream."""

    events: int
    quiet_events: int
    false_alarms: int
    episodes: tuple[EpisodeScore, ...]

    @property
    def false_alarms_per_10k(self) -> float:
        """False alarms per 10,000 events outside drift episodes."""
        if self.quiet_events == 0:
            return 0.0
        return round(10_000.0 * self.false_alarms / self.quiet_events, 6)


def score_stream(stream: DriftStream, alerts: Sequence[Alert], *, grace: int = 0) -> StreamScore:
    """Score ``alerts`` on ``stream``: false alarms outside episodes, delay of each episode."""
    covered = [(start, end + grace) for start, end in stream.episodes]
    false_alarms = sum(
        1 for alert in alerts if not any(lo <= alert.index < hi for lo, hi in covered)
    )
    quiet = len(stream) - sum(end - start for start, end in stream.episodes)
    episodes = []
    for start, end in stream.episodes:
        inside = [alert.index for alert in alerts if start <= alert.index < end]
        episodes.append(EpisodeScore(start, end, min(inside) - start if inside else None))
    return StreamScore(len(stream), quiet, false_alarms, tuple(episodes))


def false_alarm_credit(per_10k: float) -> float:
    """1.0, 0.5 or 0.0 for a false alarm rate (per 10,000 events) on the published scale."""
    if per_10k <= QUIET_FULL:
        return 1.0
    if per_10k <= QUIET_HALF:
        return 0.5
    return 0.0


def detection_credit(delay: int | None, budget: int) -> float:
    """1.0, 0.5 or 0.0 for a detection delay (in events) against the system's ``budget``."""
    if delay is None:
        return 0.0
    if delay <= budget:
        return 1.0
    if delay <= 2 * budget:
        return 0.5
    return 0.0
