"""`mlip course grades`: pass rates count the instructor's manual overrides; `release --all`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from autograder_samples import ASSIGNMENT, SOURCES


def _mlip(*args: str) -> Any:
    from mlip.cli import main

    return main(list(args))


def _stored(check: str, cell: int, passed: bool, earned: float) -> dict[str, Any]:
    return {
        "check": check,
        "cell": cell,
        "public": True,
        "passed": passed,
        "cell_points": 3.0,
        "cell_points_earned": earned,
    }


@pytest.mark.slow
def test_pass_rates_include_manual_overrides(tmp_path: Path) -> None:
    from mlip_autograder._notebook import check_cells
    from mlip_autograder._store import write_json_atomic
    from mlip_autograder.course import Course, init_course
    from mlip_autograder.grades import grades
    from nbgrader.api import Gradebook

    init_course(directory=tmp_path / "course", sources=SOURCES)
    course = Course((tmp_path / "course").resolve())
    assert _mlip("course", "release", "--course", str(course.root)) == 2  # an id or --all
    assert _mlip("course", "release", "--all", "--course", str(course.root), "--json") == 0
    source = json.loads((course.source / ASSIGNMENT / "guards.ipynb").read_text())
    (cell,) = [c for c in check_cells(source) if c.public]
    with Gradebook(course.db_url, course.course_id()) as gradebook:
        for student in ("ada", "bob"):
            gradebook.add_student(student)
            gradebook.add_submission(ASSIGNMENT, student)
            stored = {
                "assignment": ASSIGNMENT,
                "student": student,
                "notebook": "guards",
                "report": {"checks": [_stored(cell.check, cell.index, False, 1.0)]},
            }
            write_json_atomic(course.results / ASSIGNMENT / student / "guards.json", stored)
        # the instructor looked at ada's failing check and gave full points
        grade = gradebook.find_grade(cell.grade_id, "guards", ASSIGNMENT, "ada")
        grade.manual_score = 3.0
        gradebook.db.commit()
    report = grades(course=course, plot=False)
    (rate,) = [r for r in report.checks if r.check == cell.check]
    assert (rate.submissions, rate.passed, rate.mean_points) == (2, 1, 2.0)
