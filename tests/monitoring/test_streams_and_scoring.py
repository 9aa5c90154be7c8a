"""Drift streams have known episodes; the score scale rewards quick, quiet monitors."""

from __future__ import annotations

from typing import Any

from mlip.monitoring import (
    Alert,
    Segment,
    StreamSpec,
    build_stream,
    detection_credit,
    false_alarm_credit,
    replay,
    score_stream,
)
from mlip.systems import get_system

SPEC = StreamSpec(
    "test",
    "recurring",
    (
        Segment(40),
        Segment(20, {"deduction_pattern": "new"}, drifted=True),
        Segment(20),
        Segment(20, {"income_shift": "sudden"}, drifted=True, drift_from_t=26),
    ),
    seed=3,
)


def test_stream_is_deterministic_with_known_episodes_and_increasing_time() -> None:
    system = get_system("tax")
    stream = build_stream(system, SPEC)
    assert stream == build_stream(system, SPEC, runs={})
    times = [event["t"] for event in stream.events]
    assert times == sorted(times)
    assert len(stream.episodes) == 2 and stream.onset == stream.episodes[0][0]
    (first_start, first_end), (second_start, second_end) = stream.episodes
    assert 0 < first_start < first_end <= second_start < second_end == len(stream)
    # the sudden income jump starts mid-season: its episode starts at week 26 of its segment
    assert stream.events[second_start]["t"] - stream.events[first_end]["t"] >= 26
    assert all(event["event"] != "alert" for event in stream.events)


def test_replay_collects_non_empty_reasons_only() -> None:
    stream = build_stream(get_system("tax"), SPEC)
    answers: list[Any] = [None, "", False, "drift!"]
    calls: list[int] = []

    def monitor(event: dict[str, Any]) -> Any:
        event["t"] = -1  # a monitor that mutates its input must not change the stream
        calls.append(1)
        return answers[(len(calls) - 1) % 4]

    alerts = replay(stream, monitor)
    assert [alert.index % 4 for alert in alerts] == [3] * len(alerts)
    assert alerts[0].reason == "drift!" and stream.events[0]["t"] >= 0


def test_score_counts_false_alarms_outside_episodes_and_delays_inside() -> None:
    stream = build_stream(get_system("tax"), SPEC)
    (start, end), _ = stream.episodes
    alerts = [
        Alert(5, 0, "m", "early"),
        Alert(start + 7, 0, "m", "seen"),
        Alert(end + 3, 0, "m", "x"),
    ]
    score = score_stream(stream, alerts)
    assert score.false_alarms == 2 and score.episodes[0].delay == 7
    assert score.episodes[1].delay is None
    assert score_stream(stream, alerts, grace=5).false_alarms == 1
    quiet = len(stream) - sum(e - s for s, e in stream.episodes)
    assert score.false_alarms_per_10k == round(2 * 10_000 / quiet, 6)


def test_published_scale() -> None:
    assert [false_alarm_credit(rate) for rate in (0, 10, 10.1, 40, 41)] == [1, 1, 0.5, 0.5, 0]
    assert [detection_credit(delay, 100) for delay in (0, 100, 101, 200, 201, None)] == [
        1,
        1,
        0.5,
        0.5,
        0,
        0,
    ]


def test_time_fields_marked_in_the_schema_move_with_t_across_segments() -> None:
    system = get_system("tax")
    marked = {s.event: s.time_fields for s in system.telemetry_schema() if s.time_fields}
    assert marked == {"audit_label": ("filed_t",)}
    stream = build_stream(system, StreamSpec("labels", "none", (Segment(300), Segment(300))))
    labels = [event for event in stream.events if event["event"] == "audit_label"]
    second_segment = [label for label in labels if label["t"] > 60]
    assert second_segment, "the test needs late labels in the second segment"
    # a label arrives 6 to 26 weeks after filing, in every segment
    assert all(6 <= label["t"] - label["filed_t"] <= 26 for label in labels)


def test_replay_hands_a_batching_monitor_the_same_events_in_order() -> None:
    from mlip.monitoring._scoring import REPLAY_BATCH

    stream = build_stream(get_system("tax"), SPEC)
    seen: list[dict[str, Any]] = []

    def stateful(event: dict[str, Any]) -> str | None:
        seen.append(dict(event))
        event["t"] = -1  # mutating its input must not change the stream
        return "every 50th" if len(seen) % 50 == 0 else None

    class Batching:
        def __init__(self) -> None:
            self.batches: list[int] = []

        def __call__(self, event: dict[str, Any]) -> str | None:
            raise AssertionError("a batching monitor gets batches")

        def many(self, calls: list[tuple[dict[str, Any]]]) -> list[str | None]:
            self.batches.append(len(calls))
            return [stateful(*args) for args in calls]

    one_by_one = replay(stream, stateful)
    expected = list(seen)
    seen.clear()
    batching = Batching()
    assert replay(stream, batching) == one_by_one and seen == expected
    assert len(batching.batches) == -(-len(stream) // REPLAY_BATCH)
    assert set(batching.batches[:-1]) <= {REPLAY_BATCH} and stream.events[0]["t"] >= 0
