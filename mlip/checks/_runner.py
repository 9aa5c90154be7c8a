"""Child process of ``mlip check``: run a notebook's code cells, then the public checks.

Usage: ``python -m mlip.checks._runner PAYLOAD.json``. The payload names the assignment, the code
cells (in order, each tagged ``code``, ``test`` or ``check``), and where to write progress lines
and the JSON result. Running in a child means a student's infinite loop or crash cannot take the
parent down; the parent enforces the wall timeout and reads the progress file to say where it hung.

Result statuses: ``ok`` (tests + checks ran), ``syntax_error`` and ``cell_error`` (the notebook
cannot run top to bottom; no checks ran).
"""

from __future__ import annotations

import io
import json
import sys
import traceback
import types
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

__all__ = ["main"]


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


def _run(payload: dict[str, Any], progress: io.TextIOBase) -> dict[str, Any]:
    def step(text: str) -> None:
        progress.write(text + "\n")
        progress.flush()

    cells: list[dict[str, Any]] = payload["cells"]
    compiled = []
    for cell in cells:
        filename = f"<{_where(cell)}>"
        try:
            compiled.append(compile(cell["source"], filename, "exec"))
        except SyntaxError as error:
            return {
                "status": "syntax_error",
                "message": f"syntax error in {_where(cell)}, line {error.lineno}: {error.msg}",
            }

    import mlip.checks.notebook as notebook_helpers

    notebook_helpers.DEFERRED = []
    main_module = types.ModuleType("__main__")
    main_module.__dict__["__builtins__"] = __builtins__
    sys.modules["__main__"] = main_module
    namespace = main_module.__dict__

    tests: list[dict[str, Any]] = []
    sink = io.StringIO()
    for cell, code in zip(cells, compiled, strict=True):
        step(f"running {_where(cell)}")
        filename = f"<{_where(cell)}>"
        try:
            with redirect_stdout(sink), redirect_stderr(sink):
                exec(code, namespace)
        except Exception as error:
            line = _line_in_cell(error, filename)
            at = f", line {line}" if line else ""
            if cell["kind"] == "test":
                tests.append(_test_result(cell, passed=False, message=_error_line(error) + at))
                continue
            return {
                "status": "cell_error",
                "message": f"{_where(cell)}{at} raised {_error_line(error)}",
            }
        if cell["kind"] == "test":
            tests.append(_test_result(cell, passed=True, message="passed"))
        sink.seek(0)
        sink.truncate()

    from mlip.checks import public_checks, run_check

    results = []
    for check in public_checks(payload["assignment"]):
        step(f"running check {check.name!r}")
        extensions = {spec.name: namespace.get(spec.name) for spec in check.extensions}
        with redirect_stdout(sink), redirect_stderr(sink):
            result = run_check(check, extensions)  # type: ignore[arg-type]
        results.append(result.to_dict())
    step("done")
    return {"status": "ok", "tests": tests, "checks": results}


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
    """Run the payload named on the command line and write its JSON result."""
    args = sys.argv[1:] if argv is None else argv
    payload = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    with open(payload["progress_path"], "w", encoding="utf-8") as progress:
        try:
            result = _run(payload, progress)
        except BaseException as error:  # report, never show a traceback to the student
            result = {
                "status": "cell_error",
                "message": f"the check runner failed: {_error_line(error)}",
            }
    Path(payload["result_path"]).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
