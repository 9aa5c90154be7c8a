"""Check families shared by the *monitoring* assignments: quiet streams and drift detection.

A student's monitor is two functions: ``monitor(event: dict) -> str | None`` (the system's
``monitor`` extension point; a non-empty string is an alert and its reason) and
``reset_monitor() -> None`` (forget everything: called before each stream, because a monitor is
stateful). Both are called with plain data only and their answers coerced to plain data, so the
autograder can proxy them into a sandbox.

Streams are recorded from the system's own simulator (:mod:`mlip.monitoring`) once per run of
checks (kept in the bounded :attr:`CheckContext.recordings`) and replayed through the monitor
once per check. A scenario is one stream (quiet check) or one drift episode of a stream
(detection checks) and earns the published scale's credit: 1, 1/2 or 0.
A scenario may also carry a ``seed`` and a ``lead_in`` (see :func:`scenario_stream`): the same
drift recorded on another seed with a later onset, which is how the instructor's hidden checks
reuse these verdicts on streams students have not seen.

A detection only counts when it is caused by the data: every drift stream has a *control*, the
same stream with each drift episode replaced by the stream's own normal events before the first
onset, replayed again (:func:`control_stream`; nothing new is simulated). If the monitor also
alerts on the control from shortly before the episode to shortly after it alerted on the drift,
its alert did not depend on the drift (a timer, alerts at fixed event counts, alerts hard-coded
at the public onsets) and the episode is not detected. Alerts before the first onset are no
echo: up to there the control is the stream itself, so they are false alarms on both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from mlip.checks._engine import (
    BoundedCache,
    Check,
    CheckContext,
    ExtensionSpec,
    Margin,
    Scenario,
    ScenarioOutcome,
)

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


def scenario_stream(spec: StreamSpec, scenario: Scenario) -> StreamSpec:
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


def recorded_stream(context: CheckContext, spec: StreamSpec) -> DriftStream:
    """The stream ``spec`` of the context's system, recorded once per run of checks.

    Recorded segments are kept too, so streams sharing a prefix simulate it once; both live in
    the context's bounded ``recordings``, never in this module.
    """
    from mlip.monitoring import build_stream

    system = context.system
    recordings = context.recordings
    segments = recordings.remember(("segments", system.name), lambda: BoundedCache(64))

    def record() -> DriftStream:
        return build_stream(system, spec, model=context.model(), runs=segments)

    stream: DriftStream = recordings.remember(("stream", system.name, _stream_key(spec)), record)
    return stream


def _alerts(
    context: CheckContext, spec: StreamSpec, *, control: bool = False
) -> tuple[list[Alert], str | None]:
    """Replay ``spec`` (or its control) through the student's monitor once per check."""
    from mlip.monitoring import replay

    key = f"alerts:{'control:' if control else ''}{_stream_key(spec)}"
    if key not in context.cache:
        stream = recorded_stream(context, spec)
        if control:
            stream = control_stream(stream)
        context.extensions["reset_monitor"]()
        monitor = context.extensions["monitor"]
        alerts = replay(stream, monitor, name="monitor")
        failures = [ext.failure for ext in context.extensions.values() if ext.failure is not None]
        context.cache[key] = (alerts, failures[0].describe() if failures else None)
    cached: tuple[list[Alert], str | None] = context.cache[key]
    return cached


#: Share of a stream's first events in which early false alarms point at the reference itself.
EARLY_SHARE = 0.25


def _quiet_hint(alerts: Sequence[Alert], events: int, rate: float) -> str:
    """Advice from where the false alarms came: early (a reference that is not typical) or
    spread over the stream (too many tests at a loose level)."""
    from mlip.monitoring import QUIET_HALF

    first = alerts[0]
    early = [alert for alert in alerts if alert.index < EARLY_SHARE * events]
    if len(early) * 2 >= len(alerts):
        return (
            f"Most of your false alarms come early (the first at event {first.index} of "
            f"{events}, {first.reason!r}): the first events of a stream need not be typical (a "
            "toaster starts cold), so a reference of only those makes normal operation look "
            "drifted. Let the reference settle (a larger one, or skip the first values) and "
            "alert only when many recent values disagree with it."
        )
    if rate > QUIET_HALF:
        return (
            f"Your monitor alarms all along a stream without drift (first at event "
            f"{first.index}, {first.reason!r}): you run hundreds of tests per stream, so use a "
            "much stricter significance level, test less often, or require a larger window."
        )
    return (
        f"A few false alarms remain (first at event {first.index}, {first.reason!r}): a "
        "slightly stricter level or a larger window removes them."
    )


def quiet_check(
    *, assignment: str, streams: Sequence[StreamSpec], max_points: float, hint: str
) -> Check:
    """False alarms per 10,000 events over drift-free streams, on the published scale."""
    from_name = {spec.name: spec for spec in streams}

    def scenarios(system: System) -> list[Scenario]:
        return [{"stream": spec.name} for spec in streams]

    def verdict(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
        from mlip.monitoring import QUIET_FULL, QUIET_HALF, false_alarm_credit, score_stream

        spec = scenario_stream(from_name[str(scenario["stream"])], scenario)
        alerts, failure = _alerts(context, spec)
        if failure is not None:
            return ScenarioOutcome(False, failure)
        score = score_stream(recorded_stream(context, spec), alerts)
        rate = round(score.false_alarms_per_10k, 1)
        message = (
            f"{score.false_alarms} false alarm(s) in {score.events} drift-free events "
            f"= {score.false_alarms_per_10k:g} per 10,000"
        )
        if alerts and score.false_alarms:
            message += f"; first: event {alerts[0].index}, {alerts[0].reason!r}"
        credit = false_alarm_credit(score.false_alarms_per_10k)
        if credit == 0.5:
            message += f" (half credit: full credit needs at most {QUIET_FULL:g} per 10,000)"
        elif credit == 0.0:
            message += f" (no credit above {QUIET_HALF:g} per 10,000)"
        advice = "" if credit == 1.0 else _quiet_hint(alerts, score.events, rate)
        margin = Margin("false alarms per 10,000 drift-free events", rate, QUIET_FULL)
        return ScenarioOutcome(credit == 1.0, message, advice, credit=credit, margins=(margin,))

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

    def scenarios(system: System) -> list[Scenario]:
        found: list[Scenario] = []
        for spec in streams:
            episodes = sum(
                1
                for index, segment in enumerate(spec.segments)
                if segment.drifted and (index == 0 or not spec.segments[index - 1].drifted)
            )
            for episode in range(1, episodes + 1):
                found.append({"stream": spec.name, "episode": episode})
        return found

    def verdict(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
        from mlip.monitoring import (
            QUIET_HALF,
            detection_credit,
            score_stream,
        )

        spec = scenario_stream(from_name[str(scenario["stream"])], scenario)
        alerts, failure = _alerts(context, spec)
        if failure is not None:
            return ScenarioOutcome(False, failure)
        stream = recorded_stream(context, spec)
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
            length = episode.end - episode.start
            advice = (
                f"Your monitor never alerted on this stream ({len(stream.events)} events, "
                f"{length} of them drifted). {hint}"
                if not alerts
                else ""  # it alerts elsewhere: the check's own advice on what to watch
            )
            return ScenarioOutcome(
                False, f"{where}: missed (no alert in its {length} events)", hint=advice
            )
        control_alerts, failure = _alerts(context, spec, control=True)
        if failure is not None:
            return ScenarioOutcome(False, failure)
        # Not before the first onset: up to there the control is the stream itself, so an alert
        # there is an ordinary false alarm (judged above), not a sign of a timer.
        slack = max(1, budget // 5)
        low = max(episode.start - slack, stream.episodes[0][0])
        high = episode.start + episode.delay + slack
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
        message = f"{where}: first alert {episode.delay} events later (budget {budget})"
        advice = ""
        if credit == 0.5:
            message += ": half credit (full credit within the budget)"
            advice = (
                f"Your monitor noticed this drift after {episode.delay} events, more than the "
                f"budget of {budget}: test more often, use a smaller recent window, or watch a "
                "signal that moves earlier (an input rather than a delayed label)."
            )
        elif credit == 0.0:
            message += ": too late (no credit after twice the budget)"
        delay = Margin("detection delay", float(episode.delay), float(budget), unit=" events")
        return ScenarioOutcome(credit == 1.0, message, hint=advice, credit=credit, margins=(delay,))

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
