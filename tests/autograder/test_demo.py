"""`make demo` (the README's main command) runs `mlip course demo`: a synthetic class graded end
to end. A small class here: the reference earns every automatic point, a blank notebook none,
the partial one something in between."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_course_demo_grades_a_synthetic_class(tmp_path: Path) -> None:
    from mlip.assignments import assignment_points

    command = [sys.executable, "-m", "mlip", "course", "demo", "--students", "4", "--json"]
    process = subprocess.run(
        [*command, "--keep", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert process.returncode == 0, process.stderr
    data = json.loads(process.stdout)
    automatic = assignment_points("guards-toaster").total
    automatic -= assignment_points("guards-toaster").hand_graded
    grades = {grade["student"]: grade for grade in data["autograde"]["grades"]}
    assert set(grades) == set(data["kinds"]) and len(grades) == 4
    for student, kind in data["kinds"].items():
        grade = grades[student]
        assert grade["status"] == "graded", grade
        if kind == "reference":
            assert grade["score"] == pytest.approx(automatic)
        elif kind == "blank":
            assert grade["score"] == 0
        else:
            assert 0 < grade["score"] < automatic, (kind, grade)
    assert (tmp_path / "demo" / "grades" / "grades.csv").is_file()
