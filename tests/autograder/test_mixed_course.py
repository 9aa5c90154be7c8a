"""Golden tests: a mixed course (a kit assignment next to an ordinary nbgrader homework), late
penalties from ``mlip_course.toml``, the exports and the similarity report.

``hw0`` (``data/mixed/hw0``) is plain nbgrader: one answer cell, one 2-point test cell, one
1-point hand-graded answer. It is graded by execution in the jail, not by the judge.
Submissions are written straight into nbgrader's ``submitted/STUDENT/hw0/`` with the
``timestamp.txt`` an LMS export gives them.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
from autograder_samples import DATA, SOURCES, TEST_TOML

HW0 = "hw0"
DUE = "2026-12-01T23:59:00Z"
LATE_TOML = f"""
[late]
grace_minutes = 15
penalty = "zero"

[assignments.hw0]
due = {DUE}
canvas_id = "4242"
"""

RIGHT = 'def add(a, b):\n    """The sum of a and b."""\n    return a + b\n'
#: Each student's answer cell (None: the release copy, untouched), explanation and time.
STUDENTS: dict[str, tuple[str | None, str | None, str]] = {
    "right": (RIGHT, "Addition of numbers is commutative.", "2026-12-01 20:00:00.000000 UTC"),
    "right-late": (RIGHT, None, "2026-12-03 10:00:00.000000 UTC"),
    "right-grace": (RIGHT, None, "2026-12-02 00:09:00.000000 UTC"),
    "right-reformatted": (
        'def add(a, b):\n    """The sum of a and b."""\n    # plus\n    return a+b\n',
        None,
        "2026-12-01 12:00:00.000000 UTC",
    ),
    "different-right": (
        "def add(a, b):\n    return sum((a, b))\n",
        None,
        "2026-12-01 12:00:00 UTC",
    ),
    "wrong": ("def add(a, b):\n    return a - b\n", None, "2026-12-01 12:00:00.000000 UTC"),
    "blank": (None, None, "2026-12-01 12:00:00.000000 UTC"),
    # right only where the course folder is invisible, i.e. in the jail
    "sees-course": (
        "import os\n\ndef add(a, b):\n    return a - b if os.path.exists({course!r}) else a + b\n",
        None,
        "2026-12-01 12:00:00.000000 UTC",
    ),
}
#: Points of the 2-point test cell each student must get (before any late penalty).
EXPECTED_RAW = {
    "right": 2,
    "right-late": 2,
    "right-grace": 2,
    "right-reformatted": 2,
    "different-right": 2,
    "wrong": 0,
    "blank": 0,
    "sees-course": 2,
}


def _submission(release: dict[str, Any], answer: str | None, explain: str | None) -> Any:
    notebook = json.loads(json.dumps(release))
    for cell in notebook["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id == "add" and answer is not None:
            cell["source"] = answer
        if grade_id == "explain" and explain is not None:
            cell["source"] = explain
    return notebook


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    """A course with guards-toaster and hw0; hw0 collected and autograded once."""
    from mlip_autograder.autograde import autograde
    from mlip_autograder.course import Course, init_course, release_all
    from nbgrader.api import Gradebook

    base = tmp_path_factory.mktemp("mixed")
    sources = base / "sources"
    shutil.copytree(SOURCES, sources)
    shutil.copytree(DATA / "mixed" / HW0, sources / HW0)
    init_course(directory=base / "course", sources=sources)
    course = Course((base / "course").resolve())
    (course.root / "mlip_course.toml").write_text(TEST_TOML + LATE_TOML, encoding="utf-8")
    released = release_all(course=course)
    assert [report.assignment for report in released] == ["guards-toaster", HW0]
    release = json.loads((course.root / "release" / HW0 / "hw0.ipynb").read_text())
    for name, (answer, explain, stamp) in STUDENTS.items():
        folder = course.root / "submitted" / name / HW0
        folder.mkdir(parents=True)
        if answer is not None:
            answer = answer.replace("{course!r}", repr(str(course.root)))
        notebook = _submission(release, answer, explain)
        (folder / "hw0.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
        (folder / "timestamp.txt").write_text(stamp + "\n", encoding="utf-8")
    with Gradebook(course.db_url, course.course_id()) as gradebook:  # what a roster import does
        for index, name in enumerate(STUDENTS):
            gradebook.update_or_create_student(
                name,
                first_name=name.title(),
                last_name="Student",
                email=f"{name}@example.edu",
                lms_user_id=str(1000 + index),
            )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        report = autograde(course=course, assignment_id=HW0, workers=2)
    return course, report


@pytest.mark.slow
def test_plain_homework_is_executed_in_the_jail(mixed: tuple[Any, Any]) -> None:
    course, report = mixed
    assert report.isolation == "bubblewrap"
    raw = {grade.student: grade.score for grade in report.grades}
    assert raw == EXPECTED_RAW  # autograde's own table: the gradebook score, before penalties
    assert all(grade.status == "graded" for grade in report.grades)
    stored = json.loads((course.results / HW0 / "wrong" / "hw0.json").read_text())
    assert stored["report"]["checks"] == [] and stored["report"]["isolation"] == "bubblewrap"


@pytest.mark.slow
def test_plain_nbgrader_autograde_runs_homework(mixed: tuple[Any, Any]) -> None:
    """The issue's reproduction: `nbgrader autograde hw0` no longer gives a wrong answer 1/1."""
    from nbgrader.api import Gradebook

    course, _ = mixed
    for student in ("wrong", "right"):
        shutil.rmtree(course.results / HW0 / student)  # computed afresh by the preprocessor
        done = subprocess.run(
            [sys.executable, "-m", "nbgrader", "autograde", HW0, "--student", student, "--force"],
            cwd=course.root,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
    with Gradebook(course.db_url, course.course_id()) as gradebook:
        assert gradebook.find_submission(HW0, "wrong").score == 0
        assert gradebook.find_submission(HW0, "right").score == 2


@pytest.mark.slow
def test_late_penalty_everywhere(mixed: tuple[Any, Any], tmp_path: Path) -> None:
    from mlip_autograder.course import generate_feedback
    from mlip_autograder.grades import grades
    from nbgrader.api import Gradebook

    course, _ = mixed
    report = grades(
        course=course,
        assignment=HW0,
        csv=tmp_path / "nbgrader.csv",
        export=tmp_path / "grades.csv",
        canvas=tmp_path / "canvas.csv",
        plot=False,
    )
    rows = {row["student"]: row for row in report.rows}
    assert {row["assignment"] for row in report.rows} == {HW0}
    # zero after the grace period; nothing within it
    assert rows["right-late"]["score"] == 0 and rows["right-late"]["late_penalty"] == 2
    assert rows["right-late"]["score_before_penalty"] == 2
    assert rows["right-grace"]["score"] == 2 and rows["right-grace"]["late"]["within_grace"]
    assert rows["right"]["late"]["note"] == "on time"
    as_json = json.loads(json.dumps(report.to_dict()))
    assert {r["student"]: r["score"] for r in as_json["grades"]}["right-late"] == 0
    # nbgrader's own gradebook (so its CSV, formgrader and feedback) holds the same penalty
    with Gradebook(course.db_url, course.course_id()) as gradebook:
        assert gradebook.find_submission(HW0, "right-late").late_submission_penalty == 2
        assert gradebook.find_submission(HW0, "right-grace").late_submission_penalty == 0
    nbgrader_rows = list(csv.DictReader((tmp_path / "nbgrader.csv").open()))
    late_row = next(
        r for r in nbgrader_rows if (r["assignment"], r["student_id"]) == (HW0, "right-late")
    )
    assert float(late_row["late_submission_penalty"]) == 2
    generic = {r["student_id"]: r for r in csv.DictReader((tmp_path / "grades.csv").open())}
    assert generic["right-late"]["score"] == "0" and generic["right-late"]["late_penalty"] == "2"
    assert generic["right-late"]["lms_user_id"] == "1001"
    assert generic["right-late"]["email"] == "right-late@example.edu"
    assert generic["right-grace"]["score"] == "2" and generic["right-grace"]["late_penalty"] == "0"
    assert generic["right"]["isolation"] == "bubblewrap"
    canvas = list(csv.reader((tmp_path / "canvas.csv").open()))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "hw0 (4242)"]
    assert canvas[1][0] == "Points Possible" and canvas[1][5] == "3"
    by_id = {line[1]: line for line in canvas[2:]}
    assert by_id["1001"][0] == "Student, Right-Late" and by_id["1001"][5] == "0"
    assert by_id["1002"][5] == "2"  # right-grace
    # feedback says why
    feedback = generate_feedback(course=course, assignment_id=HW0)
    html = {path.split("/")[-3]: Path(path).read_text(encoding="utf-8") for path in feedback.files}
    assert "Late submission" in html["right-late"] and "no points" in html["right-late"]
    assert "Late submission penalty" in html["right-late"]  # nbgrader's own line
    assert "Late submission" not in html["right"]
    # a hand-graded part nobody graded yet is pending, not a zero
    assert "Pending:" in html["right"] and "Pending:" not in html["blank"]


@pytest.mark.slow
def test_pending_hand_grading_is_pending(mixed: tuple[Any, Any], tmp_path: Path) -> None:
    from mlip_autograder.grades import grades

    course, _ = mixed
    report = grades(
        course=course, assignment=HW0, export=tmp_path / "g.csv", canvas=tmp_path / "c.csv"
    )
    rows = {row["student"]: row for row in report.rows}
    assert rows["right"]["pending"] == [{"notebook": "hw0", "part": "explain", "points": 1.0}]
    assert rows["right"]["pending_points"] == 1
    assert rows["blank"]["pending"] == []  # an untouched answer is nbgrader's zero, not pending
    assert rows["right"]["points"]["hand_graded"] == {"earned": 0.0, "max": 1.0}
    assert rows["right"]["points"]["unit_tests"] == {"earned": 2.0, "max": 2.0}
    generic = {r["student_id"]: r for r in csv.DictReader((tmp_path / "g.csv").open())}
    assert "explain (1 pts): pending" in generic["right"]["pending"]
    canvas = {line[1]: line for line in list(csv.reader((tmp_path / "c.csv").open()))[2:]}
    assert canvas["1000"][5] == ""  # Canvas keeps its value until hand grading is done
    assert any("pending" in note for note in report.notes)


@pytest.mark.slow
def test_similarity_report_lists_copies_without_penalty(mixed: tuple[Any, Any]) -> None:
    from mlip_autograder.grades import grades

    course, _ = mixed
    report = grades(course=course, assignment=HW0, plot=False)
    groups = {(group.kind, group.students) for group in report.similar}
    assert ("identical", ("right", "right-grace", "right-late")) in groups
    near = [set(students) for kind, students in groups if kind == "near-identical"]
    assert any({"right", "right-reformatted"} <= students for students in near)
    listed = {student for _, students in groups for student in students}
    assert "different-right" not in listed and "blank" not in listed
    scores = {row["student"]: row["score_before_penalty"] for row in report.rows}
    assert scores["right-reformatted"] == scores["different-right"] == 2  # never a penalty


@pytest.mark.slow
def test_every_export_says_graded_without_isolation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A course that opted out of the jail: hw0 still grades, and every export says so."""
    from mlip_autograder._sandbox import WITHOUT_ISOLATION
    from mlip_autograder.autograde import autograde
    from mlip_autograder.course import Course, init_course, release_assignment
    from mlip_autograder.grades import grades

    monkeypatch.setenv("MLIP_BWRAP", str(tmp_path / "no-bwrap-here"))
    init_course(directory=tmp_path / "course", sources=DATA / "mixed")
    course = Course((tmp_path / "course").resolve())
    toml = TEST_TOML.replace("[sandbox]\n", '[sandbox]\nisolation = "none"\n')
    (course.root / "mlip_course.toml").write_text(toml, encoding="utf-8")
    release_assignment(course=course, assignment_id=HW0)
    release = json.loads((course.root / "release" / HW0 / "hw0.ipynb").read_text())
    folder = course.root / "submitted" / "ada" / HW0
    folder.mkdir(parents=True)
    (folder / "hw0.ipynb").write_text(json.dumps(_submission(release, RIGHT, None)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        (grade,) = autograde(course=course, assignment_id=HW0, workers=1).grades
    assert grade.score == 2
    report = grades(
        course=course,
        csv=tmp_path / "nbgrader.csv",
        export=tmp_path / "grades.csv",
        canvas=tmp_path / "canvas.csv",
        plot=False,
    )
    assert report.without_isolation == (f"{HW0}/ada",)
    for name in ("nbgrader.csv", "grades.csv", "canvas.csv"):
        assert WITHOUT_ISOLATION in (tmp_path / name).read_text(encoding="utf-8"), name


@pytest.mark.slow
def test_grades_table_shows_penalty_and_pending(
    mixed: tuple[Any, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    course, _ = mixed
    capsys.readouterr()
    assert _cli("course", "grades", "-a", "hw0", "--course", str(course.root)) == 0
    out = capsys.readouterr().out
    assert "late: -2" in out and "+1 pending" in out and "identical" in out
    assert _cli("course", "grades", "-a", "nope", "--course", str(course.root)) == 2


def _cli(*args: str) -> Any:
    from mlip.cli import main

    return main(list(args))
