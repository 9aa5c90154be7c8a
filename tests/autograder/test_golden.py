"""Golden sample submissions: each grades to the result its data file expects.

Run once per session (see ``conftest.graded_class``): reference = full marks, blank = zero on the
system checks, partial = the recorded partial credit, hostile samples get a verdict (timeout,
crash, memory) or are contained by the sandbox and still graded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from autograder_samples import ASSIGNMENT, load_sample, sample_names


def _grade(report: Any, student: str) -> Any:
    return next(grade for grade in report.grades if grade.student == student)


def _autograded_cells(course: Any, student: str) -> dict[str, str]:
    """grade_id -> all text the autograded notebook shows for that cell."""
    path = course.root / "autograded" / student / ASSIGNMENT / "guards.ipynb"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    texts = {}
    for cell in notebook["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id and cell["cell_type"] == "code":
            texts[grade_id] = json.dumps(cell.get("outputs", []))
    return texts


def _stored_checks(course: Any, student: str) -> dict[str, float]:
    path = course.results / ASSIGNMENT / student / "guards.json"
    stored = json.loads(path.read_text(encoding="utf-8"))
    return {check["check"]: check["cell_points_earned"] for check in stored["report"]["checks"]}


@pytest.mark.slow
@pytest.mark.parametrize("name", sample_names())
def test_sample_grades_as_expected(graded_class: tuple[Any, Any], name: str) -> None:
    course, report = graded_class
    expected = load_sample(name)["expected"]
    grade = _grade(report, name)
    assert grade.status == expected["status"], grade.reason
    if "score" in expected:
        assert grade.score == pytest.approx(expected["score"])
    assert grade.max_score == pytest.approx(8.0)
    if grade.status != "graded":
        assert grade.reason, "a verdict other than graded must say why"
    checks = _stored_checks(course, name) if grade.status in ("graded", "timeout", "memory") else {}
    for check, points in expected.get("checks", {}).items():
        assert checks[check] == pytest.approx(points)
    assert expected.get("reason_contains", "") in grade.reason
    shown = expected.get("output_contains", {}) or expected.get("output_lacks", {})
    cells = _autograded_cells(course, name) if shown else {}
    for grade_id, texts in expected.get("output_contains", {}).items():
        for text in [texts] if isinstance(texts, str) else texts:
            assert text in cells[grade_id]
    for grade_id, texts in expected.get("output_lacks", {}).items():
        for text in [texts] if isinstance(texts, str) else texts:
            assert text not in cells[grade_id]


@pytest.mark.slow
def test_gradebook_holds_every_score(graded_class: tuple[Any, Any]) -> None:
    from nbgrader.api import Gradebook

    course, report = graded_class
    with Gradebook(course.db_url, course.course_id()) as gradebook:
        for grade in report.grades:
            submission = gradebook.find_submission(ASSIGNMENT, grade.student)
            assert submission.score == pytest.approx(grade.score)
            # nbgrader recorded the system-check cells as autograder tests with our points
            cells = {
                g.name: g.score
                for g in gradebook.find_submission_notebook(
                    "guards", ASSIGNMENT, grade.student
                ).grades
            }
            assert set(cells) >= {"check-keeps-good-toast", "check-hidden-chaos-seeds"}


@pytest.mark.slow
def test_partial_credit_is_fractional(graded_class: tuple[Any, Any]) -> None:
    course, _ = graded_class
    hidden = _stored_checks(course, "partial")["hidden-chaos-seeds"]
    stored = course.results / ASSIGNMENT / "partial" / "guards.json"
    assert 0.0 < hidden < 3.0, stored.read_text(encoding="utf-8")[:3000]


@pytest.mark.slow
def test_hostile_samples_leave_the_course_intact(graded_class: tuple[Any, Any]) -> None:
    course, _ = graded_class
    assert not (course.root / "hacked.txt").exists()
    assert b"hacked" not in course.gradebook.read_bytes()
    secret = course.secret()
    for path in (course.root / "autograded").rglob("*.ipynb"):
        assert secret not in path.read_text(encoding="utf-8")


@pytest.mark.slow
def test_rerun_skips_graded_submissions(graded_class: tuple[Any, Any]) -> None:
    from mlip_autograder.autograde import autograde

    course, report = graded_class
    again = autograde(course=course, assignment_id=ASSIGNMENT, workers=2)
    assert all(grade.skipped for grade in again.grades)
    assert [g.score for g in again.grades] == [g.score for g in report.grades]
    assert [g.status for g in again.grades] == [g.status for g in report.grades]


@pytest.mark.slow
def test_feedback_and_grades(graded_class: tuple[Any, Any], tmp_path: Any) -> None:
    from mlip_autograder.course import generate_feedback
    from mlip_autograder.grades import grades

    course, _ = graded_class
    feedback = generate_feedback(course=course, assignment_id=ASSIGNMENT)
    html = {path.split("/")[-3]: Path(path).read_text(encoding="utf-8") for path in feedback.files}
    assert "keeps-good-toast" in html["partial"] and "hidden-chaos-seeds" in html["partial"]
    # a failed public check shows its failing scenario; a hidden one only its name and hint
    assert "failing scenario" in html["always-equal"]
    assert "hidden scenarios" not in html["always-equal"]
    assert "[HIDDEN FAIL] hidden-chaos-seeds" in html["always-equal"]
    report = grades(course=course, csv=tmp_path / "grades.csv")
    assert (tmp_path / "grades.csv").read_text().count("\n") >= len(sample_names())
    assert report.histogram is not None
    rates = {rate.check: rate for rate in report.checks}
    assert 0.0 < rates["keeps-good-toast"].pass_rate < 1.0


@pytest.mark.slow
def test_same_grades_with_one_worker_and_forced_regrade(graded_class: tuple[Any, Any]) -> None:
    from mlip_autograder.autograde import autograde

    course, report = graded_class
    before = _stored_checks(course, "partial")
    again = autograde(
        course=course, assignment_id=ASSIGNMENT, workers=1, student="partial", force=True
    )
    (grade,) = again.grades
    assert not grade.skipped
    assert grade.score == _grade(report, "partial").score
    assert _stored_checks(course, "partial") == before


@pytest.mark.slow
def test_plain_nbgrader_autograde_uses_the_judge(graded_class: tuple[Any, Any]) -> None:
    """nbgrader's own command works on the course: the preprocessor supplies the outputs."""
    import subprocess
    import sys

    course, _ = graded_class
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "nbgrader",
            "autograde",
            ASSIGNMENT,
            "--student",
            "always-equal",
            "--force",
        ],
        cwd=course.root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    cells = _autograded_cells(course, "always-equal")
    assert "not plain data" in cells["check-keeps-good-toast"]


#: Every sample's points per check cell, pinned so that a change in how checks score cannot
#: move a golden grade unnoticed. Regenerate with ``MLIP_PIN_POINTS=1 pytest
#: tests/autograder/test_golden.py -k pinned`` only when a grade was wrong (say so in the
#: CHANGELOG).
PINNED = Path(__file__).parent / "data" / "pinned_points.json"


@pytest.mark.slow
def test_points_per_check_are_pinned(graded_class: tuple[Any, Any]) -> None:
    import os

    course, report = graded_class
    points = {
        grade.student: _stored_checks(course, grade.student)
        for grade in report.grades
        if grade.status in ("graded", "timeout", "memory")
    }
    if os.environ.get("MLIP_PIN_POINTS"):
        PINNED.write_text(json.dumps(points, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    assert points == json.loads(PINNED.read_text(encoding="utf-8"))
