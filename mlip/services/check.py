"""``mlip check``: run the public checks on a student's notebook without a Jupyter server.

The notebook's code cells are extracted and executed top to bottom in a child Python process
(``mlip.checks._runner``); the child then runs every public check of the assignment against the
functions the notebook defines and streams plain JSON lines back. The parent never executes
student code, so an infinite loop or a crash becomes a message in the report.

**Partial results.** A cell that raises (or does not compile) is reported as a *problem* and the
run goes on, as in nbgrader's autograder: the table still shows every check that finished, and
checks that used up their budget, could not run, or were never reached are marked ``timeout``,
``error`` or ``not run``. Such a report exits 1 (checks failed), like any failing check: the
notebook was readable, the student's code is what failed. Exit 2 stays for input that cannot be
checked at all: not a project, a corrupt or non-notebook file, an edited locked cell.

**Time budgets.** Each step has its own budget instead of one limit for the whole run, and the
budgets are *CPU* seconds, not wall seconds. A laptop busy with other work stretches the wall
time of a check (the issue measured 12 s becoming 43 s with two other jobs on two cores) but not
its CPU time, so a busy machine does not fail a student, while a loop that never ends still burns
CPU and is stopped. Each public check's budget is :data:`BUDGET_FACTOR` times the CPU time it took
on the reference solution (``mlip/checks/_budgets.py``, written by
``benchmarks/measure_check_budgets.py``), at least :data:`MIN_CHECK_SECONDS`: generous enough for
a laptop several times slower than the machine that measured it and for a student solution
slower than ours. A wall-clock limit :data:`WALL_FACTOR` times the budget catches code that
sleeps or waits instead of computing, and the parent stops the child if even that fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlip.assignments import Assignment
from mlip.checks import CheckResult
from mlip.errors import InputError
from mlip.notebooks import cell_role, load_notebook, nbgrader_meta, source_text
from mlip.services._project import load_project, require_intact

__all__ = [
    "BUDGET_FACTOR",
    "CELL_SECONDS",
    "MIN_CHECK_SECONDS",
    "WALL_FACTOR",
    "CheckOutcome",
    "CheckReport",
    "check_budgets",
    "check_project",
]

#: A check may use this many times the CPU time the reference solution needed.
BUDGET_FACTOR = 8.0
#: ...but never less than this many CPU seconds (imports, a first model load).
MIN_CHECK_SECONDS = 20.0
#: Budget of a check nobody measured (e.g. one a course adds through a plugin).
UNMEASURED_CHECK_SECONDS = 120.0
#: CPU seconds for each notebook cell at least (cells define functions and import libraries);
#: more when the assignment's slowest reference cell times :data:`BUDGET_FACTOR` is more.
CELL_SECONDS = 60.0
#: The wall-clock limit of a step is this many times its CPU budget.
WALL_FACTOR = 10.0
#: Extra wall seconds the parent grants before it stops a child whose own timers did not fire.
WATCHDOG_GRACE_SECONDS = 30.0
#: Wall seconds the child may take to start (import Python and mlip) before its first cell.
STARTUP_SECONDS = 120.0

#: ``(done, total, description)``: steps done out of cells + checks, and what runs now.
CheckProgressCallback = Callable[[int, int, str], None]


@dataclass(frozen=True)
class CheckOutcome:
    """One row of the report: a test cell or a public check, and how its run ended.

    ``status`` is ``pass``, ``fail``, ``timeout`` (used up its budget), ``error`` (could not
    run) or ``not run`` (the run stopped before it).
    """

    result: CheckResult
    status: str
    cpu_seconds: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The result's fields plus ``status`` and ``cpu_seconds``."""
        return {**self.result.to_dict(), "status": self.status, "cpu_seconds": self.cpu_seconds}


@dataclass(frozen=True)
class CheckReport:
    """Results of the notebook's test cells and the assignment's public checks."""

    assignment: str
    directory: str
    outcomes: tuple[CheckOutcome, ...]
    hidden_checks: tuple[str, ...]
    #: Cells that could not run (an error, a syntax error, a budget used up), one line each.
    problems: tuple[str, ...] = ()
    #: CPU seconds of each cell that ran, in order (how the cell budget is measured).
    cell_cpu_seconds: tuple[float, ...] = ()

    @property
    def results(self) -> tuple[CheckResult, ...]:
        """Every row's :class:`CheckResult`, tests first, in notebook order."""
        return tuple(outcome.result for outcome in self.outcomes)

    @property
    def complete(self) -> bool:
        """True when every cell ran and every check finished (passed or failed)."""
        return not self.problems and all(o.status in {"pass", "fail"} for o in self.outcomes)

    @property
    def passed(self) -> bool:
        """True when every cell ran, every test cell and every public check passed."""
        return not self.problems and all(result.passed for result in self.results)

    @property
    def points(self) -> float:
        """Points earned on the public part."""
        return round(sum(result.points for result in self.results), 2)

    @property
    def max_points(self) -> float:
        """Points available on the public part."""
        return round(sum(result.max_points for result in self.results), 2)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {
            "assignment": self.assignment,
            "directory": self.directory,
            "passed": self.passed,
            "complete": self.complete,
            "points": self.points,
            "max_points": self.max_points,
            "problems": list(self.problems),
            "results": [outcome.to_dict() for outcome in self.outcomes],
            "hidden_checks": list(self.hidden_checks),
            "assignment_points": _assignment_points(self.assignment),
        }


def _assignment_points(assignment_id: str) -> dict[str, float]:
    """The whole assignment's points by kind (the same story as every other view)."""
    from mlip.assignments import assignment_points

    return assignment_points(assignment_id).to_dict()


def _code_cells(notebook: dict[str, Any]) -> list[dict[str, Any]]:
    cells = []
    for index, cell in enumerate(notebook["cells"], start=1):
        if cell.get("cell_type") != "code":
            continue
        meta = nbgrader_meta(cell)
        # The whole source: the child's mlip.notebooks.CellRunner handles magics and shell
        # commands exactly as the autograder's jail does.
        cells.append(
            {
                "index": index,
                "id": meta.get("grade_id"),
                "kind": cell_role(cell),
                "points": float(meta.get("points", 0.0) or 0.0),
                "source": source_text(cell),
            }
        )
    return cells


def check_budgets(assignment: Assignment, *, timeout: float | None = None) -> dict[str, Any]:
    """CPU-second budgets of every step: ``{"cell": s, "checks": {name: s}, "default_check": s}``.

    The cell budget covers each cell alike: nothing ties a student's cell to a reference cell.

    ``timeout`` (``mlip check --timeout``) replaces every budget, cells' included.
    """
    from mlip.checks._budgets import MEASURED_CELL_CPU_SECONDS, MEASURED_CPU_SECONDS

    measured = MEASURED_CPU_SECONDS.get(assignment.id, {})
    slowest_cell = MEASURED_CELL_CPU_SECONDS.get(assignment.id, 0.0)
    checks = {
        check.name: (
            timeout
            if timeout is not None
            else max(MIN_CHECK_SECONDS, BUDGET_FACTOR * measured[check.name])
            if check.name in measured
            else UNMEASURED_CHECK_SECONDS
        )
        for check in assignment.public_checks
    }
    return {
        "cell": timeout if timeout is not None else max(CELL_SECONDS, BUDGET_FACTOR * slowest_cell),
        "checks": checks,
        "default_check": timeout if timeout is not None else UNMEASURED_CHECK_SECONDS,
    }


def check_project(
    *,
    directory: Path = Path("."),
    timeout: float | None = None,
    progress: CheckProgressCallback | None = None,
) -> CheckReport:
    """Run the notebook in ``directory`` and the public checks of its assignment.

    ``timeout`` replaces every step's CPU-second budget (default: measured per check, see the
    module docstring). ``progress`` hears ``(done, total, description)`` as steps start. Raises
    :class:`InputError` only when the notebook cannot be checked at all (not a project, corrupt
    JSON, a deleted or edited locked cell); failing cells and checks are in the report.
    """
    if timeout is not None and timeout <= 0:
        raise InputError("--timeout must be positive")
    project = load_project(directory)
    assignment = project.assignment
    cells: list[dict[str, Any]] = []
    for name in assignment.notebooks:
        notebook = load_notebook(project.notebook_path(name))
        require_intact(project, name, notebook, stored_checksums=False)
        cells.extend(_code_cells(notebook))
    budgets = check_budgets(assignment, timeout=timeout)
    run = _ChildRun(assignment, cells, budgets, directory=directory, progress=progress)
    records, stopped = run.execute()
    return _report(assignment, directory, cells, budgets, records, stopped)


@dataclass(frozen=True)
class _Stop:
    """Why the run ended before the child said ``done``, and at which step."""

    step: dict[str, Any] | None
    message: str
    timed_out: bool


class _JsonLines:
    """Reads the complete JSON lines appended to a file since the last call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def new(self) -> list[dict[str, Any]]:
        if not self.path.is_file():
            return []
        with self.path.open("rb") as handle:
            handle.seek(self.offset)
            chunk = handle.read()
        end = chunk.rfind(b"\n") + 1
        self.offset += end
        records = []
        for line in chunk[:end].splitlines():
            try:
                record = json.loads(line)
            except ValueError:  # a line cut by a stopped child
                continue
            if isinstance(record, dict):
                records.append(record)
        return records


def _describe_step(step: dict[str, Any] | None) -> str:
    if step is None:
        return "starting"
    if step.get("step") == "cell":
        return f"running {step.get('where')}"
    scenarios = int(step.get("scenarios") or 0)
    detail = f", scenario {int(step.get('scenario', 0)) + 1}/{scenarios}" if scenarios else ""
    return f"running check {step.get('check')!r}{detail}"


class _ChildRun:
    """The child process of one ``mlip check``, watched from the parent."""

    def __init__(
        self,
        assignment: Assignment,
        cells: list[dict[str, Any]],
        budgets: dict[str, Any],
        *,
        directory: Path,
        progress: CheckProgressCallback | None,
    ) -> None:
        self.assignment = assignment
        self.cells = cells
        self.budgets = budgets
        self.directory = directory
        self.progress = progress
        self.total = len(cells) + len(assignment.public_checks)
        self.last_step: dict[str, Any] | None = None

    def _step_budget(self, step: dict[str, Any] | None) -> float:
        if step is None:
            return STARTUP_SECONDS
        if step.get("step") == "cell":
            cpu = float(self.budgets["cell"])
        else:
            checks = self.budgets["checks"]
            cpu = float(checks.get(step.get("check"), self.budgets["default_check"]))
        return cpu * WALL_FACTOR + WATCHDOG_GRACE_SECONDS

    def _notify(self, step: dict[str, Any]) -> None:
        if self.progress is None:
            return
        done = int(step.get("index", 0))
        if step.get("step") == "check":
            done += len(self.cells)
        self.progress(done, self.total, _describe_step(step))

    def execute(self) -> tuple[list[dict[str, Any]], _Stop | None]:
        with tempfile.TemporaryDirectory(prefix="mlip-check-") as scratch:
            folder = Path(scratch)
            payload = {
                "assignment": self.assignment.id,
                "cells": self.cells,
                "budgets": self.budgets,
                "wall_factor": WALL_FACTOR,
                "progress_path": str(folder / "progress.jsonl"),
                "result_path": str(folder / "results.jsonl"),
            }
            payload_path = folder / "payload.json"
            payload_path.write_text(json.dumps(payload), encoding="utf-8")
            # One thread per library: CPU-time budgets then measure work, not idle spinning
            # threads, and a check leaves the rest of a student's laptop free.
            env = {
                "OMP_NUM_THREADS": "1",
                "MKL_NUM_THREADS": "1",
                **os.environ,
                "PYTHONDONTWRITEBYTECODE": "1",
                "MPLBACKEND": "Agg",
            }
            with (folder / "stderr.txt").open("wb") as stderr:
                child = subprocess.Popen(
                    [sys.executable, "-m", "mlip.checks._runner", str(payload_path)],
                    cwd=str(self.directory.resolve()),
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                )
                try:
                    stopped = self._watch(child, _JsonLines(folder / "progress.jsonl"))
                finally:
                    if child.poll() is None:
                        child.kill()
                        child.wait()
            records = _JsonLines(folder / "results.jsonl").new()
            if stopped is None and not any(r.get("kind") == "done" for r in records):
                lines = (folder / "stderr.txt").read_text("utf-8", "replace").strip()
                last = lines.splitlines()[-1] if lines else f"exit code {child.returncode}"
                step = self.last_step
                stopped = _Stop(
                    step,
                    f"the notebook's process died while {_describe_step(step)}: {last}",
                    timed_out=False,
                )
            return records, stopped

    def _watch(self, child: subprocess.Popen[bytes], progress: _JsonLines) -> _Stop | None:
        step: dict[str, Any] | None = None
        key: tuple[Any, ...] = ()
        started = time.monotonic()
        while True:
            try:
                child.wait(timeout=0.1)
                finished = True
            except subprocess.TimeoutExpired:
                finished = False
            for record in progress.new():
                step = record
                self.last_step = record
                if (record.get("step"), record.get("index")) != key:
                    key = (record.get("step"), record.get("index"))
                    started = time.monotonic()
                self._notify(record)
            if finished:
                return None
            limit = self._step_budget(step)
            if time.monotonic() - started > limit:
                child.kill()
                child.wait()
                what = (
                    f"check {step.get('check')!r}"
                    if step and step.get("step") == "check"
                    else (step or {}).get("where", "the notebook")
                )
                return _Stop(
                    step,
                    f"{what} stopped after {limit:g} s of wall time: a slow machine or a loop "
                    "that never ends? (raise every budget with --timeout SECONDS)",
                    timed_out=True,
                )


def _report(
    assignment: Assignment,
    directory: Path,
    cells: list[dict[str, Any]],
    budgets: dict[str, Any],
    records: list[dict[str, Any]],
    stopped: _Stop | None,
) -> CheckReport:
    problems = [str(r["message"]) for r in records if r.get("kind") == "problem"]
    tests = [
        CheckOutcome(
            (result := CheckResult.from_dict(r["result"])), "pass" if result.passed else "fail"
        )
        for r in records
        if r.get("kind") == "test"
    ]
    finished = {
        str(r["result"]["check"]): CheckOutcome(
            CheckResult.from_dict(r["result"]),
            str(r.get("status", "fail")),
            float(r["cpu_seconds"]) if r.get("cpu_seconds") is not None else None,
        )
        for r in records
        if r.get("kind") == "check"
    }
    step = stopped.step if stopped is not None else None
    if stopped is not None and (step is None or step.get("step") == "cell"):
        problems.append(stopped.message)
    reported = {outcome.result.check for outcome in tests}
    for cell in cells:
        name = str(cell.get("id") or f"cell {cell['index']}")
        if cell["kind"] == "test" and name not in reported:
            result = CheckResult(
                name,
                0.0,
                float(cell["points"]),
                False,
                "not run: the run stopped before it",
                "",
                None,
            )
            tests.append(CheckOutcome(result, "not run"))
    checks: list[CheckOutcome] = []
    for declared in assignment.public_checks:
        if declared.name in finished:
            checks.append(finished[declared.name])
            continue
        if stopped is None:
            message, status = "not run: the check runner skipped it", "not run"
        elif step is not None and step.get("check") == declared.name:
            message, status = stopped.message, ("timeout" if stopped.timed_out else "error")
        else:
            where = _describe_step(step)
            message, status = f"not run: the run stopped while {where}", "not run"
        result = CheckResult(declared.name, 0.0, declared.points, False, message, "", None)
        checks.append(CheckOutcome(result, status))
    return CheckReport(
        assignment=assignment.id,
        directory=str(directory),
        outcomes=(*tests, *checks),
        hidden_checks=tuple(check.name for check in assignment.hidden_checks),
        problems=tuple(problems),
        cell_cpu_seconds=tuple(float(r["cpu_seconds"]) for r in records if r.get("kind") == "cell"),
    )
