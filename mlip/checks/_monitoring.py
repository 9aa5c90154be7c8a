"""Check families shared by the *monitoring* assignments: quiet streams and drift detection.

A student's monitor is two functions: ``monitor(event: dict) -> str | None`` (the system's
``monitor`` extension point; a non-empty string is an alert and its reason) and
``reset_monitor() -> None`` (forget everything: called before each stream, because a monitor is
stateful). Both are called with plain data only and their answers coerced to plain data, so the
autograder can proxy them into a sandbox.

Streams are recorded once per process from the system's own simulator (:mod:`mlip.monitoring`)
and replayed through the monitor once per check; the scenarios of a check are (stream, episode,
credit tier) triples, so the published half/full credit scale maps onto the engine's pass/fail
scenarios: a tier-``half`` scenario passes at half credit or better, a ``full`` one at full.
A scenario may also carry a ``seed`` and a ``lead_in`` (see :func:`scenario_stream`): the same
drift recorded on another seed with a later onset, which is how the instructor's hidden checks
reuse these verdicts on streams students have not seen.

A detection only counts when it is caused by the data: every drift stream has a *control*, the
same stream with each drift episode replaced by the stream's own normal events before the first
onset, replayed again (:func:`control_stream`; nothing new is simulated). If the monitor also
alerts on the control near the time it alerted on the drift, its alert did not depend on the
drift (a timer, alerts at fixed event counts, alerts hard-coded at the public onsets) and the
episode is not detected.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from mlip.checks._engine import Check, CheckContext, ExtensionSpec, ScenarioOutcome

if TYPE_CHECKING:
    from mlip.monitoring import Alert, DriftStream, StreamSpec
    from mlip.systems import System

__all__ = [
    "EXTENSIONS",
    "SCALE_TEXT",
    "control_stream",
    "detection_check",
    "quiet_check",
    "recorded_stream",
    "scenario_stream",
]

TIERS = ("half", "full")
TIER_CREDIT = {"half": 0.5, "full": 1.0}


def to_alert(value: Any) -> str | None:
    """A monitor's answer: ``None``/``False``/empty means no alert, a string is the reason."""
    if value is None or value is False or value == "":
        return None
    if isinstance(value, str):
        return value
    raise TypeError(f"a monitor returns a reason string or None, got {value!r}")


EXTENSIONS = (
    ExtensionSpec("monitor", coerce=to_alert, fallback=lambda event: None),
    ExtensionSpec("reset_monitor", coerce=lambda value: None, fallback=lambda: None),
)

SCALE_TEXT = (
    "Scale: false alarms per 10,000 drift-free events <= 10 full credit, <= 40 half; detection "
    "delay (events from drift onset to your first alert) <= the budget full credit, <= twice "
    "the budget half; a monitor that alarms before the drift (> 40 per 10,000) detects nothing."
)

_STREAMS: dict[tuple[str, str], DriftStream] = {}
_MODELS: dict[str, Any] = {}
_RUNS: dict[tuple[Any, ...], list[dict[str, Any]]] = {}


def scenario_stream(spec: StreamSpec, scenario: Mapping[str, Any]) -> StreamSpec:
    """The stream a scenario replays: ``spec`` itself unless the scenario says otherwise.

    ``seed`` records the same segments on another seed; ``lead_in`` stretches the normal
    segment before the first drift by that factor, so the drift begins later. Public scenarios
    carry neither, so they replay ``spec`` unchanged.
    """
    seed = int(scenario.get("seed", spec.seed))
    lead_in = float(scenario.get("lead_in", 1.0))
    segments = spec.segments
    if lead_in != 1.0 and segments and not segments[0].drifted:
        first = replace(segments[0], sessions=max(1, round(segments[0].sessions * lead_in)))
        segments = (first, *segments[1:])
    if seed == spec.seed and segments == spec.segments:
        return spec
    return replace(spec, seed=seed, segments=segments)


def control_stream(stream: DriftStream) -> DriftStream:
    """``stream`` without its drift: each episode's events replaced by the normal events before
    the first onset (repeated if the episode is longer), times shifted to follow on.

    Up to the first onset it is the stream itself; each session keeps its events together.
    """
    from mlip.monitoring import DriftStream

    if not stream.episodes or stream.episodes[0][0] == 0:
        return stream
    normal = stream.events[: stream.episodes[0][0]]
    span = int(normal[-1]["t"]) - int(normal[0]["t"]) + 1
    events = list(stream.events)
    for start, end in stream.episodes:
        shift = int(stream.events[start]["t"]) - int(normal[0]["t"])
        for offset in range(end - start):
            laps, position = divmod(offset, len(normal))
            copy = dict(normal[position])
            copy["t"] = int(copy["t"]) + shift + laps * span
            events[start + offset] = copy
    spec = replace(stream.spec, name=f"{stream.spec.name} (control)", kind="none")
    return DriftStream(spec=spec, events=tuple(events), episodes=())


def _stream_key(spec: StreamSpec) -> str:
    return f"{spec.name}:{spec.seed}:{[segment.sessions for segment in spec.segments]}"


def recorded_stream(system: System, spec: StreamSpec) -> DriftStream:
    """The stream ``spec`` of ``system``, recorded once per process and then reused."""
    from mlip.monitoring import build_stream

    key = (system.name, _stream_key(spec))
    if key not in _STREAMS:
        if system.name not in _MODELS:
            _MODELS[system.name] = system.load_model()
        _STREAMS[key] = build_stream(system, spec, model=_MODELS[system.name], runs=_RUNS)
    return _STREAMS[key]


def _alerts(
    context: CheckContext, spec: StreamSpec, *, control: bool = False
) -> tuple[list[Alert], str | None]:
    """Replay ``spec`` (or its control) through the student's monitor once per check."""
    from mlip.monitoring import replay

    key = f"alerts:{'control:' if control else ''}{_stream_key(spec)}"
    if key not in context.cache:
        stream = recorded_stream(context.system, spec)
        if control:
            stream = control_stream(stream)
        context.extensions["reset_monitor"]()
        monitor = context.extensions["monitor"]
        alerts = replay(stream, monitor, name="monitor")
        failures = [ext.failure for ext in context.extensions.values() if ext.failure is not None]
        context.cache[key] = (alerts, failures[0].describe() if failures else None)
    cached: tuple[list[Alert], str | None] = context.cache[key]
    return cached


def quiet_check(
    *, assignment: str, streams: Sequence[StreamSpec], max_points: float, hint: str
) -> Check:
    """False alarms per 10,000 events over drift-free streams, on the published scale."""
    from_name = {spec.name: spec for spec in streams}

    def scenarios(system: System) -> list[dict[str, Any]]:
        return [{"stream": spec.name, "tier": tier} for spec in streams for tier in TIERS]

    def verdict(context: CheckContext, scenario: dict[str, Any]) -> ScenarioOutcome:
        from mlip.monitoring import false_alarm_credit, score_stream

        spec = scenario_stream(from_name[str(scenario["stream"])], scenario)
        alerts, failure = _alerts(context, spec)
        if failure is not None:
            return ScenarioOutcome(False, failure)
        score = score_stream(recorded_stream(context.system, spec), alerts)
        rate = score.false_alarms_per_10k
        message = (
            f"{score.false_alarms} false alarm(s) in {score.events} drift-free events "
            f"= {rate:g} per 10,000"
        )
        if alerts and score.false_alarms:
            message += f"; first: event {alerts[0].index}, {alerts[0].reason!r}"
        passed = false_alarm_credit(rate) >= TIER_CREDIT[str(scenario["tier"])]
        return ScenarioOutcome(passed, message)

    return Check(
        name="quiet-without-drift",
        assignment=assignment,
        summary="few false alarms on drift-free streams",
        max_points=max_points,
        hint=f"{hint} {SCALE_TEXT}",
        extensions=EXTENSIONS,
        scenarios=scenarios,
        verdict=verdict,
    )


def detection_check(
    *,
    name: str,
    assignment: str,
    summary: str,
    streams: Sequence[StreamSpec],
    budget: int,
    max_points: float,
    hint: str,
) -> Check:
    """Detection delay of every drift episode of ``streams``, against ``budget`` events."""
    from_name = {spec.name: spec for spec in streams}

    def scenarios(system: System) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for spec in streams:
            episodes = sum(
                1
                for index, segment in enumerate(spec.segments)
                if segment.drifted and (index == 0 or not spec.segments[index - 1].drifted)
            )
            for episode in range(1, episodes + 1):
                for tier in TIERS:
                    found.append({"stream": spec.name, "episode": episode, "tier": tier})
        return found

    def verdict(context: CheckContext, scenario: dict[str, Any]) -> ScenarioOutcome:
        from mlip.monitoring import (
            QUIET_HALF,
            detection_credit,
            score_stream,
        )

        spec = scenario_stream(from_name[str(scenario["stream"])], scenario)
        alerts, failure = _alerts(context, spec)
        if failure is not None:
            return ScenarioOutcome(False, failure)
        stream = recorded_stream(context.system, spec)
        episode = score_stream(stream, alerts, grace=budget).episodes[int(scenario["episode"]) - 1]
        where = f"{spec.describe()}, episode starting at event {episode.start}"
        covered = [(start, end + budget) for start, end in stream.episodes]
        before = [
            alert
            for alert in alerts
            if alert.index < episode.start
            and not any(low <= alert.index < high for low, high in covered)
        ]
        quiet_events = episode.start - sum(
            min(end, episode.start) - start
            for start, end in stream.episodes
            if start < episode.start
        )
        quiet_rate = 10_000.0 * len(before) / max(quiet_events, 1)
        if before and quiet_rate > QUIET_HALF:
            return ScenarioOutcome(
                False,
                f"{where}: {len(before)} alert(s) before the drift began "
                f"({quiet_rate:.0f} per 10,000 events): an alarm that always rings detects nothing",
                hint="Your monitor alarmed before this stream drifted at all. If it is quiet on "
                "the first stream it sees but not on later ones, reset_monitor does not forget "
                "everything (the kit calls it before each stream: clear the reference too); "
                "otherwise test less often or at a stricter level.",
            )
        if episode.delay is None:
            return ScenarioOutcome(
                False, f"{where}: missed (no alert in its {episode.end - episode.start} events)"
            )
        control_alerts, failure = _alerts(context, spec, control=True)
        if failure is not None:
            return ScenarioOutcome(False, failure)
        slack = max(1, budget // 5)
        low, high = episode.start - slack, episode.start + episode.delay + slack
        echo = next((alert for alert in control_alerts if low <= alert.index <= high), None)
        if echo is not None:
            return ScenarioOutcome(
                False,
                f"{where}: first alert {episode.delay} events later, but on the same stream "
                f"without drift your monitor alerted at event {echo.index} too "
                f"({echo.reason!r}): that alert did not depend on the drift",
                hint="Your alerts come at the same time whether or not the data drifted (a "
                "timer, a count of events, or a fixed position): alert because the values you "
                "watch differ from the reference, never on a schedule.",
            )
        credit = detection_credit(episode.delay, budget)
        passed = credit >= TIER_CREDIT[str(scenario["tier"])]
        return ScenarioOutcome(
            passed, f"{where}: first alert {episode.delay} events later (budget {budget})"
        )

    return Check(
        name=name,
        assignment=assignment,
        summary=summary,
        max_points=max_points,
        hint=f"{hint} Budget for this system: {budget} events. {SCALE_TEXT}",
        extensions=EXTENSIONS,
        scenarios=scenarios,
        verdict=verdict,
    )
