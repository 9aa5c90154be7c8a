"""The assignment catalogue and its nbgrader notebooks: fresh, solution-free, consistent."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlip.assignments import ASSIGNMENTS, assignment_ids, get_assignment, release_dir
from mlip.errors import UnknownAssignmentError

ROOT = Path(__file__).resolve().parents[2]


def solution_lines(assignment_id: str) -> set[str]:
    """Non-trivial lines inside the source notebook's solution regions."""
    lines: set[str] = set()
    name = get_assignment(assignment_id).notebooks[0]
    notebook = json.loads((ROOT / "assignments" / assignment_id / name).read_text())
    for cell in notebook["cells"]:
        inside = False
        for line in cell["source"].splitlines():
            if "BEGIN SOLUTION" in line:
                inside = True
            elif "END SOLUTION" in line:
                inside = False
            elif inside and len(line.strip()) > 12:
                lines.add(line.strip())
    return lines


def test_ids_are_topic_dash_system_and_unique() -> None:
    ids = assignment_ids()
    assert len(ids) == len(set(ids))
    for assignment in ASSIGNMENTS:
        assert assignment.id == f"{assignment.topic}-{assignment.system}"
        assert assignment.chapter.url.startswith("https://mlip-cmu.github.io/book/")
        assert assignment.public_checks and assignment.hidden_checks
    with pytest.raises(UnknownAssignmentError, match=r"known assignments: .*guards-toaster"):
        get_assignment("guards-fridge")


@pytest.mark.parametrize("assignment_id", assignment_ids())
def test_release_copy_has_no_solution(assignment_id: str) -> None:
    text = (release_dir(assignment_id) / get_assignment(assignment_id).notebooks[0]).read_text()
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    leaked = [line for line in solution_lines(assignment_id) if line in text]
    assert not leaked
    assert solution_lines(assignment_id), "the source must contain a solution"


@pytest.mark.parametrize("assignment_id", assignment_ids())
def test_every_check_has_a_graded_locked_cell(assignment_id: str) -> None:
    assignment = get_assignment(assignment_id)
    notebook = json.loads((release_dir(assignment_id) / assignment.notebooks[0]).read_text())
    cells = {
        c["metadata"]["nbgrader"]["grade_id"]: c
        for c in notebook["cells"]
        if "nbgrader" in c["metadata"]
    }
    for check in assignment.checks:
        cell = cells[f"check-{check.name}"]
        meta = cell["metadata"]["nbgrader"]
        assert meta["grade"] and meta["locked"] and meta["points"] == check.points
        helper = "system_check" if check.public else "hidden_check"
        assert f'{helper}("{assignment_id}", "{check.name}")' in "".join(cell["source"])
    solution_sources = [
        "".join(c["source"]) for c in cells.values() if c["metadata"]["nbgrader"].get("solution")
    ]
    for task in assignment.tasks:
        assert any(f"def {task.extension}(" in source for source in solution_sources), task


def test_sources_and_release_copies_are_fresh() -> None:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "assignments" / "build.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_system_check_value_is_nbgrader_partial_credit() -> None:
    """nbgrader reads a numeric execute_result as the points of an autograder-test cell."""
    nbformat = pytest.importorskip("nbformat")
    from nbgrader.utils import determine_grade

    cell = nbformat.v4.new_code_cell("system_check(...)")
    cell.metadata["nbgrader"] = {
        "grade": True,
        "solution": False,
        "points": 7.0,
        "grade_id": "x",
        "locked": True,
    }
    cell.outputs = [
        nbformat.v4.new_output("execute_result", {"text/plain": "5.0"}, execution_count=1)
    ]
    assert determine_grade(cell) == (5.0, 7.0)
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="[PASS] ...\n"),
        nbformat.v4.new_output("execute_result", {"text/plain": "0.0"}, execution_count=1),
    ]
    assert determine_grade(cell) == (0.0, 7.0)


def test_checksum_matches_nbgrader() -> None:
    from mlip.services._project import _checksum, compute_checksum

    notebook = json.loads((release_dir("guards-tax") / "guards.ipynb").read_text())
    for cell in notebook["cells"]:
        meta = cell["metadata"].get("nbgrader")
        if meta and meta.get("locked"):
            assert compute_checksum(cell) == _checksum(cell) == meta["checksum"]
