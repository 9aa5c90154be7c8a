"""The nbgrader preprocessor that replaces in-kernel execution during ``autograde``.

nbgrader's ``autograde`` normally runs the notebook in a Jupyter kernel in the grader's own
machine account. This preprocessor takes the place of that ``Execute`` step: it asks the trusted
judge for the notebook's outputs (student cells executed in the sandbox; system-check cells
filled with the judge's verdicts: an error means zero, a number is partial credit) and writes
them into the cells, so nbgrader's ``SaveAutoGrades`` records every score in the gradebook as
usual. ``mlip course autograde`` computes results in parallel first; this step then only reads
them. Plain ``nbgrader autograde`` also works: results are then computed here, one by one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nbformat import from_dict
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

__all__ = ["JudgePreprocessor", "apply_report", "register"]


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
        return nb, resources


def register(config: Any) -> None:
    """Put :class:`JudgePreprocessor` in place of nbgrader's ``Execute`` in ``config``."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        IgnorePattern,
        LimitOutput,
        SaveAutoGrades,
    )

    from mlip_autograder._inert import make_inert, sanitizer_class

    make_inert(config)  # feedback pages, and the autograded copies formgrader shows, are inert
    config.Autograde.autograde_preprocessors = [
        JudgePreprocessor,
        sanitizer_class(),
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadata,
    ]
    root = config.CourseDirectory.get("root") if "CourseDirectory" in config else None
    if root:
        config.JudgePreprocessor.course_root = str(root)
