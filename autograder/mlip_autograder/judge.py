"""The trusted judge: grade one notebook without ever running student code in this process.

The notebook's cells run in a sandboxed child (:mod:`mlip_autograder._sandbox`). The judge then
runs every check named in a system-check cell — public checks from ``mlip.checks``, hidden ones
from :mod:`mlip_autograder.hidden` with scenarios drawn from the course's secret — with the
student's functions replaced by proxies that send plain JSON to the child. Verdicts, points and
the outputs written into the check cells are computed here.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlip_autograder._config import Limits
from mlip_autograder._notebook import CheckCell, check_cells, grade_cells
from mlip_autograder._sandbox import ChildFailure, Isolation, SandboxedNotebook

__all__ = ["STATUSES", "JudgeReport", "SandboxProxy", "ScenarioProxies", "judge_notebook"]

#: How a submission's grading ended. Anything but ``graded`` comes with a reason.
STATUSES = ("graded", "timeout", "crash", "memory", "output", "invalid")


def _student_error(text: str) -> Exception:
    """An exception named like the student's own error (``ValueError: ...``), carrying text only."""
    name, _, message = text.partition(": ")
    if not name.isidentifier():
        return RuntimeError(text)
    error_type = type(name, (Exception,), {"__module__": "student"})
    return error_type(message)


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

    def __init__(self, sandbox: SandboxedNotebook, name: str) -> None:
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
    (and its own fail-fast state) while all proxies share the one sandboxed process.
    """

    def __init__(self, sandbox: SandboxedNotebook, names: list[str]) -> None:
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
        )

    @property
    def points(self) -> float:
        """Points the system checks earned (scaled to the cells' points)."""
        return round(sum(float(check["cell_points_earned"]) for check in self.checks), 2)


def invalid_report(reason: str, isolation: str = "none") -> JudgeReport:
    """The report of a submission that could not be graded at all (e.g. corrupt JSON)."""
    return JudgeReport("invalid", reason, {}, (), isolation)


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
    hidden_seeds: Mapping[str, int] | None = None,
) -> JudgeReport:
    """Run ``notebook`` in the sandbox, then every check its check cells name; plain results.

    Hidden scenarios come from ``secret``, or from ``hidden_seeds`` (derived from it by
    :func:`~mlip_autograder.hidden.hidden_seeds`) on a cluster worker that never sees the secret.
    """
    from mlip.assignments import get_assignment
    from mlip.checks import run_check
    from mlip.systems import get_system

    started = time.monotonic()
    cells = check_cells(notebook)
    sandbox = SandboxedNotebook(
        notebook, limits, isolation, skip=frozenset(cell.index for cell in cells), hide=hide or []
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
        timed_out = _first_error(outputs, "CellTimeout")
        memory = _first_error(outputs, "MemoryError")
        if timed_out is not None and status == "graded":
            status = "timeout"
            reason = f"cell {timed_out} ran longer than {limits.cell_seconds:g} s and was stopped"
        elif memory is not None and status == "graded":
            status = "memory"
            reason = f"cell {memory} ran out of memory (limit {limits.memory_mb} MB)"
        alive = not child_failed
        assignment = get_assignment(assignment_id)
        system = get_system(assignment.system)
        proxies = ScenarioProxies(
            sandbox,
            [name for name in assignment.extension_names if alive and name in sandbox.functions],
        )
        for cell in cells:
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
                    result = run_check(check, proxies, system=system).to_dict()
            except Exception as error:  # a judge problem is that cell's zero, never a crash
                outputs[cell.index] = [
                    _error_output("JudgeError", f"{type(error).__name__}: {error}")
                ]
                checks.append(
                    {
                        "check": cell.check,
                        "cell": cell.index,
                        "public": cell.public,
                        "points": 0.0,
                        "max_points": cell.points,
                        "passed": False,
                        "message": f"judge error: {error}",
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
            if not cell.public:
                result["scenario"] = None
                result["message"] = "hidden scenarios" if not result["passed"] else "passed"
            checks.append(result)
            outputs[cell.index] = _check_outputs(cell, result)
    finally:
        sandbox.close()
    if status != "graded":
        for index in grade_cells(notebook):
            if index not in outputs:
                outputs[index] = [_error_output("NotRun", reason or status)]
    return JudgeReport(
        status=status,
        reason=reason,
        cells=outputs,
        checks=tuple(checks),
        isolation=isolation.kind,
        seconds=time.monotonic() - started,
        functions=tuple(
            name
            for name in sandbox.functions
            if name in get_assignment(assignment_id).extension_names
        ),
    )
