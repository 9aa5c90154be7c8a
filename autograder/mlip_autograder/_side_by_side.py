"""Scenarios side by side: one sandbox round trip for the waiting calls of all of them.

A toaster run asks the student's functions thousands of times, and each of its batches waits
for the answer to the batch before (a slice's chamber warmth carries into the next slice), so
one run cannot batch more. The scenarios of a check are independent runs, though. The judge
runs each as a *lane*: a greenlet (a coroutine with its own stack, so the simulation's code
stays plain calls); the lanes take turns, in scenario order, one at a time: a lane runs until
it needs the student's answers or is done. When every live lane waits, their batches go to the
sandbox in ONE message (:meth:`SandboxedNotebook.call_groups`) and the answers are handed back,
again in scenario order.

Greenlets, not threads: a turn is a switch of stacks inside the judge's thread (well under a
microsecond), where handing a turn between OS threads cost two context switches and a fight for
the GIL: ~60,000 of them per guards-toaster submission, a third of the judge's CPU. Nothing
depends on scheduling either way: exactly one lane runs at any moment and the order of turns
is fixed, so the child sees the same calls in the same order on every run, and the check
engine assembles the results in scenario order. Each scenario keeps its own random streams (a
run is seeded by its scenario) and its own fail-fast state: a student function that raises,
hangs (its call stopped after ``call_seconds``) or returns garbage in one scenario fails that
scenario only. If the sandboxed process itself dies or runs out of time, every scenario still
running fails with it, as every later scenario would one after the other.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from greenlet import GreenletExit, getcurrent, greenlet

from mlip_autograder._sandbox import Answers, ChildFailure, SandboxedNotebook

__all__ = ["MAX_LANES", "SideBySide"]

#: Scenarios live at once; more start as earlier ones finish (each holds one running system).
MAX_LANES = 16

Request = tuple[str, Sequence[Sequence[Any]], bool]


class _Lane(greenlet):
    """One scenario's greenlet, the batch it waits on and the answers it gets."""

    def __init__(self, thunk: Callable[[], Any], board: SideBySide) -> None:
        super().__init__(parent=getcurrent())  # returns to the runner when it waits or ends
        self.thunk = thunk
        self.board = board
        self.request: Request | None = None
        self.answer: Answers | BaseException | None = None
        self.result: Any = None
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            self.result = self.thunk()
        except Exception as error:  # re-raised by the runner once every lane is done
            self.error = error
        # anything else (KeyboardInterrupt, GreenletExit) goes to the runner at once

    def wait(self, request: Request) -> Answers:
        """In the lane: wait for the answers to ``request``; meanwhile the other lanes have
        their turns, and the runner sends every waiting batch in one round trip."""
        self.request = request
        self.board._waiting.append(self)
        self.parent.switch()
        answer, self.answer = self.answer, None
        if isinstance(answer, BaseException):
            raise answer
        assert answer is not None
        return answer


class SideBySide:
    """The sandbox as the check engine's scenarios see it, and the runner that interleaves them.

    Pass it where a proxy expects a sandbox (``call``/``call_many``) and pass :meth:`run` as
    :func:`mlip.checks.run_check`'s ``scenario_runner``. Outside a lane, calls go straight to
    the sandbox.
    """

    def __init__(self, sandbox: SandboxedNotebook) -> None:
        self.sandbox = sandbox
        self._queued: deque[_Lane] = deque()  # not started yet, in order
        self._turns: deque[_Lane] = deque()  # answered lanes still to run in this pass
        self._waiting: list[_Lane] = []  # lanes waiting for the next round trip, in order
        self._lanes: set[_Lane] = set()  # the lanes of the run under way
        #: Messages sent for side-by-side scenarios, and the batches they carried.
        self.round_trips = 0
        self.batches = 0

    def call(self, name: str, args: list[Any]) -> Any:
        """Like :meth:`SandboxedNotebook.call`."""
        answers = self.call_many(name, [args])
        if answers.errors:
            raise RuntimeError(answers.errors[0])
        return answers.values[0]

    def call_many(
        self, name: str, calls: Sequence[Sequence[Any]], *, stop_on_error: bool = False
    ) -> Answers:
        """Like :meth:`SandboxedNotebook.call_many`; in a lane, answered with the other lanes'
        waiting batches in one round trip."""
        lane = getcurrent()
        if lane not in self._lanes:
            return self.sandbox.call_many(name, calls, stop_on_error=stop_on_error)
        assert isinstance(lane, _Lane)
        return lane.wait((name, calls, stop_on_error))

    def run(self, thunks: Sequence[Callable[[], Any]]) -> list[Any]:
        """Every thunk's result, in order; the thunks run as lanes taking turns (see above).

        The first lane error (an ``Exception``) is raised once every lane is done; anything
        else a lane raises (an interrupt) stops the run at once, the other lanes unwound."""
        lanes = [_Lane(thunk, self) for thunk in thunks]
        self._queued = deque(lanes)
        self._turns.clear()
        self._waiting = []
        self._lanes = set(lanes)
        try:
            while (lane := self._next()) is not None:
                lane.switch()
        finally:
            self._lanes = set()
            for lane in lanes:  # only after an interrupt: unwind the lanes' frames now
                if lane and not lane.dead:
                    lane.throw(GreenletExit)
        for lane in lanes:
            if lane.error is not None:
                raise lane.error
        return [lane.result for lane in lanes]

    def _next(self) -> _Lane | None:
        """The lane whose turn is next (None: all done); at the end of a pass, first the round
        trip that answers every waiting lane."""
        if self._turns:
            return self._turns.popleft()
        if self._queued and len(self._waiting) < MAX_LANES:
            return self._queued.popleft()
        if not self._waiting:
            return None
        waiting, self._waiting = self._waiting, []
        answers: Sequence[Answers | BaseException]
        try:
            answers = self.sandbox.call_groups(
                [lane.request for lane in waiting if lane.request is not None]
            )
        except ChildFailure as failure:  # each scenario fails as its own call would
            answers = [ChildFailure(failure.kind, str(failure)) for _ in waiting]
        except Exception as error:  # the judge's own problem: every waiting scenario fails
            answers = [RuntimeError(f"{type(error).__name__}: {error}") for _ in waiting]
        self.round_trips += 1
        self.batches += len(waiting)
        for lane, answer in zip(waiting, answers, strict=True):
            lane.request, lane.answer = None, answer
        self._turns.extend(waiting)
        return self._turns.popleft()
