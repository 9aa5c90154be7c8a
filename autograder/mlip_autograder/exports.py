"""Grades out: CSV files an LMS imports, written from the rows of ``mlip course grades``.

Both writers take the rows :func:`mlip_autograder.grades.grades` computed (late penalty
applied, pending hand grading and isolation marked), so an export never tells another story
than the grades table.

* :func:`write_generic_csv`: one line per submission, with the student's LMS id, name and
  email (from nbgrader's gradebook), score, maximum, late penalty, pending hand-graded parts and
  how the code ran (``graded without isolation`` when the course opted out of the jail).
* :func:`write_canvas_csv`: Canvas's gradebook-import format (``Student, ID, SIS User ID, SIS
  Login ID, Section``, then one ``NAME (CANVAS_ID)`` column per assignment, a ``Points
  Possible`` row first). Canvas matches students by ``ID`` (the LMS user id) and assignments by
  the id in parentheses (``canvas_id`` under ``[assignments.ID]`` in ``mlip_course.toml``; a
  column without one makes Canvas offer to create a new assignment). A score whose hand-graded
  parts are still pending is left blank, so Canvas keeps what it has instead of a partial grade.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from mlip_autograder._sandbox import WITHOUT_ISOLATION
from mlip_autograder.course import Course

__all__ = ["CANVAS_FIXED", "GENERIC_COLUMNS", "write_canvas_csv", "write_generic_csv"]

GENERIC_COLUMNS = (
    "student_id",
    "lms_user_id",
    "first_name",
    "last_name",
    "email",
    "assignment",
    "score",
    "max_score",
    "score_before_penalty",
    "late_penalty",
    "late",
    "pending",
    "pending_points",
    "public_checks",
    "hidden_checks",
    "unit_tests",
    "hand_graded",
    "isolation",
)

CANVAS_FIXED = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")


def _pending_words(row: dict[str, Any]) -> str:
    return "; ".join(f"{part['part']} ({part['points']:g} pts): pending" for part in row["pending"])


def _kind_words(row: dict[str, Any], kind: str) -> str:
    entry = row["points"][kind]
    return f"{entry['earned']:g}/{entry['max']:g}"


def write_generic_csv(rows: list[dict[str, Any]], path: Path) -> str:
    """One line per submission (see the module docstring); returns the path written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(GENERIC_COLUMNS)
        for row in rows:
            late = row["late"]
            writer.writerow(
                [
                    row["student"],
                    row["lms_user_id"],
                    row["first_name"],
                    row["last_name"],
                    row["email"],
                    row["assignment"],
                    f"{row['score']:g}",
                    f"{row['max_score']:g}",
                    f"{row['score_before_penalty']:g}",
                    f"{row['late_penalty']:g}",
                    "" if late["note"] == "on time" else late["note"],
                    _pending_words(row),
                    f"{row['pending_points']:g}",
                    *(
                        _kind_words(row, kind)
                        for kind in ("public_checks", "hidden_checks", "unit_tests", "hand_graded")
                    ),
                    row["isolation"],
                ]
            )
    return str(path)


def _canvas_name(row: dict[str, Any]) -> str:
    """Canvas's ``Student`` column: ``Last, First`` (the nbgrader id if no name is known)."""
    if row["last_name"] or row["first_name"]:
        return ", ".join(part for part in (row["last_name"], row["first_name"]) if part)
    return str(row["student"])


def write_canvas_csv(
    course: Course, rows: list[dict[str, Any]], path: Path
) -> tuple[str, list[str]]:
    """Canvas's gradebook-import CSV; returns the path and notes for the instructor."""
    from mlip_autograder._config import late_policy

    assignments = sorted({row["assignment"] for row in rows})
    columns = []
    notes = []
    for assignment in assignments:
        canvas_id = late_policy(course.root, assignment).canvas_id
        columns.append(f"{assignment} ({canvas_id})" if canvas_id else assignment)
        if not canvas_id:
            notes.append(
                f"{assignment}: no canvas_id under [assignments.{assignment}] in "
                "mlip_course.toml; Canvas will offer to create a new assignment column"
            )
    unjailed = any(row["isolation"] == WITHOUT_ISOLATION for row in rows)
    maxima = {row["assignment"]: row["max_score"] for row in rows}
    by_student: dict[str, dict[str, Any]] = {}
    for row in rows:
        by_student.setdefault(row["student"], {"row": row, "scores": {}, "notes": []})
        entry = by_student[row["student"]]
        if row["pending"]:
            entry["scores"][row["assignment"]] = ""
            entry["notes"].append(f"{row['assignment']}: hand grading pending")
        else:
            entry["scores"][row["assignment"]] = f"{row['score']:g}"
        if row["isolation"] == WITHOUT_ISOLATION:
            entry["notes"].append(f"{row['assignment']}: {WITHOUT_ISOLATION}")
        if not row["lms_user_id"]:
            entry["notes"].append("no LMS user id: Canvas cannot match this row")
    blank = sum(1 for row in rows if row["pending"])
    if blank:
        notes.append(f"{blank} score(s) left blank in the Canvas CSV: hand grading pending")
    missing = sorted({row["student"] for row in rows if not row["lms_user_id"]})
    if missing:
        notes.append(
            f"{len(missing)} student(s) without an LMS user id (Canvas cannot match them): "
            + ", ".join(missing[:5])
            + (" ..." if len(missing) > 5 else "")
        )
    header = [*CANVAS_FIXED, *columns, *(["Notes"] if unjailed else [])]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerow(
            [
                "Points Possible",
                "",
                "",
                "",
                "",
                *(f"{maxima[a]:g}" for a in assignments),
                *([""] if unjailed else []),
            ]
        )
        for student in sorted(by_student):
            entry = by_student[student]
            row = entry["row"]
            writer.writerow(
                [
                    _canvas_name(row),
                    row["lms_user_id"],
                    "",
                    row["email"],
                    "",
                    *(entry["scores"].get(a, "") for a in assignments),
                    *(["; ".join(entry["notes"])] if unjailed else []),
                ]
            )
    return str(path), notes
