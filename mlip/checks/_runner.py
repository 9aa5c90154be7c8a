"""Child process of ``mlip check``: run a notebook's code cells, then the public checks.

Usage: ``python -m mlip.checks._runner PAYLOAD.json``. The payload names the assignment, the code
cells (in order, each tagged ``code``, ``test`` or ``check``), the time budget of each step, and
where to write progress and results. Running in a child means a student's infinite loop or crash
cannot take the parent down.

Both files are JSON lines, flushed as they are written, so the parent can show progress and still
report every finished step when it has to stop the child:

- progress: ``{"step": "cell", "where": ..., "index": i, "count": n}`` before each cell and
  ``{"step": "check", "check": ..., "index": k, "count": K, "scenario": j, "scenarios": m}``
  before each scenario of each check;
- results: ``{"kind": "problem", "where": ..., "message": ...}`` for a cell that could not run,
  ``{"kind": "cell", "where": ..., "cpu_seconds": ...}`` after each cell that compiled,
  ``{"kind": "test", "result": {...}}`` per test cell, ``{"kind": "check", "status": ...,
  "cpu_seconds": ..., "result": {...}}`` per public check, and ``{"kind": "done"}`` last.

Cells run with :class:`mlip.notebooks.CellRunner`, the runner the autograder's jail uses too:
IPython magics work, shell commands are skipped with a message, in both places alike.

Like nbgrader's autograder, a failing cell does not stop the run: the cells after it and every
check still run, so a student sees which checks pass despite one broken cell.

Time budgets are *CPU* seconds (``setitimer(ITIMER_PROF)``), so a machine busy with other work
(which stretches wall time, not CPU time) does not fail a student; a second, wall-clock timer
(``ITIMER_REAL``, several times the budget) catches code that sleeps or waits. Either one ends the
step only: the run goes on with the next check. Where ``setitimer`` does not exist (Windows) the
parent's wall-clock watchdog is the only limit.
"""

from __future__ import annotations

import io
import json
import signal
import sys
import time
import traceback
import types
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any, TextIO

__all__ = ["BudgetExceeded", "main"]


class BudgetExceeded(BaseException):
    """Raised inside a step when its CPU or wall-time budget is used up.

    A ``BaseException`` so that the ``except Exception`` around a student's function (and a
    student's own ``except Exception``) does not swallow it.
    """

    def __init__(self, clock: str) -> None:
        super().__init__(clock)
        self.clock = clock


@contextmanager
def budget(cpu_seconds: float, wall_seconds: float) -> Iterator[None]:
    """Raise :class:`BudgetExceeded` in this (main) thread when either budget runs out."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def on_cpu(signum: int, frame: object) -> None:
        raise BudgetExceeded("cpu")

    def on_wall(signum: int, frame: object) -> None:
        raise BudgetExceeded("wall")

    old_prof = signal.signal(signal.SIGPROF, on_cpu)
    old_alarm = signal.signal(signal.SIGALRM, on_wall)
    signal.setitimer(signal.ITIMER_PROF, cpu_seconds)
    signal.setitimer(signal.ITIMER_REAL, wall_seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGPROF, old_prof)
        signal.signal(signal.SIGALRM, old_alarm)


def _error_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def _where(cell: dict[str, Any]) -> str:
    label = f"cell {cell['index']}"
    return f"{label} ({cell['id']!r})" if cell.get("id") else label


def _line_in_cell(error: BaseException, filename: str) -> int | None:
    frames = [
        frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename == filename
    ]
    return frames[-1].lineno if frames else None


def over_budget_message(what: str, clock: str, cpu_seconds: float, wall_seconds: float) -> str:
    """The one line a student reads when a step used its whole budget."""
    spent = (
        f"{cpu_seconds:g} s of CPU time" if clock == "cpu" else f"{wall_seconds:g} s of wall time"
    )
    return (
        f"{what} stopped after {spent}, its budget: a slow machine or a loop that never ends? "
        "(raise every budget with --timeout SECONDS)"
    )


class _Writer:
    """Appends JSON lines to a file and flushes each one (the parent reads them live)."""

    def __init__(self, handle: TextIO) -> None:
        self.handle = handle

    def __call__(self, record: dict[str, Any]) -> None:
        self.handle.write(json.dumps(record) + "\n")
        self.handle.flush()


def _run(payload: dict[str, Any], step: _Writer, emit: _Writer) -> None:
    cells: list[dict[str, Any]] = payload["cells"]
    budgets: dict[str, Any] = payload["budgets"]
    wall_factor = float(payload["wall_factor"])
    cell_cpu = float(budgets["cell"])

    import mlip.checks.notebook as notebook_helpers
    from mlip.notebooks import CellRunner

    notebook_helpers.DEFERRED = []
    main_module = types.ModuleType("__main__")
    sys.modules["__main__"] = main_module
    runner = CellRunner(main_module)  # the autograder's jail runs cells with the same runner
    namespace = runner.namespace

    sink = io.StringIO()
    for position, cell in enumerate(cells):
        where = _where(cell)
        step({"step": "cell", "where": where, "index": position, "count": len(cells)})
        filename = f"<{where}>"
        error: BaseException | None = None
        started = time.process_time()
        try:
            with budget(cell_cpu, cell_cpu * wall_factor):
                error = runner.run(cell["source"], filename=filename).error
        except BudgetExceeded as over:  # fired between two cells' worth of the runner's work
            error = over
        if not isinstance(error, SyntaxError):
            cpu_seconds = round(time.process_time() - started, 3)
            emit({"kind": "cell", "where": where, "cpu_seconds": cpu_seconds})
        if isinstance(error, BudgetExceeded):
            message: str | None = over_budget_message(
                where, error.clock, cell_cpu, cell_cpu * wall_factor
            )
        else:
            message = _cell_error_message(error, where, filename, test=cell["kind"] == "test")
        if cell["kind"] == "test":
            passed = message is None
            outcome = _test_result(cell, passed=passed, message=message or "passed")
            emit({"kind": "test", "result": outcome})
        elif message is not None:
            emit({"kind": "problem", "where": where, "message": message})

    from mlip.checks import BoundedCache, public_checks, run_check

    checks = public_checks(payload["assignment"])
    recordings = BoundedCache()  # the model and recorded streams, shared by this run's checks
    for position, check in enumerate(checks):
        cpu = float(budgets["checks"].get(check.name, budgets["default_check"]))

        def report(
            done: int, total: int, description: str, name: str = check.name, at: int = position
        ) -> None:
            step(
                {
                    "step": "check",
                    "check": name,
                    "index": at,
                    "count": len(checks),
                    "scenario": done,
                    "scenarios": total,
                }
            )

        report(0, 0, check.name)
        extensions = {spec.name: namespace.get(spec.name) for spec in check.extensions}
        started = time.process_time()
        try:
            with budget(cpu, cpu * wall_factor), redirect_stdout(sink), redirect_stderr(sink):
                result = run_check(
                    check,
                    extensions,  # type: ignore[arg-type]
                    progress=report,
                    recordings=recordings,
                )
        except BudgetExceeded as over:
            message = over_budget_message(
                f"check {check.name!r}", over.clock, cpu, cpu * wall_factor
            )
            emit(_unfinished(check, "timeout", message, time.process_time() - started))
            continue
        except Exception as error:  # the engine reports student errors itself: this is ours
            message = f"check {check.name!r} could not run: {_error_line(error)}"
            emit(_unfinished(check, "error", message, time.process_time() - started))
            continue
        finally:
            sink.seek(0)
            sink.truncate()
        emit(
            {
                "kind": "check",
                "status": "pass" if result.passed else "fail",
                "cpu_seconds": round(time.process_time() - started, 3),
                "result": result.to_dict(),
            }
        )


def _cell_error_message(
    error: BaseException | None, where: str, filename: str, *, test: bool
) -> str | None:
    """The one line a cell's error becomes (None when the cell ran fine)."""
    if error is None:
        return None
    if isinstance(error, SyntaxError):
        return f"syntax error in {where}, line {error.lineno}: {error.msg}"
    line = _line_in_cell(error, filename)
    at = f", line {line}" if line else ""
    return _error_line(error) + at if test else f"{where}{at} raised {_error_line(error)}"


def _unfinished(check: Any, status: str, message: str, cpu_seconds: float) -> dict[str, Any]:
    return {
        "kind": "check",
        "status": status,
        "cpu_seconds": round(cpu_seconds, 3),
        "result": {
            "check": check.name,
            "points": 0.0,
            "max_points": check.max_points,
            "passed": False,
            "message": message,
            "hint": check.hint,
            "scenario": None,
        },
    }


def _test_result(cell: dict[str, Any], *, passed: bool, message: str) -> dict[str, Any]:
    points = float(cell.get("points", 0.0))
    return {
        "check": str(cell.get("id") or f"cell {cell['index']}"),
        "points": points if passed else 0.0,
        "max_points": points,
        "passed": passed,
        "message": message,
        "hint": ""
        if passed
        else "an nbgrader test cell of the notebook failed; run the notebook "
        "in Jupyter to see the full error",
        "scenario": None,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the payload named on the command line, writing progress and results as it goes."""
    args = sys.argv[1:] if argv is None else argv
    payload = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    with (
        open(payload["progress_path"], "w", encoding="utf-8") as progress,
        open(payload["result_path"], "w", encoding="utf-8") as results,
    ):
        emit = _Writer(results)
        try:
            _run(payload, _Writer(progress), emit)
        except BaseException as error:  # report, never show a traceback to the student
            emit(
                {
                    "kind": "problem",
                    "where": "runner",
                    "message": f"the check runner failed: {_error_line(error)}",
                }
            )
        emit({"kind": "done"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
