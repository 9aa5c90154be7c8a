"""Monitoring checks: the reference monitor earns full marks; alarm storms and silence do not."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlip.checks import run_check
from mlip.checks._monitoring import to_alert

ROOT = Path(__file__).resolve().parents[2]
SYSTEMS = ["toaster", "tax", "transcription"]


def _checks(system: str) -> Any:
    return importlib.import_module(f"mlip.checks.monitoring_{system}")


def _solution(system: str) -> dict[str, Callable[..., Any]]:
    """``monitor`` and ``reset_monitor`` as written in the source notebook (the solution)."""
    path = ROOT / "assignments" / f"monitoring-{system}" / "monitoring.ipynb"
    cells = {cell["id"]: cell for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]}
    namespace: dict[str, Any] = {}
    exec("from mlip.monitoring import ks_drift", namespace)
    for cell_id in ("watched", "monitor"):
        exec(cells[cell_id]["source"], namespace)
    return {"monitor": namespace["monitor"], "reset_monitor": namespace["reset_monitor"]}


def _score(system: str, extensions: dict[str, Callable[..., Any]]) -> dict[str, float]:
    return {check.name: run_check(check, extensions).points for check in _checks(system).CHECKS}


def _skip_without_checkpoint(system: str) -> None:
    from mlip.systems import get_system

    if not get_system(system).checkpoint_path().is_file():
        pytest.skip(f"{system} has no committed checkpoint yet")


@pytest.mark.parametrize("system", SYSTEMS)
def test_reference_monitor_earns_full_marks(system: str) -> None:
    _skip_without_checkpoint(system)
    scores = _score(system, _solution(system))
    maximum = {check.name: check.max_points for check in _checks(system).CHECKS}
    assert scores == maximum


@pytest.mark.parametrize("system", SYSTEMS)
def test_alarm_storm_and_silence_both_lose_points(system: str) -> None:
    _skip_without_checkpoint(system)
    storm = _score(system, {"monitor": lambda event: "drift!", "reset_monitor": lambda: None})
    assert sum(storm.values()) == 0.0  # false alarms everywhere, so no detection counts
    silent = _score(system, {"monitor": lambda event: None, "reset_monitor": lambda: None})
    assert silent["quiet-without-drift"] > 0
    assert all(points == 0.0 for name, points in silent.items() if name.startswith("detects"))


def test_monitor_that_raises_or_returns_nonsense_fails_with_a_message() -> None:
    check = _checks("tax").CHECKS[1]

    def crashing(event: dict[str, Any]) -> str | None:
        if event["event"] == "filed":
            raise KeyError("tax_due")
        return None

    result = run_check(check, {"monitor": crashing, "reset_monitor": lambda: None})
    assert not result.passed and "monitor(" in result.message and "KeyError" in result.message
    number = run_check(check, {"monitor": lambda event: 1.0, "reset_monitor": lambda: None})
    assert not number.passed and "TypeError" in number.message
    missing = run_check(check, {"monitor": lambda event: None})
    assert missing.points == 0 and "reset_monitor" in missing.message


def test_state_is_reset_between_streams() -> None:
    """A monitor that alarms once per stream is quiet only if reset_monitor is called."""
    memory: dict[str, bool] = {}

    def once(event: dict[str, Any]) -> str | None:
        if memory.get("warned") or event["event"] != "filed":
            return None
        memory["warned"] = True
        return "first filed return"

    quiet = _checks("tax").CHECKS[0]
    result = run_check(quiet, {"monitor": once, "reset_monitor": memory.clear})
    assert result.passed, result.message  # one alarm in ~4,000 events is within the budget


def test_to_alert_accepts_reasons_and_silence_only() -> None:
    assert to_alert(None) is None and to_alert("") is None and to_alert(False) is None
    assert to_alert("shift") == "shift"
    with pytest.raises(TypeError):
        to_alert(3)


@pytest.mark.parametrize("system", SYSTEMS)
def test_notebook_publishes_the_budgets_the_checks_use(system: str) -> None:
    path = ROOT / "assignments" / f"monitoring-{system}" / "monitoring.ipynb"
    text = json.loads(path.read_text(encoding="utf-8"))
    markdown = "\n".join(
        cell["source"] for cell in text["cells"] if cell["cell_type"] == "markdown"
    )
    for check in _checks(system).CHECKS:
        if check.name.startswith("detects"):
            budget = check.hint.split("Budget for this system: ")[1].split(" events")[0]
            row = next(line for line in markdown.splitlines() if f"`{check.name}`" in line)
            assert row.endswith(f"| {budget} events |"), (row, budget)


def _late(solution: dict[str, Callable[..., Any]], lag: int) -> dict[str, Callable[..., Any]]:
    """The reference monitor, but each alert it would raise comes ``lag`` events later (a
    monitor that reads the data, only slowly)."""
    state: dict[str, Any] = {}

    def reset() -> None:
        state.clear()
        solution["reset_monitor"]()

    def monitor(event: dict[str, Any]) -> str | None:
        seen = state["seen"] = state.get("seen", 0) + 1
        due = state.setdefault("due", set())
        if solution["monitor"](event):
            due.add(seen + lag)
        return "drift (noticed late)" if seen in due else None

    return {"monitor": monitor, "reset_monitor": reset}


def test_a_late_detection_earns_half_credit_and_says_why() -> None:
    _skip_without_checkpoint("tax")
    checks = _checks("tax")
    sudden = next(check for check in checks.CHECKS if check.name == "detects-sudden-drift")
    on_time = run_check(sudden, _solution("tax"))
    assert on_time.passed and on_time.margin_lines()[0].startswith("detection delay: ")
    assert on_time.margins[0].value <= checks.BUDGET  # within the budget: full credit
    # the slower episode's alert moves 100 events past the budget (half credit); the other
    # one, noticed far sooner, stays within it (full credit)
    lag = checks.BUDGET - int(on_time.margins[0].value) + 100
    late = run_check(sudden, _late(_solution("tax"), lag=lag))
    assert late.points == sudden.max_points * (1 + 0.5) / 2, late.message
    assert "half credit" in late.message and "tier" not in json.dumps(late.to_dict())
    assert f"more than the budget of {checks.BUDGET}" in late.hint
    assert checks.BUDGET < late.margins[0].value <= 2 * checks.BUDGET


def test_one_false_alarm_just_before_the_onset_is_no_echo() -> None:
    """Before the onset the drift-free control is the stream itself: a stray false alarm there
    (a correct z-test monitor raised one on a hidden secret) must not void the detection."""
    _skip_without_checkpoint("tax")
    from mlip.monitoring import build_stream
    from mlip.systems import get_system

    checks = _checks("tax")
    sudden = next(check for check in checks.CHECKS if check.name == "detects-sudden-drift")
    system = get_system("tax")
    runs: dict[Any, Any] = {}
    onsets = {build_stream(system, spec, runs=runs).onset for spec in checks.SUDDEN}
    solution = _solution("tax")
    seen = {"events": 0}

    def reset() -> None:
        seen["events"] = 0
        solution["reset_monitor"]()

    def monitor(event: dict[str, Any]) -> str | None:
        seen["events"] += 1
        if seen["events"] - 1 in {onset - 10 for onset in onsets if onset}:
            return "a stray false alarm"
        return solution["monitor"](event)

    result = run_check(sudden, {"monitor": monitor, "reset_monitor": reset})
    assert result.points == sudden.max_points, result.message


def test_early_false_alarms_get_a_hint_about_the_reference_period() -> None:
    _skip_without_checkpoint("tax")
    memory: dict[str, int] = {}

    def nervous_start(event: dict[str, Any]) -> str | None:
        seen = memory["seen"] = memory.get("seen", 0) + 1
        return "reference still settling" if seen < 80 and seen % 10 == 0 else None  # 7 alarms

    quiet = next(check for check in _checks("tax").CHECKS if check.name == "quiet-without-drift")
    result = run_check(quiet, {"monitor": nervous_start, "reset_monitor": memory.clear})
    assert result.points == quiet.max_points / 2, result.message
    assert "half credit" in result.message
    assert "come early" in result.hint and "start of the stream" not in result.hint
    (margin,) = result.margins
    assert margin.figure.startswith("false alarms per 10,000") and margin.value > margin.limit


class _RoundTrips:
    """A student's function behind a batching proxy, like the judge's sandbox proxy: ``many``
    answers a batch in one round trip, stopping at the first failing call (the later slots
    repeat its exception); once it failed, calls fail at once without a round trip."""

    def __init__(self, function: Callable[..., Any], counts: dict[str, int], name: str) -> None:
        self.function, self.counts, self.name = function, counts, name
        self.failed: Exception | None = None

    def __call__(self, *args: Any) -> Any:
        return self.many([args])[0] if self.failed is None else _raise(self.failed)

    def many(self, calls: list[tuple[Any, ...]]) -> list[Any]:
        if self.failed is not None:
            return [self.failed for _ in calls]
        self.counts[self.name] = self.counts.get(self.name, 0) + 1
        self.counts["calls"] = self.counts.get("calls", 0) + len(calls)
        answers: list[Any] = []
        for args in calls:
            try:
                answers.append(self.function(*args) if self.failed is None else self.failed)
            except Exception as error:
                self.failed = error
                answers.append(error)
        return answers


def _raise(error: Exception) -> Any:
    raise error


def test_monitors_get_recorded_streams_in_batches_with_the_same_results() -> None:
    """Through a batching proxy the (stateful) reference monitor earns exactly what it earns
    called once per event, in at most one round trip per REPLAY_BATCH events of a stream; a
    monitor that fails is reported on the same event."""
    from mlip.monitoring._scoring import REPLAY_BATCH

    _skip_without_checkpoint("tax")
    counts: dict[str, int] = {}
    solution = _solution("tax")
    batched = {name: _RoundTrips(function, counts, name) for name, function in solution.items()}
    for check in _checks("tax").CHECKS:
        assert run_check(check, batched).to_dict() == run_check(check, solution).to_dict()
    # each replay starts with reset_monitor; only its last batch may hold fewer events
    assert counts["monitor"] <= counts["calls"] / REPLAY_BATCH + counts["reset_monitor"]
    assert counts["calls"] > 10 * REPLAY_BATCH

    memory: dict[str, int] = {}

    def crashes_late(event: dict[str, Any]) -> str | None:
        memory["seen"] = memory.get("seen", 0) + 1
        if memory["seen"] == 700:
            raise ValueError(f"the 700th event, at t={event['t']}")
        return None

    crashing: dict[str, Callable[..., Any]] = {
        "monitor": crashes_late,
        "reset_monitor": memory.clear,
    }
    one_by_one = run_check(_checks("tax").CHECKS[1], crashing)
    batched = {name: _RoundTrips(function, {}, name) for name, function in crashing.items()}
    result = run_check(_checks("tax").CHECKS[1], batched)
    assert result.to_dict() == one_by_one.to_dict() and "700th" in result.message
