"""Grades for the instructor: nbgrader's export plus per-check pass rates and a histogram."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlip_autograder._sandbox import WITHOUT_ISOLATION
from mlip_autograder._store import read_json
from mlip_autograder.course import Course

__all__ = ["CheckRate", "GradesReport", "grades"]


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
class GradesReport:
    """Scores per student and assignment, check pass rates, and where files went."""

    rows: tuple[dict[str, Any], ...]
    checks: tuple[CheckRate, ...]
    csv: str | None
    histogram: str | None

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
        }


def _rows(course: Course) -> list[dict[str, Any]]:
    from nbgrader.api import Gradebook, MissingEntry

    rows: list[dict[str, Any]] = []
    with Gradebook(course.db_url, course.course_id()) as gradebook:
        for assignment in sorted(gradebook.assignments, key=lambda a: a.name):
            for student in sorted(gradebook.students, key=lambda s: s.id):
                try:
                    submission = gradebook.find_submission(assignment.name, student.id)
                except MissingEntry:
                    continue
                rows.append(
                    {
                        "assignment": assignment.name,
                        "student": student.id,
                        "score": round(float(submission.score), 2),
                        "max_score": round(float(submission.max_score), 2),
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


def _check_rates(course: Course) -> list[CheckRate]:
    totals: dict[tuple[str, str], list[Any]] = {}
    for path in sorted(course.results.glob("*/*/*.json")):
        stored = read_json(path)
        if not isinstance(stored, dict):
            continue
        for check in stored.get("report", {}).get("checks", []):
            key = (str(stored.get("assignment")), str(check["check"]))
            entry = totals.setdefault(key, [bool(check.get("public", True)), 0, 0, 0.0, 0.0])
            entry[1] += 1
            entry[2] += int(bool(check["passed"]))
            entry[3] += float(check.get("cell_points_earned", 0.0))
            entry[4] = float(check.get("cell_points", 0.0))
    return [
        CheckRate(assignment, check, public, count, passed, round(points / count, 2), maximum)
        for (assignment, check), (public, count, passed, points, maximum) in sorted(totals.items())
    ]


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


def grades(*, course: Course, csv: Path | None = None, plot: bool = True) -> GradesReport:
    """Read the gradebook; write nbgrader's CSV export to ``csv`` and a histogram PNG."""
    rows = _rows(course)
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
    histogram = None
    if plot and rows:
        path = course.root / "grades" / "histogram.png"
        _histogram(rows, path)
        histogram = str(path)
    return GradesReport(tuple(rows), tuple(_check_rates(course)), csv_path, histogram)
