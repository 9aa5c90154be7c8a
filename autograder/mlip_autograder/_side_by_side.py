"""Scenarios side by side: one sandbox round trip for the waiting calls of all of them.

A toaster run asks the student's functions thousands of times, and each of its batches waits
for the answer to the batch before (a slice's chamber warmth carries into the next slice), so
one run cannot batch more. The scenarios of a check are independent runs, though. The judge
runs each in its own thread (a *lane*); the lanes take turns, in scenario order, one at a
time: a lane runs until it needs the student's answers or is done. When every live lane
waits, their batches go to the sandbox in ONE message (:meth:`SandboxedNotebook.call_groups`)
and the answers are handed back, again in scenario order.

Nothing depends on thread scheduling: exactly one lane runs at any moment and the order of
turns is fixed, so the child sees the same calls in the same order on every run, and the check
engine assembles the results in scenario order. Each scenario keeps its own random streams (a
run is seeded by its scenario) and its own fail-fast state: a student function that raises,
hangs (its call stopped after ``call_seconds``) or returns garbage in one scenario fails that
scenario only. If the sandboxed process itself dies or runs out of time, every scenario still
running fails with it, as every later scenario would one after the other.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from mlip_autograder._sandbox import Answers, ChildFailure, SandboxedNotebook

__all__ = ["MAX_LANES", "SideBySide"]

#: Scenarios live at once; more start as earlier ones finish (each holds one running system).
MAX_LANES = 16


class _Abandoned(BaseException):
    """Unwinds a lane whose check was given up (the judge's thread was interrupted)."""


Request = tuple[str, Sequence[Sequence[Any]], bool]


class _Lane:
    """One scenario's thread, the batch it waits on and the answers it gets."""

    def __init__(self, thunk: Callable[[], Any], board: SideBySide) -> None:
        self.thunk = thunk
        self.board = board
        self.request: Request | None = None
        self.answer: Answers | BaseException | None = None
        self.result: Any = None
        self.error: BaseException | None = None
        self.started = False
        self.go = threading.Lock()  # released by the thread that hands this lane the turn
        self.go.acquire()
        self.thread = threading.Thread(target=self._main, daemon=True, name="mlip-scenario")

    def _main(self) -> None:
        board = self.board
        board._local.lane = self
        try:
            self.result = self.thunk()
        except BaseException as error:  # re-raised in the judge's thread
            self.error = error
        board._hand_over(board._next())

    def wait(self, request: Request) -> Answers:
        """In the lane's thread: wait for the answers to ``request``; meanwhile the other
        lanes have their turns, and the last of them sends every waiting batch."""
        board = self.board
        self.request = request
        board._waiting.append(self)
        following = board._next()
        if following is not self:  # else this lane is the only one left: no switch at all
            board._hand_over(following)
            self.go.acquire()
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

    The turn passes from lane to lane directly (one thread switch per turn): the lane that
    ends a pass sends the round trip itself and hands the turn to the first lane of the next.
    Only the thread holding the turn touches the fields below.
    """

    def __init__(self, sandbox: SandboxedNotebook) -> None:
        self.sandbox = sandbox
        self._local = threading.local()  # .lane: the lane running in this thread
        self._queued: deque[_Lane] = deque()  # not started yet, in order
        self._turns: deque[_Lane] = deque()  # answered lanes still to run in this pass
        self._waiting: list[_Lane] = []  # lanes waiting for the next round trip, in order
        self._finished = threading.Lock()  # released when every lane is done
        self._abandoned = False
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
        lane: _Lane | None = getattr(self._local, "lane", None)
        if lane is None:
            return self.sandbox.call_many(name, calls, stop_on_error=stop_on_error)
        if self._abandoned:
            raise _Abandoned()
        return lane.wait((name, calls, stop_on_error))

    def run(self, thunks: Sequence[Callable[[], Any]]) -> list[Any]:
        """Every thunk's result, in order; the thunks run as lanes taking turns (see above)."""
        lanes = [_Lane(thunk, self) for thunk in thunks]
        self._queued = deque(lanes)
        self._turns.clear()
        self._waiting = []
        self._abandoned = False
        self._finished.acquire()
        try:
            self._hand_over(self._next())
            self._finished.acquire()  # every lane is done
        except BaseException:
            self._abandoned = True  # lanes still running unwind at their next call
            raise
        finally:
            if self._finished.locked():
                self._finished.release()
        # every lane has handed its last turn on and is about to end: wait for that, so a
        # sandbox started later never forks while a thread of ours is half-way out
        for lane in lanes:
            lane.thread.join()
        for lane in lanes:
            if lane.error is not None:
                raise lane.error
        return [lane.result for lane in lanes]

    def _next(self) -> _Lane | None:
        """The lane whose turn is next (None: all done); at the end of a pass, first the round
        trip that answers every waiting lane. Called by the thread holding the turn."""
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

    def _hand_over(self, lane: _Lane | None) -> None:
        """Give the turn to ``lane`` (None: to the judge's thread, all lanes being done)."""
        if lane is None:
            if not self._abandoned:  # else the judge's thread stopped waiting already
                self._finished.release()
        elif lane.started:
            lane.go.release()
        else:
            lane.started = True
            lane.thread.start()
