"""``mlip course demo``: a synthetic class of guards-toaster submissions, graded end to end.

The class mixes the reference solution, partial solutions, blank notebooks, a notebook that
loops forever and one that tries to read the instructor's files, so the demo shows scores,
partial credit, timeouts and the sandbox at work.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlip.notebooks import source_text
from mlip_autograder.autograde import AutogradeReport, autograde
from mlip_autograder.collect import collect
from mlip_autograder.course import (
    Course,
    default_sources,
    generate_feedback,
    init_course,
    release_assignment,
)
from mlip_autograder.grades import GradesReport, grades

__all__ = ["KINDS", "DemoReport", "make_submission", "run_demo"]

ASSIGNMENT = "guards-toaster"

#: The mix of a synthetic class, cycled through for as many students as asked.
KINDS = (
    "reference",
    "partial",
    "reference",
    "blank",
    "reference",
    "partial",
    "loop",
    "reference",
    "snoop",
    "reference",
)

_DEMO_TOML = """[sandbox]
wall_seconds = 60
cell_seconds = 10
call_seconds = 2

[autograde]
workers = 2
"""

_SNOOP = """import glob
found = []
for pattern in ("../source/*/*.ipynb", "../../source/*/*.ipynb", "../gradebook.db",
                "../mlip_secret_seed.txt", "/tmp/*", "SOURCES/*/*.ipynb"):
    found += glob.glob(pattern)
try:
    with open("../gradebook.db", "a") as gradebook:
        gradebook.write("hacked")
except OSError as error:
    print("cannot write the gradebook:", type(error).__name__)
print("found instructor files:", found)
"""

#: A partial solution: NaN, inf and negative predictions handled, huge ones not; no cutoff.
_PARTIAL = {
    "heating-guard": "import math\n\n\ndef heating_guard(predicted_seconds, readings):\n"
    "    if not math.isfinite(predicted_seconds) or predicted_seconds <= 0:\n"
    "        return 150.0\n    return predicted_seconds\n",
    "thermal-cutoff": "def thermal_cutoff(state):\n    return False\n",
}


def _solution_cells(source: dict[str, Any]) -> dict[str, str]:
    """grade_id -> the reference code (solution markers removed)."""
    solutions = {}
    for cell in source["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and cell["cell_type"] == "code":
            lines = source_text(cell).splitlines(keepends=True)
            kept = [
                line
                for line in lines
                if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")
            ]
            solutions[str(meta["grade_id"])] = "".join(kept)
    return solutions


def make_submission(kind: str, release: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    """A student's notebook of ``kind``: reference, partial, blank, loop or snoop."""
    notebook = json.loads(json.dumps(release))
    solutions = _solution_cells(source)
    solution_ids = sorted(solutions)
    for cell in notebook["cells"]:
        grade_id = str(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", ""))
        if grade_id not in solutions:
            continue
        if kind in ("reference", "loop", "snoop"):
            cell["source"] = solutions[grade_id]
        if kind == "partial" and grade_id in _PARTIAL:
            cell["source"] = _PARTIAL[grade_id]
        if kind == "loop" and grade_id == solution_ids[-1]:
            cell["source"] = "while True:\n    pass\n" + solutions[grade_id]
        if kind == "snoop" and grade_id == solution_ids[0]:
            snoop = _SNOOP.replace("SOURCES", str(default_sources()))  # the kit's solutions
            cell["source"] = snoop + solutions[grade_id]
    return notebook


@dataclass(frozen=True)
class DemoReport:
    """What the demo did and where to look."""

    course: str
    kinds: dict[str, str]
    autograde: AutogradeReport
    grades: GradesReport
    feedback_dir: str
    kept: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "course": self.course,
            "kinds": self.kinds,
            "autograde": self.autograde.to_dict(),
            "grades": self.grades.to_dict(),
            "feedback_dir": self.feedback_dir,
            "kept": self.kept,
        }


def run_demo(
    *,
    students: int = 30,
    workers: int = 2,
    directory: Path | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> DemoReport:
    """Build a course, release, collect a synthetic class, autograde, grade, write feedback."""
    root = directory or Path(tempfile.mkdtemp(prefix="mlip-demo-")) / "course"
    init_course(directory=root, assignments=(ASSIGNMENT,))
    course = Course(root.resolve())
    (course.root / "mlip_course.toml").write_text(_DEMO_TOML, encoding="utf-8")
    release_assignment(course=course, assignment_id=ASSIGNMENT)
    release = json.loads((course.root / "release" / ASSIGNMENT / "guards.ipynb").read_text())
    source = json.loads((course.source / ASSIGNMENT / "guards.ipynb").read_text())
    inbox = course.root.parent / f"{course.root.name}-inbox"
    inbox.mkdir(exist_ok=True)
    kinds: dict[str, str] = {}
    for number in range(students):
        kind = KINDS[number % len(KINDS)]
        student = f"student{number + 1:02d}"
        kinds[student] = kind
        notebook = make_submission(kind, release, source)
        (inbox / f"{student}_{kind}_guards.ipynb").write_text(json.dumps(notebook))
    collect(course=course, assignment_id=ASSIGNMENT, source=inbox)
    shutil.rmtree(inbox)
    graded = autograde(course=course, assignment_id=ASSIGNMENT, workers=workers, progress=progress)
    feedback = generate_feedback(course=course, assignment_id=ASSIGNMENT)
    report = grades(course=course, csv=course.root / "grades" / "grades.csv")
    feedback_dir = str(Path(feedback.files[0]).parents[2]) if feedback.files else ""
    return DemoReport(str(course.root), kinds, graded, report, feedback_dir, str(course.root))
