"""Grades for the instructor: nbgrader's gradebook with one points story, late penalties,
pending hand grading, per-check pass rates (manual overrides included), a similarity report
and a histogram; the exports (:mod:`mlip_autograder.exports`) write the same rows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlip_autograder._sandbox import WITHOUT_ISOLATION
from mlip_autograder._store import read_json
from mlip_autograder.course import Course

__all__ = ["CheckRate", "GradesReport", "SimilarGroup", "grades"]


@dataclass(frozen=True)
class CheckRate:
    """How the class did on one check of one assignment."""

    assignment: str
    check: str
    public: bool
    submissions: int
    passed: int
    mean_points: float
    max_points: float

    @property
    def pass_rate(self) -> float:
        return round(self.passed / self.submissions, 6) if self.submissions else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "assignment": self.assignment,
            "check": self.check,
            "public": self.public,
            "submissions": self.submissions,
            "passed": self.passed,
            "pass_rate": self.pass_rate,
            "mean_points": self.mean_points,
            "max_points": self.max_points,
        }


@dataclass(frozen=True)
class SimilarGroup:
    """Submissions of one assignment whose answers are the same code, for a human to look at.

    ``kind`` is ``"identical"`` (the answer cells are character for character the same) or
    ``"near-identical"`` (the same once comments, blank lines and spacing are ignored). It is a
    signal, never a penalty: scores are not touched.
    """

    assignment: str
    kind: str
    students: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"assignment": self.assignment, "kind": self.kind, "students": list(self.students)}


@dataclass(frozen=True)
class GradesReport:
    """Scores per student and assignment, check pass rates, and where files went."""

    rows: tuple[dict[str, Any], ...]
    checks: tuple[CheckRate, ...]
    csv: str | None
    histogram: str | None
    similar: tuple[SimilarGroup, ...] = ()
    exports: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def without_isolation(self) -> tuple[str, ...]:
        """``ASSIGNMENT/STUDENT`` of every submission whose code ran outside a jail."""
        return tuple(
            f"{row['assignment']}/{row['student']}"
            for row in self.rows
            if row["isolation"] == WITHOUT_ISOLATION
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "graded_without_isolation": list(self.without_isolation),
            "grades": list(self.rows),
            "checks": [c.to_dict() for c in self.checks],
            "csv": self.csv,
            "histogram": self.histogram,
            "similar": [group.to_dict() for group in self.similar],
            "exports": list(self.exports),
            "notes": list(self.notes),
        }


def _cell_kinds(course: Course, assignment_id: str) -> dict[tuple[str, str], str]:
    """``(notebook, grade_id) -> kind`` of every graded cell of the assignment's source."""
    from mlip.assignments import cell_kind

    kinds: dict[tuple[str, str], str] = {}
    for path in sorted((course.source / assignment_id).glob("*.ipynb")):
        notebook = read_json(path)
        for cell in notebook.get("cells", []) if isinstance(notebook, dict) else []:
            kind = cell_kind(cell)
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if kind is not None and grade_id is not None:
                kinds[(path.stem, str(grade_id))] = kind
    return kinds


def _rows(course: Course, assignment_id: str | None = None) -> list[dict[str, Any]]:
    from nbgrader.api import Gradebook, MissingEntry

    from mlip.assignments import KINDS
    from mlip_autograder._config import late_policy
    from mlip_autograder.late import lateness, submission_time

    rows: list[dict[str, Any]] = []
    with Gradebook(course.db_url, course.course_id()) as gradebook:
        for assignment in sorted(gradebook.assignments, key=lambda a: a.name):
            if assignment_id is not None and assignment.name != assignment_id:
                continue
            policy = late_policy(course.root, assignment.name)
            kinds = _cell_kinds(course, assignment.name)
            for student in sorted(gradebook.students, key=lambda s: s.id):
                try:
                    submission = gradebook.find_submission(assignment.name, student.id)
                except MissingEntry:
                    continue
                points = {kind: {"earned": 0.0, "max": 0.0} for kind in KINDS}
                pending: list[dict[str, Any]] = []
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        kind = kinds.get((notebook.name, grade.name), "unit_tests")
                        points[kind]["max"] += float(grade.max_score or 0.0)
                        if grade.needs_manual_grade:
                            pending.append(
                                {
                                    "notebook": notebook.name,
                                    "part": grade.name,
                                    "points": float(grade.max_score or 0.0),
                                }
                            )
                        else:
                            points[kind]["earned"] += float(grade.score or 0.0)
                raw = round(float(submission.score), 2)
                late = lateness(
                    policy, submission_time(course.root, assignment.name, student.id), raw
                )
                rows.append(
                    {
                        "assignment": assignment.name,
                        "student": student.id,
                        "lms_user_id": student.lms_user_id or "",
                        "first_name": student.first_name or "",
                        "last_name": student.last_name or "",
                        "email": student.email or "",
                        "score": round(raw - late.penalty, 2),
                        "max_score": round(float(submission.max_score), 2),
                        "score_before_penalty": raw,
                        "late_penalty": late.penalty,
                        "late": late.to_dict(),
                        "pending": pending,
                        "pending_points": round(sum(part["points"] for part in pending), 2),
                        "points": {
                            kind: {key: round(value, 2) for key, value in entry.items()}
                            for kind, entry in points.items()
                        },
                        "isolation": _isolation_of(course, assignment.name, student.id),
                    }
                )
    return rows


def _isolation_of(course: Course, assignment: str, student: str) -> str:
    """How a submission's code ran, from its stored judge results: ``"bubblewrap"``, or
    :data:`WITHOUT_ISOLATION` if any notebook ran outside a jail (``""``: not judged by us)."""
    kinds = {
        str(stored.get("report", {}).get("isolation", ""))
        for path in sorted((course.results / assignment / student).glob("*.json"))
        if isinstance(stored := read_json(path), dict)
    }
    if "process" in kinds:
        return WITHOUT_ISOLATION
    return "bubblewrap" if "bubblewrap" in kinds else ""


def _add_isolation_column(path: Path, rows: list[dict[str, Any]]) -> None:
    """nbgrader's CSV plus an ``isolation`` column, so the export itself says how code ran."""
    import csv

    isolation = {(row["assignment"], row["student"]): row["isolation"] for row in rows}
    with path.open(newline="", encoding="utf-8") as stream:
        records = list(csv.DictReader(stream))
    if not records:
        return
    columns = [*records[0].keys(), "isolation"]
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=columns)
        writer.writeheader()
        for record in records:
            key = (record.get("assignment", ""), record.get("student_id", ""))
            writer.writerow({**record, "isolation": isolation.get(key, "")})


def _manual_overrides(course: Course) -> dict[tuple[str, str, str, str], float]:
    """``(assignment, student, notebook, grade_id) -> points`` set by hand in the gradebook
    (formgrader), which overrule the judge's points for that check."""
    from nbgrader.api import Gradebook

    overrides: dict[tuple[str, str, str, str], float] = {}
    with Gradebook(course.db_url, course.course_id()) as gradebook:
        for assignment in gradebook.assignments:
            for submission in assignment.submissions:
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        if grade.manual_score is not None:
                            key = (assignment.name, submission.student.id, notebook.name)
                            overrides[(*key, grade.name)] = float(grade.manual_score)
    return overrides


def _check_grade_ids(course: Course, assignment: str, notebook: str) -> dict[int, str]:
    """Cell index -> grade id of the check cells of a source notebook."""
    from mlip_autograder._notebook import check_cells

    source = read_json(course.source / assignment / f"{notebook}.ipynb")
    if not isinstance(source, dict):
        return {}
    return {cell.index: cell.grade_id for cell in check_cells(source)}


def _check_rates(course: Course, assignment_id: str | None = None) -> list[CheckRate]:
    overrides = _manual_overrides(course)
    grade_ids: dict[tuple[str, str], dict[int, str]] = {}
    totals: dict[tuple[str, str], list[Any]] = {}
    for path in sorted(course.results.glob("*/*/*.json")):
        stored = read_json(path)
        if not isinstance(stored, dict):
            continue
        assignment, notebook = str(stored.get("assignment")), str(stored.get("notebook"))
        if assignment_id is not None and assignment != assignment_id:
            continue
        if (assignment, notebook) not in grade_ids:
            grade_ids[(assignment, notebook)] = _check_grade_ids(course, assignment, notebook)
        for check in stored.get("report", {}).get("checks", []):
            key = (assignment, str(check["check"]))
            maximum = float(check.get("cell_points", 0.0))
            earned = float(check.get("cell_points_earned", 0.0))
            passed = bool(check["passed"])
            grade_id = grade_ids[(assignment, notebook)].get(int(check.get("cell", -1)))
            student = str(stored.get("student"))
            manual = overrides.get((assignment, student, notebook, str(grade_id)))
            if manual is not None:  # an instructor's override counts, as in the gradebook
                earned, passed = manual, manual >= maximum
            entry = totals.setdefault(key, [bool(check.get("public", True)), 0, 0, 0.0, 0.0])
            entry[1] += 1
            entry[2] += int(passed)
            entry[3] += earned
            entry[4] = maximum
    return [
        CheckRate(assignment, check, public, count, passed, round(points / count, 2), maximum)
        for (assignment, check), (public, count, passed, points, maximum) in sorted(totals.items())
    ]


def _normalised(code: str) -> str:
    """Code with comments, blank lines and spacing removed (what "near-identical" ignores)."""
    import io
    import tokenize

    try:
        tokens = [
            token.string
            for token in tokenize.generate_tokens(io.StringIO(code).readline)
            if token.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT)
            and token.type != tokenize.DEDENT
        ]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return " ".join(code.split())
    return " ".join(tokens)


def _answers(notebook: dict[str, Any]) -> list[str]:
    """The code of the answer (solution) cells: what two students can have copied."""
    from mlip_autograder._notebook import source_text

    return [
        source_text(cell)
        for cell in notebook.get("cells", [])
        if isinstance(cell, dict)
        and cell.get("cell_type") == "code"
        and isinstance(cell.get("metadata", {}).get("nbgrader"), dict)
        and cell["metadata"]["nbgrader"].get("solution")
    ]


def _similar(course: Course, assignment_id: str | None = None) -> list[SimilarGroup]:
    """Groups of two or more submissions with the same answers (blank ones left out)."""
    submitted = course.root / "submitted"
    groups: list[SimilarGroup] = []
    assignments = [assignment_id] if assignment_id else course.assignments()
    for assignment in assignments:
        release = {
            path.stem: _answers(data)
            for path in sorted((course.root / "release" / assignment).glob("*.ipynb"))
            if isinstance(data := read_json(path), dict)
        }
        exact: dict[str, list[str]] = {}
        near: dict[str, list[str]] = {}
        for folder in sorted(submitted.glob(f"*/{assignment}")) if submitted.is_dir() else []:
            answers: list[str] = []
            for path in sorted(folder.glob("*.ipynb")):
                data = read_json(path)
                if isinstance(data, dict) and _answers(data) != release.get(path.stem):
                    answers += [f"{path.stem}\0{answer}" for answer in _answers(data)]
            if not answers:  # nothing written, or not a notebook: not a signal
                continue
            student = folder.parent.name
            exact.setdefault("\0\0".join(answers), []).append(student)
            near.setdefault("\0\0".join(_normalised(a) for a in answers), []).append(student)
        seen: set[tuple[str, ...]] = set()
        for students in exact.values():
            if len(students) > 1:
                seen.add(tuple(students))
                groups.append(SimilarGroup(assignment, "identical", tuple(students)))
        for students in near.values():
            if len(students) > 1 and tuple(students) not in seen:
                groups.append(SimilarGroup(assignment, "near-identical", tuple(students)))
    return groups


def _histogram(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 3.5))
    for assignment in sorted({row["assignment"] for row in rows}):
        scores = [
            100 * row["score"] / row["max_score"]
            for row in rows
            if row["assignment"] == assignment and row["max_score"]
        ]
        axes.hist(
            scores,
            bins=[0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100.001],
            alpha=0.6,
            label=assignment,
        )
    axes.set_xlabel("score (% of the maximum)")
    axes.set_ylabel("submissions")
    axes.legend(fontsize="small")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)


def grades(
    *,
    course: Course,
    csv: Path | None = None,
    plot: bool = True,
    assignment: str | None = None,
    export: Path | None = None,
    canvas: Path | None = None,
) -> GradesReport:
    """Read the gradebook (all assignments, or ``assignment``); write nbgrader's CSV export to
    ``csv``, the generic CSV with LMS ids to ``export``, the Canvas gradebook-import CSV to
    ``canvas``, and a histogram PNG."""
    from mlip_autograder import exports as writers

    if assignment is not None:
        course.require_assignment(assignment)
    rows = _rows(course, assignment)
    csv_path = None
    if csv is not None:
        from nbgrader.api import Gradebook
        from nbgrader.plugins.export import CsvExportPlugin

        csv.parent.mkdir(parents=True, exist_ok=True)
        plugin = CsvExportPlugin()
        plugin.to = str(csv)
        with Gradebook(course.db_url, course.course_id()) as gradebook:
            plugin.export(gradebook)
        _add_isolation_column(csv, rows)
        csv_path = str(csv)
    written: list[str] = []
    notes: list[str] = []
    if export is not None:
        written.append(writers.write_generic_csv(rows, export))
    if canvas is not None:
        path, canvas_notes = writers.write_canvas_csv(course, rows, canvas)
        written.append(path)
        notes += canvas_notes
    histogram = None
    if plot and rows:
        path = course.root / "grades" / "histogram.png"
        _histogram(rows, path)
        histogram = str(path)
    return GradesReport(
        tuple(rows),
        tuple(_check_rates(course, assignment)),
        csv_path,
        histogram,
        tuple(_similar(course, assignment)),
        tuple(written),
        tuple(notes),
    )
