"""A check's scenarios side by side: fewer sandbox round trips, the same grades.

The judge runs the scenarios of a ``side_by_side`` check as lanes that take turns and sends
their waiting batches in one message (``mlip_autograder._side_by_side``). These tests show the
message carries each batch's own failures, the turns do not depend on thread scheduling, and a
student function that raises, hangs, prints megabytes or returns garbage in some scenarios
fails exactly those, with the verdicts of one scenario after the other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import Any, cast

import pytest


def _notebook(*sources: str) -> dict[str, Any]:
    return {"cells": [{"cell_type": "code", "source": s, "metadata": {}} for s in sources]}


def _sandbox(notebook: dict[str, Any], **limits: Any) -> Any:
    from mlip_autograder._config import Limits
    from mlip_autograder._sandbox import SandboxedNotebook, detect_isolation

    # generous: a busy machine must not turn a benign call into a timeout
    settings = {"wall_seconds": 300.0, "cell_seconds": 60.0, "call_seconds": 3.0, **limits}
    return SandboxedNotebook(notebook, Limits(**settings), detect_isolation())


def test_groups_cross_in_one_message_each_with_its_own_failures() -> None:
    code = (
        "import time\n"
        "seen = []\n"
        "def f(x):\n"
        "    seen.append(x)\n"
        "    if x == 0:\n"
        "        time.sleep(60)\n"
        "    if x < 0:\n"
        "        raise ValueError(f'negative {x}')\n"
        "    return x * 2\n"
        "def g():\n"
        "    return list(seen)"
    )
    with _sandbox(_notebook(code), call_seconds=1.0) as sandbox:
        sandbox.start()
        first, second, third, fourth = sandbox.call_groups(
            [
                ("f", [[1], [2]], True),
                ("f", [[-1], [3]], True),  # stops at its error: 3 is not run
                ("f", [[0], [4]], True),  # hangs: stopped after call_seconds
                ("f", [[5], [-2], [6]], False),  # runs on after its error
            ]
        )
        assert (first.values, first.errors) == ([2, 4], {})
        assert second.errors == {0: "ValueError: negative -1", 1: "ValueError: negative -1"}
        assert third.errors[0].startswith("CallTimeout") and third.errors[1] == third.errors[0]
        assert (fourth.values, fourth.errors) == ([10, None, 12], {1: "ValueError: negative -2"})
        assert sandbox.call_timeout == "f"  # the judge reports the hang, as for one batch
        assert sandbox.call("g", []) == [1, 2, -1, 0, 5, -2, 6]  # in order, nothing else ran


class _Recorder:
    """A sandbox stand-in answering in this process, recording every message."""

    def __init__(self, functions: dict[str, Callable[..., Any]]) -> None:
        self.functions = functions
        self.messages: list[list[tuple[str, int]]] = []

    def call_many(
        self, name: str, calls: Sequence[Sequence[Any]], *, stop_on_error: bool = False
    ) -> Any:
        return self.call_groups([(name, calls, stop_on_error)])[0]

    def call_groups(self, groups: Sequence[tuple[str, Sequence[Sequence[Any]], bool]]) -> Any:
        from mlip_autograder._sandbox import Answers

        self.messages.append([(name, len(calls)) for name, calls, _ in groups])
        answers = []
        for name, calls, _ in groups:
            values: list[Any] = []
            errors: dict[int, str] = {}
            for index, args in enumerate(calls):
                try:
                    values.append(self.functions[name](*args))
                except Exception as error:
                    values.append(None)
                    errors[index] = f"{type(error).__name__}: {error}"
            answers.append(Answers(values, errors))
        return answers


def test_lanes_take_turns_in_scenario_order_whatever_the_work_between_calls() -> None:
    """Lane i asks ``i + 1`` times: pass k carries the lanes still asking, in lane order; the
    results come back in scenario order; a second run sends exactly the same messages."""
    import threading
    import time

    from mlip_autograder._side_by_side import SideBySide

    before = threading.active_count()

    def run() -> tuple[list[Any], list[list[tuple[str, int]]], int]:
        recorder = _Recorder({"f": lambda lane, step: (lane, step)})
        side = SideBySide(cast(Any, recorder))

        def lane(index: int) -> list[Any]:
            answers = []
            for step in range(index + 1):
                time.sleep(0.001 * ((7 * index + step) % 3))  # uneven work between calls
                answers.append(side.call("f", [index, step]))
            return answers

        results = side.run([partial(lane, index) for index in range(5)])
        return results, recorder.messages, side.round_trips

    results, messages, round_trips = run()
    assert results == [[(i, s) for s in range(i + 1)] for i in range(5)]
    assert round_trips == len(messages) == 5  # the longest lane's calls, not the sum (15)
    assert [len(message) for message in messages] == [5, 4, 3, 2, 1]
    assert run() == (results, messages, round_trips)
    assert threading.active_count() == before  # lanes are greenlets in the judge's thread


def test_a_failing_lane_raises_after_the_others_finished() -> None:
    from mlip_autograder._side_by_side import SideBySide

    recorder = _Recorder({"f": lambda x: x})
    side = SideBySide(cast(Any, recorder))
    finished = []

    def good() -> int:
        for step in range(3):
            side.call("f", [step])
        finished.append("good")
        return 1

    def bad() -> int:
        side.call("f", [0])
        raise KeyError("judge bug")

    with pytest.raises(KeyError, match="judge bug"):
        side.run([good, bad, good])
    assert finished == ["good", "good"]


def test_an_interrupt_in_a_lane_stops_the_run_and_unwinds_the_others() -> None:
    """Not a lane's error but an interrupt (Ctrl-C in the judge): the run stops at once, no
    further round trip, and every other started lane's ``finally`` runs before it propagates."""
    from mlip_autograder._side_by_side import SideBySide

    recorder = _Recorder({"f": lambda x: x})
    side = SideBySide(cast(Any, recorder))
    unwound = []

    def patient(name: str) -> None:
        try:
            for step in range(5):
                side.call("f", [step])
        finally:
            unwound.append(name)

    def interrupted() -> None:
        side.call("f", [0])
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        side.run([partial(patient, "first"), interrupted, partial(patient, "third")])
    assert sorted(unwound) == ["first", "third"]
    assert recorder.messages == [[("f", 1), ("f", 1), ("f", 1)]]  # the first pass only
    assert side.call("f", [7]) == 7  # outside a run, calls go straight to the sandbox


#: A guard that fails differently per chaos model, so each scenario has its own story; the
#: cutoff stops what runs long. Raises on inf, hangs on the constant model's 150 s, returns an
#: object on negative predictions and prints megabytes for huge ones (then answers sanely).
HOSTILE_GUARD = """
import math, time

class Odd:
    pass

def heating_guard(predicted_seconds, readings):
    if predicted_seconds == math.inf:
        raise OverflowError('inf')
    if predicted_seconds == 150.0:
        time.sleep(60)
    if predicted_seconds < 0:
        return Odd()
    if predicted_seconds > 1000:
        print('x' * 300_000)
        return 120.0
    return 120.0 if predicted_seconds != predicted_seconds else min(predicted_seconds, 200.0)

def thermal_cutoff(state):
    return state['elapsed_seconds'] > 240 or state['smoke_ppm'] > 150
"""


@pytest.mark.slow
def test_side_by_side_grades_like_one_scenario_after_the_other() -> None:
    """The public chaos check on a hostile guard: in-process, sandboxed one after the other and
    sandboxed side by side give the same result, scenario for scenario."""
    from mlip_autograder._side_by_side import SideBySide
    from mlip_autograder.judge import ScenarioProxies

    from mlip.checks import chaos_scenarios, get_check, run_check

    public = get_check("guards-toaster", "no-fire-under-chaos")
    assert public.side_by_side
    # the public scenarios on shorter runs (the same verdict): a quick test
    check = replace(public, scenarios=lambda system: chaos_scenarios(system, n=24, seed=1))
    namespace: dict[str, Any] = {}
    exec(HOSTILE_GUARD.replace("time.sleep(60)", "raise TimeoutError('took too long')"), namespace)
    in_process = run_check(check, namespace).to_dict()
    names = ["heating_guard", "thermal_cutoff"]
    with _sandbox(_notebook(HOSTILE_GUARD), call_seconds=1.0) as sandbox:
        sandbox.start()
        one_by_one = run_check(check, ScenarioProxies(sandbox, names)).to_dict()
        side = SideBySide(sandbox)
        side_by_side = run_check(
            check, ScenarioProxies(side, names), scenario_runner=side.run
        ).to_dict()
        assert sandbox.failure is None  # the child survived every scenario
    assert side.round_trips > 0
    assert side_by_side == one_by_one
    # the same scenarios fail in-process (where the hang is an error at once)
    assert side_by_side["points"] == in_process["points"]
    assert "OverflowError" in side_by_side["message"] or "inf" in side_by_side["message"]
    assert 0.0 < side_by_side["points"] < side_by_side["max_points"], side_by_side
