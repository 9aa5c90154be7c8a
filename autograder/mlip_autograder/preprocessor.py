"""The nbgrader preprocessor that replaces in-kernel execution during ``autograde``.

nbgrader's ``autograde`` normally runs the notebook in a Jupyter kernel in the grader's own
machine account. This preprocessor takes the place of that ``Execute`` step: it asks the trusted
judge for the notebook's outputs (student cells executed in the sandbox; system-check cells
filled with the judge's verdicts: an error means zero, a number is partial credit) and writes
them into the cells, so nbgrader's ``SaveAutoGrades`` records every score in the gradebook as
usual. ``mlip course autograde`` computes results in parallel first; this step then only reads
them. Plain ``nbgrader autograde`` also works: results are then computed here, one by one.

Assignments the judge does not know (ordinary nbgrader homework in the same course) are not
judged but executed, in the same jail: every code cell runs in the sandbox and nbgrader scores
their test cells from those outputs (:mod:`mlip_autograder._execute`). Student code never runs
in the grader's own account, for either kind.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nbformat import from_dict
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

__all__ = ["JudgePreprocessor", "PendingHandGrading", "apply_report", "register"]


#: The note that opens the autograded notebook (and so the feedback page) when the student's code
#: ran outside a jail because the course opted out.
UNJAILED_NOTE = (
    '**Graded without isolation.** This course grades with `isolation = "none"`: the code '
    "in this notebook ran as an ordinary process, not in the autograder's jail."
)


def apply_report(nb: Any, report: Any) -> None:
    """Write the judge's outputs into the notebook's cells (matched by index)."""
    count = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        count += 1
        outputs = report.cells.get(index)
        cell.outputs = [from_dict(output) for output in outputs] if outputs else []
        cell.execution_count = count
        for output in cell.outputs:
            if output.output_type == "execute_result":
                output.execution_count = count
    if report.isolation == "process":
        from nbformat.v4 import new_markdown_cell

        nb.cells.insert(0, new_markdown_cell(UNJAILED_NOTE))


class JudgePreprocessor(NbGraderPreprocessor):
    """Fill a notebook's outputs from the judge instead of executing it in a kernel."""

    course_root = Unicode("", help="Root folder of the course (default: current folder).").tag(
        config=True
    )

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        from mlip_autograder.grading import grade_notebook

        info = resources["nbgrader"]
        root = Path(self.course_root or os.getcwd())
        report = grade_notebook(
            root=root,
            assignment_id=str(info["assignment"]),
            student=str(info["student"]),
            notebook_name=str(info["notebook"]),
            sanitized=nb,
        )
        apply_report(nb, report)
        _add_late_note(nb, root, str(info["assignment"]), str(info["student"]))
        return nb, resources


def _add_late_note(nb: Any, root: Path, assignment_id: str, student: str) -> None:
    """Open a late submission's notebook (and so its feedback) with what lateness cost."""
    from nbformat.v4 import new_markdown_cell

    from mlip_autograder._config import late_policy
    from mlip_autograder.late import late_note, lateness, submission_time

    result = lateness(
        late_policy(root, assignment_id), submission_time(root, assignment_id, student), 1.0
    )
    if result.seconds_late > 0:
        nb.cells.insert(0, new_markdown_cell(late_note(result)))


#: The note under a hand-graded part that nobody has graded yet (in the feedback).
PENDING_NOTE = (
    "**Pending:** this part ({points:g} point(s)) is graded by hand and has not been graded "
    "yet; the score above does not include it."
)


class PendingHandGrading(NbGraderPreprocessor):
    """Feedback step after nbgrader's ``GetGrades``: a hand-graded part without a score says
    "pending" instead of showing as zero points."""

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        from nbformat.v4 import new_markdown_cell
        from nbgrader.api import Gradebook, MissingEntry

        info = resources["nbgrader"]
        cells = []
        with Gradebook(info["db_url"]) as gradebook:
            for cell in nb.cells:
                cells.append(cell)
                meta = cell.get("metadata", {}).get("nbgrader", {})
                if not (meta.get("grade") or meta.get("task")) or "grade_id" not in meta:
                    continue
                try:
                    grade = gradebook.find_grade(
                        meta["grade_id"], info["notebook"], info["assignment"], info["student"]
                    )
                except MissingEntry:
                    continue
                if grade.needs_manual_grade:
                    points = float(meta.get("points", 0) or 0)
                    cells.append(new_markdown_cell(PENDING_NOTE.format(points=points)))
        nb.cells = cells
        return nb, resources


def register(config: Any) -> None:
    """Put :class:`JudgePreprocessor` in place of nbgrader's ``Execute`` in ``config``, and
    :class:`~mlip_autograder.late.MlipLatePenalties` (the course's late policy) in place of
    ``AssignLatePenalties``."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        IgnorePattern,
        LimitOutput,
        SaveAutoGrades,
    )

    from mlip_autograder._inert import make_inert, sanitizer_class
    from mlip_autograder.late import MlipLatePenalties

    # Feedback pages, and the autograded copies formgrader shows, are inert; hand-graded parts
    # not graded yet say "pending" on them.
    make_inert(config, graded=[PendingHandGrading])
    config.Autograde.autograde_preprocessors = [
        JudgePreprocessor,
        sanitizer_class(),
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        SaveAutoGrades,
        MlipLatePenalties,
        CheckCellMetadata,
    ]
    root = config.CourseDirectory.get("root") if "CourseDirectory" in config else None
    if root:
        config.JudgePreprocessor.course_root = str(root)
        config.MlipLatePenalties.course_root = str(root)
