"""``mlip check``: run the public checks on a student's notebook without a Jupyter server.

The notebook's code cells are extracted and executed top to bottom in a child Python process
(``mlip.checks._runner``) under a wall timeout; the child then runs every public check of the
assignment against the functions the notebook defines and returns plain JSON. The parent never
executes student code, so an infinite loop or a crash becomes a one-line message.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlip.checks import CheckResult
from mlip.errors import InputError
from mlip.services._project import (
    load_notebook,
    load_project,
    nbgrader_meta,
    require_intact,
    source_text,
)

__all__ = ["DEFAULT_TIMEOUT_SECONDS", "CheckReport", "check_project"]

#: Wall-time limit for running a notebook and its public checks.
DEFAULT_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class CheckReport:
    """Results of the notebook's test cells and the assignment's public checks."""

    assignment: str
    directory: str
    results: tuple[CheckResult, ...]
    hidden_checks: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """True when every test cell and every public check passed."""
        return all(result.passed for result in self.results)

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
            "points": self.points,
            "max_points": self.max_points,
            "results": [result.to_dict() for result in self.results],
            "hidden_checks": list(self.hidden_checks),
            "assignment_points": _assignment_points(self.assignment),
        }


def _assignment_points(assignment_id: str) -> dict[str, float]:
    """The whole assignment's points by kind (the same story as every other view)."""
    from mlip.assignments import assignment_points

    return assignment_points(assignment_id).to_dict()


def _cell_kind(cell: dict[str, Any]) -> str:
    meta = nbgrader_meta(cell)
    source = source_text(cell)
    if meta.get("grade") and not meta.get("solution"):
        if "system_check(" in source or "hidden_check(" in source:
            return "check"
        return "test"
    return "code"


def _code_cells(notebook: dict[str, Any]) -> list[dict[str, Any]]:
    cells = []
    for index, cell in enumerate(notebook["cells"], start=1):
        if cell.get("cell_type") != "code":
            continue
        meta = nbgrader_meta(cell)
        # IPython magics and shell escapes do not run outside Jupyter; skip those lines.
        lines = [
            line
            for line in source_text(cell).splitlines()
            if not line.lstrip().startswith(("%", "!"))
        ]
        cells.append(
            {
                "index": index,
                "id": meta.get("grade_id"),
                "kind": _cell_kind(cell),
                "points": float(meta.get("points", 0.0) or 0.0),
                "source": "\n".join(lines) + "\n",
            }
        )
    return cells


def check_project(
    *, directory: Path = Path("."), timeout: float = DEFAULT_TIMEOUT_SECONDS
) -> CheckReport:
    """Run the notebook in ``directory`` and the public checks of its assignment.

    Raises :class:`InputError` when the notebook cannot be checked (corrupt JSON, a deleted or
    edited locked cell, a syntax error, a cell that raises, a timeout).
    """
    if timeout <= 0:
        raise InputError("--timeout must be positive")
    project = load_project(directory)
    assignment = project.assignment
    cells: list[dict[str, Any]] = []
    for name in assignment.notebooks:
        notebook = load_notebook(project.notebook_path(name))
        require_intact(project, name, notebook, stored_checksums=False)
        cells.extend(_code_cells(notebook))
    raw = _run_child(assignment.id, cells, directory=directory, timeout=timeout)
    status = raw.get("status")
    if status != "ok":
        raise InputError(str(raw.get("message", "the notebook could not be checked")))
    results = tuple(
        CheckResult.from_dict(item) for item in [*raw.get("tests", []), *raw.get("checks", [])]
    )
    return CheckReport(
        assignment=assignment.id,
        directory=str(directory),
        results=results,
        hidden_checks=tuple(check.name for check in assignment.hidden_checks),
    )


def _run_child(
    assignment_id: str, cells: list[dict[str, Any]], *, directory: Path, timeout: float
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="mlip-check-") as scratch:
        folder = Path(scratch)
        payload = {
            "assignment": assignment_id,
            "cells": cells,
            "progress_path": str(folder / "progress.txt"),
            "result_path": str(folder / "result.json"),
        }
        payload_path = folder / "payload.json"
        payload_path.write_text(json.dumps(payload), encoding="utf-8")
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg"}
        try:
            completed = subprocess.run(
                [sys.executable, "-m", "mlip.checks._runner", str(payload_path)],
                cwd=str(directory.resolve()),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            where = _last_line(folder / "progress.txt") or "starting"
            raise InputError(
                f"timed out after {timeout:g} s while {where}: does a loop in your code never "
                "end? (raise the limit with --timeout)"
            ) from None
        result_path = folder / "result.json"
        if not result_path.is_file():
            detail = completed.stderr.decode("utf-8", "replace").strip().splitlines()
            last = detail[-1] if detail else f"exit code {completed.returncode}"
            where = _last_line(folder / "progress.txt") or "starting"
            raise InputError(f"the notebook's process died while {where}: {last}")
        data: dict[str, Any] = json.loads(result_path.read_text(encoding="utf-8"))
        return data


def _last_line(path: Path) -> str:
    if not path.is_file():
        return ""
    lines = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return lines[-1] if lines else ""
