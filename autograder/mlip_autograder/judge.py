"""The trusted judge: grade one notebook without ever running student code in this process.

The notebook's cells run in a sandboxed child (:mod:`mlip_autograder._sandbox`). The judge then
runs every check named in a system-check cell — public checks from ``mlip.checks``, hidden ones
from :mod:`mlip_autograder.hidden` with scenarios drawn from the course's secret — with the
student's functions replaced by proxies that send plain JSON to the child. Verdicts, points and
the outputs written into the check cells are computed here. The scenarios of a check marked
``side_by_side`` run side by side (:mod:`mlip_autograder._side_by_side`): their waiting calls
cross in one message, the grades are those of one scenario after the other.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlip.notebooks import CellRunner
from mlip_autograder._config import Limits
from mlip_autograder._notebook import (
    CheckCell,
    check_cells,
    grade_cells,
    source_text,
    trusted_setup,
    unit_test_cells,
)
from mlip_autograder._sandbox import ChildFailure, Isolation, SandboxedNotebook
from mlip_autograder._side_by_side import SideBySide

__all__ = [
    "STATUSES",
    "JudgeReport",
    "SandboxProxy",
    "ScenarioProxies",
    "UnitTestProxy",
    "judge_notebook",
    "tampered_report",
]

#: How a submission's grading ended. Anything but ``graded`` comes with a reason.
STATUSES = ("graded", "timeout", "crash", "memory", "output", "tampered", "invalid")

#: Built-in exceptions a unit test may catch by name (``except ValueError``): a student's error
#: of that name becomes the real class judge-side. Only text ever crosses the boundary.
_CATCHABLE = {
    name: value
    for name, value in vars(__import__("builtins")).items()
    if isinstance(value, type)
    and issubclass(value, Exception)
    and not issubclass(value, StopIteration | StopAsyncIteration)
}


def _student_error(text: str, *, builtin: bool = False) -> Exception:
    """An exception named like the student's own error (``ValueError: ...``), carrying text only.

    With ``builtin``, a built-in exception name gives that built-in class (for unit tests).
    """
    name, _, message = text.partition(": ")
    if not name.isidentifier():
        return RuntimeError(text)
    if builtin and name in _CATCHABLE:
        try:
            return _CATCHABLE[name](message)
        except Exception:  # a built-in with a different signature (e.g. UnicodeDecodeError)
            pass
    error_type = type(name, (Exception,), {"__module__": "student"})
    return error_type(message)


def _rebuilders() -> dict[str, Any]:
    """Extension functions that return kit objects: their plain answer is rebuilt (and so
    validated) judge-side, as the object the unit test expects (``goal.level``)."""
    from mlip.requirements import (
        fault_tree_from_dict,
        goal_from_dict,
        mitigation_from_dict,
        requirement_from_dict,
    )

    def each(rebuild: Any) -> Any:
        return lambda value: [rebuild(item) for item in value]

    return {
        "goals": each(goal_from_dict),
        "requirements": each(requirement_from_dict),
        "mitigations": each(mitigation_from_dict),
        "fault_tree": fault_tree_from_dict,
    }


class UnitTestProxy:
    """A student's function as a unit test sees it, the test running in the judge's process.

    Unit-test cells are instructor code: the judge runs them itself, so a submission that
    patches the notebook's cell runner cannot turn a failed assertion into a pass. Each call
    goes to the sandbox like a check's; the answer is plain data (rebuilt into a kit object
    where the task returns one); the student's error is raised as an exception of that name.
    """

    def __init__(self, sandbox: SandboxedNotebook, name: str, rebuild: Any = None) -> None:
        self.sandbox = sandbox
        self.__name__ = name
        self.rebuild = rebuild

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            raise TypeError(f"{self.__name__}() is called with positional arguments here")
        try:
            value = self.sandbox.call(self.__name__, list(args))
        except RuntimeError as error:
            raise _student_error(str(error), builtin=True) from None
        if self.rebuild is None:
            return value
        try:
            return self.rebuild(value)
        except Exception as error:
            raise ValueError(f"{self.__name__} returned malformed data: {error}") from None


class SandboxProxy:
    """Stands in for a student's function: each call becomes a JSON message to the sandbox.

    One proxy serves one scenario. Once the student's function has failed in it, later calls
    fail at once without a round trip: the check engine judges a scenario by its first failure
    and uses the naive fallback for the rest, so the verdict is the same, only faster (a stub
    that raises would otherwise cost one sandbox round trip per call).
    """

    #: The check engine may hand over the system's own argument objects: they reach the student
    #: only as plain copies decoded in the sandbox, never by reference.
    sends_plain_copies = True

    def __init__(self, sandbox: SandboxedNotebook | SideBySide, name: str) -> None:
        self.sandbox = sandbox
        self.__name__ = name
        self.failed: tuple[type[Exception], str] | None = None

    def __call__(self, *args: Any) -> Any:
        if self.failed is not None:
            error_type, message = self.failed
            raise error_type(message)
        try:
            return self.sandbox.call(self.__name__, list(args))
        except RuntimeError as error:
            failure = _student_error(str(error))
        except ChildFailure as error:
            failure = error
        self.failed = (
            (type(failure), str(failure))
            if not isinstance(failure, ChildFailure)
            else (RuntimeError, str(failure))
        )
        raise failure

    def many(self, calls: list[tuple[Any, ...]]) -> list[Any]:
        """Several independent calls in one message; a failed call's slot holds its exception.

        Fail-fast like single calls: the child stops the batch at the first failing call (the
        later slots repeat that failure), and once this scenario's function has failed, a batch
        fails at once without a round trip. For the sandbox's limits a batch counts as
        ``len(calls)`` calls (see :meth:`SandboxedNotebook.call_many`). The arguments go as
        they are: the sandbox's encoder sends plain copies (see ``sends_plain_copies``).
        """
        if not calls:
            return []
        if self.failed is None:
            try:
                answers = self.sandbox.call_many(self.__name__, calls, stop_on_error=True)
            except ChildFailure as error:  # reported like a single call's: first slot, then fast
                self.failed = (RuntimeError, str(error))
                return [error, *(RuntimeError(str(error)) for _ in calls[1:])]
            if not answers.errors:
                return answers.values
            results: list[Any] = list(answers.values)
            for index, text in sorted(answers.errors.items()):
                failure = _student_error(text)
                if self.failed is None:
                    self.failed = (type(failure), str(failure))
                results[index] = failure
            return results
        error_type, message = self.failed
        return [error_type(message) for _ in calls]


class ScenarioProxies(Mapping[str, SandboxProxy]):
    """The student's functions as the check engine sees them: a fresh proxy per lookup.

    The engine looks each function up once per scenario, so every scenario gets its own proxy
    (and its own fail-fast state) while all proxies share the one sandboxed process (through
    :class:`~mlip_autograder._side_by_side.SideBySide` when scenarios run side by side).
    """

    def __init__(self, sandbox: SandboxedNotebook | SideBySide, names: list[str]) -> None:
        self.sandbox = sandbox
        self.names = list(names)

    def __getitem__(self, name: str) -> SandboxProxy:
        if name not in self.names:
            raise KeyError(name)
        return SandboxProxy(self.sandbox, name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


@dataclass(frozen=True)
class JudgeReport:
    """Everything the judge decided about one notebook, as plain data.

    ``cells`` maps a cell index to the outputs nbgrader should see for it; ``checks`` holds one
    entry per system-check cell (the check result plus the cell's points).
    """

    status: str
    reason: str
    cells: Mapping[int, list[dict[str, Any]]]
    checks: tuple[dict[str, Any], ...]
    isolation: str
    seconds: float = 0.0
    functions: tuple[str, ...] = field(default_factory=tuple)
    #: A timeout while the jail waited for a CPU more than it ran: not final, re-run alone.
    starved: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the result store (JSON keys are strings)."""
        return {
            "status": self.status,
            "reason": self.reason,
            "cells": {str(index): outputs for index, outputs in sorted(self.cells.items())},
            "checks": list(self.checks),
            "isolation": self.isolation,
            "seconds": round(self.seconds, 3),
            "functions": list(self.functions),
            "starved": self.starved,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JudgeReport:
        """Rebuild a report written by :meth:`to_dict`."""
        return cls(
            status=str(data["status"]),
            reason=str(data.get("reason", "")),
            cells={int(index): list(outputs) for index, outputs in data["cells"].items()},
            checks=tuple(dict(check) for check in data.get("checks", [])),
            isolation=str(data.get("isolation", "")),
            seconds=float(data.get("seconds", 0.0)),
            functions=tuple(str(name) for name in data.get("functions", [])),
            starved=bool(data.get("starved", False)),
        )

    @property
    def points(self) -> float:
        """Points the system checks earned (scaled to the cells' points)."""
        return round(sum(float(check["cell_points_earned"]) for check in self.checks), 2)


def invalid_report(reason: str, isolation: str = "none") -> JudgeReport:
    """The report of a submission that could not be graded at all (e.g. corrupt JSON)."""
    return JudgeReport("invalid", reason, {}, (), isolation)


def tampered_report(
    reason: str, isolation: str = "none", notebook: dict[str, Any] | None = None
) -> JudgeReport:
    """The report of a notebook whose graded cells were duplicated or deleted: zero points
    (every graded cell of ``notebook`` shows the reason as its error, so nbgrader scores 0)."""
    cells = {index: [_error_output("Tampered", reason)] for index in grade_cells(notebook or {})}
    return JudgeReport("tampered", reason, cells, (), isolation)


def _run_unit_test(code: str, index: int, runner: CellRunner) -> list[dict[str, Any]]:
    """Run one unit-test cell here, in the judge: its printed text, then its error if any.

    :class:`ChildFailure` (the sandbox died or ran out of time) propagates to the caller.
    """
    ran = runner.run(code, filename=f"<cell {index}>")
    error = ran.error
    if isinstance(error, ChildFailure) or (
        error is not None and not isinstance(error, Exception)
    ):  # the sandbox failed, or the judge itself is being stopped
        raise error
    outputs: list[dict[str, Any]] = []
    if ran.stdout:
        outputs.append({"output_type": "stream", "name": "stdout", "text": ran.stdout[:20_000]})
    if error is not None:  # a failed assertion, or the student's error: the cell's output
        outputs.append(_error_output(type(error).__name__, str(error)[:2000]))
    return outputs


def mark_not_run(
    notebook: dict[str, Any], outputs: dict[int, list[dict[str, Any]]], status: str, reason: str
) -> None:
    """After a failed run, every graded cell without output gets a ``NotRun`` error (zero)."""
    if status != "graded":
        for index in grade_cells(notebook):
            if index not in outputs:
                outputs[index] = [_error_output("NotRun", reason or status)]


def _error_output(name: str, text: str) -> dict[str, Any]:
    return {"output_type": "error", "ename": name, "evalue": text, "traceback": [f"{name}: {text}"]}


def _check_outputs(cell: CheckCell, result: dict[str, Any]) -> list[dict[str, Any]]:
    """What a system-check cell shows: a report on stdout, then the points as its value."""
    earned = float(result["cell_points_earned"])
    mark = "PASS" if result["passed"] else "FAIL"
    lines: list[str]
    if cell.public:
        lines = [
            f"[{mark}] {cell.check}: {earned:g}/{cell.points:g} points",
            f"  {result['message']}",
        ]
        if not result["passed"] and result.get("scenario") is not None:
            lines.append(f"  failing scenario: {result['scenario']}")
        if not result["passed"] and result.get("repro"):
            lines.append(f"  repro: {result['repro']}")
        lines.extend(f"  {margin}" for margin in _margin_lines(result))
    else:
        lines = [f"[HIDDEN {mark}] {cell.check}: {earned:g}/{cell.points:g} points"]
    if not result["passed"] and result.get("hint"):
        lines.append(f"  hint: {result['hint']}")
    return [
        {"output_type": "stream", "name": "stdout", "text": "\n".join(lines) + "\n"},
        {
            "output_type": "execute_result",
            "execution_count": None,
            "data": {"text/plain": repr(earned)},
            "metadata": {},
        },
    ]


def _margin_lines(result: dict[str, Any]) -> list[str]:
    from mlip.checks import CheckResult

    return CheckResult.from_dict(result).margin_lines()


def _load_check(
    cell: CheckCell, assignment_id: str, secret: str, seeds: Mapping[str, int] | None = None
) -> Any:
    from mlip.checks import get_check
    from mlip_autograder.hidden import hidden_check

    if cell.assignment != assignment_id:
        raise ValueError(f"the cell names assignment {cell.assignment!r}, not {assignment_id!r}")
    if cell.public:
        return get_check(assignment_id, cell.check)
    return hidden_check(assignment_id, cell.check, secret=secret, seeds=seeds)


def notebook_run_verdict(
    outputs: Mapping[int, list[dict[str, Any]]], status: str, reason: str, limits: Limits
) -> tuple[str, str]:
    """``(status, reason)`` of a notebook run: a cell stopped by its time limit or out of memory
    names the run's verdict, unless the child already failed (``status`` not ``graded``)."""
    if status != "graded":
        return status, reason
    timed_out = _first_error(outputs, "CellTimeout")
    if timed_out is not None:
        return (
            "timeout",
            f"cell {timed_out} ran longer than {limits.cell_seconds:g} s and was stopped",
        )
    memory = _first_error(outputs, "MemoryError")
    if memory is not None:
        return "memory", f"cell {memory} ran out of memory (limit {limits.memory_mb} MB)"
    return status, reason


def _first_error(outputs: Mapping[int, list[dict[str, Any]]], name: str) -> int | None:
    """Index of the first cell whose error is ``name`` (a cell timeout, a MemoryError)."""
    for index, cell_outputs in sorted(outputs.items()):
        if any(output.get("ename") == name for output in cell_outputs):
            return index
    return None


def _scaled(cell: CheckCell, points: float, max_points: float) -> float:
    if max_points <= 0:
        return 0.0
    return round(min(max(cell.points * points / max_points, 0.0), cell.points), 2)


def judge_notebook(
    notebook: dict[str, Any],
    *,
    assignment_id: str,
    limits: Limits,
    isolation: Isolation,
    secret: str = "",
    hide: list[Path] | None = None,
    source: dict[str, Any] | None = None,
    hidden_seeds: Mapping[str, int] | None = None,
) -> JudgeReport:
    """Run ``notebook`` in the sandbox, then every check its check cells name; plain results.

    With the instructor's ``source`` notebook, its unit-test cells run here in the judge (with
    the source's setup code and the student's functions as sandbox proxies), so their verdict
    is the judge's; without it they run in the sandbox with the student's code.
    Public checks run before hidden ones: once the student's code has seen a hidden scenario,
    nothing it says reaches the student any more (error texts, exit codes).
    Hidden scenarios come from ``secret``, or from ``hidden_seeds`` (derived from it by
    :func:`~mlip_autograder.hidden.hidden_seeds`) on a cluster worker that never sees the secret.
    """
    from mlip.assignments import get_assignment
    from mlip.checks import BoundedCache, run_check
    from mlip.systems import get_system

    started = time.monotonic()
    # what trusted kit code records (the model, drift streams) is shared by this notebook's
    # checks only: shared across notebooks, a golden sample's hidden score changed with the
    # order in which a worker graded the class
    recordings = BoundedCache()
    cells = check_cells(notebook)
    tests = unit_test_cells(notebook) if source is not None else []
    sandbox = SandboxedNotebook(
        notebook,
        limits,
        isolation,
        skip=frozenset([cell.index for cell in cells] + tests),
        hide=hide or [],
    )
    status, reason = "graded", ""
    outputs: dict[int, list[dict[str, Any]]] = {}
    checks: list[dict[str, Any]] = []
    try:
        child_failed = False
        try:
            sandbox.start()
        except ChildFailure as failure:
            status, reason, child_failed = failure.kind, str(failure), True
        outputs.update(sandbox.outputs)
        status, reason = notebook_run_verdict(outputs, status, reason, limits)
        alive = not child_failed
        assignment = get_assignment(assignment_id)
        system = get_system(assignment.system)
        if tests and source is not None:
            alive, status, reason = _run_unit_tests(
                notebook, tests, source, sandbox, outputs, alive, (status, reason)
            )
        side_by_side = SideBySide(sandbox)
        proxies = ScenarioProxies(
            side_by_side,
            [name for name in assignment.extension_names if alive and name in sandbox.functions],
        )
        hidden_phase = False
        for cell in sorted(cells, key=lambda cell: (not cell.public, cell.index)):
            hidden_phase = hidden_phase or not cell.public
            try:
                check = _load_check(cell, assignment_id, secret, hidden_seeds)
                if not alive:
                    result = {
                        "check": cell.check,
                        "points": 0.0,
                        "max_points": check.max_points,
                        "passed": False,
                        "message": f"not run: {reason}",
                        "hint": check.hint,
                        "scenario": None,
                    }
                else:
                    result = run_check(
                        check,
                        proxies,
                        system=system,
                        recordings=recordings,
                        scenario_runner=side_by_side.run,
                    ).to_dict()
                if alive and sandbox.failure is not None:
                    alive = False
                    failure_kind, failure_text = sandbox.failure
                    if status == "graded":
                        status = failure_kind
                        reason = (
                            f"the notebook process stopped ({failure_kind}) during hidden check "
                            f"{cell.check}"
                            if hidden_phase
                            else failure_text
                        )
            except Exception as error:  # a judge problem is that cell's zero, never a crash
                shown = (
                    "the judge could not run this hidden check"
                    if not cell.public
                    else f"{type(error).__name__}: {error}"
                )
                outputs[cell.index] = [_error_output("JudgeError", shown)]
                checks.append(
                    {
                        "check": cell.check,
                        "cell": cell.index,
                        "public": cell.public,
                        "points": 0.0,
                        "max_points": cell.points,
                        "passed": False,
                        "message": f"judge error: {shown}",
                        "hint": "",
                        "scenario": None,
                        "cell_points": cell.points,
                        "cell_points_earned": 0.0,
                    }
                )
                continue
            result["cell"] = cell.index
            result["public"] = cell.public
            result["cell_points"] = cell.points
            result["cell_points_earned"] = _scaled(cell, result["points"], result["max_points"])
            if not cell.public:  # nothing about a hidden scenario reaches the student
                result["scenario"] = None
                result["repro"] = ""
                result["margins"] = []
                result["message"] = "hidden scenarios" if not result["passed"] else "passed"
            checks.append(result)
            outputs[cell.index] = _check_outputs(cell, result)
        if status == "graded" and sandbox.call_timeout is not None:
            status = "timeout"
            reason = (
                f"a call of {sandbox.call_timeout} ran longer than {limits.call_seconds:g} s "
                "and was stopped (that scenario counts as failed)"
            )
    finally:
        sandbox.close()
    mark_not_run(notebook, outputs, status, reason)
    return JudgeReport(
        status=status,
        reason=reason,
        cells=outputs,
        checks=tuple(sorted(checks, key=lambda check: int(check["cell"]))),
        isolation=isolation.kind,
        seconds=time.monotonic() - started,
        functions=tuple(
            name
            for name in sandbox.functions
            if name in get_assignment(assignment_id).extension_names
        ),
        starved=sandbox.starved and status == "timeout",
    )


def _run_unit_tests(
    notebook: dict[str, Any],
    tests: list[int],
    source: dict[str, Any],
    sandbox: SandboxedNotebook,
    outputs: dict[int, list[dict[str, Any]]],
    alive: bool,
    verdict: tuple[str, str],
) -> tuple[bool, str, str]:
    """Run the notebook's unit-test cells in the judge; returns (alive, status, reason)."""
    import types

    status, reason = verdict
    if not alive:
        return alive, status, reason
    runner = CellRunner(types.ModuleType("__unit_tests__"))
    namespace = runner.namespace
    setup = runner.run(trusted_setup(source), filename="<setup>")  # setup cells may print
    if setup.error is not None:  # the course's own setup is broken: every test says so
        for index in tests:
            outputs[index] = [_error_output("JudgeError", f"setup failed: {setup.error}")]
        return alive, status, reason
    rebuilders = _rebuilders()
    for name in sandbox.functions:
        if name not in namespace:
            namespace[name] = UnitTestProxy(sandbox, name, rebuilders.get(name))
    for index in tests:
        code = source_text(notebook["cells"][index])
        try:
            outputs[index] = _run_unit_test(code, index, runner)
        except ChildFailure as failure:
            outputs[index] = [_error_output("NotRun", str(failure))]
            if status == "graded":
                status, reason = failure.kind, str(failure)
            return False, status, reason
    return alive, status, reason
