"""nbgrader's ``Execute`` for assignments that are not the kit's, run in the same jail.

A course made by ``mlip course init`` may also hold ordinary nbgrader homework (``hw0``: answer
cells and ``assert`` test cells, no system checks). The judge has nothing to decide there, but
the student's code must still never run in the grader's own account: every code cell runs in
the sandboxed child (:class:`~mlip_autograder._sandbox.SandboxedNotebook`, same jail, limits and
fail-closed isolation as the judge), and its outputs and errors are written into the cells.
nbgrader's ``SaveAutoGrades`` then scores the test cells exactly as after its own ``Execute``:
an error is zero, no error is full points.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from mlip_autograder._config import Limits
from mlip_autograder._sandbox import ChildFailure, Isolation, SandboxedNotebook
from mlip_autograder.judge import JudgeReport, mark_not_run, notebook_run_verdict

__all__ = ["execute_notebook", "is_kit_assignment"]


def is_kit_assignment(assignment_id: str) -> bool:
    """Whether the judge knows ``assignment_id`` (the ``mlip.assignments`` catalogue, including
    assignments a course's own package registers); anything else is ordinary nbgrader work."""
    from mlip.assignments import assignment_ids

    return assignment_id in assignment_ids()


def execute_notebook(
    notebook: dict[str, Any],
    *,
    limits: Limits,
    isolation: Isolation,
    hide: list[Path] | None = None,
) -> JudgeReport:
    """Run every code cell of ``notebook`` in the sandbox; a report with outputs, no checks.

    A child that dies or hangs stops the run: cells it did not reach show a ``NotRun`` error
    (so their tests score zero), and the status says why, as for kit assignments.
    """
    started = time.monotonic()
    sandbox = SandboxedNotebook(notebook, limits, isolation, hide=hide or [])
    status, reason = "graded", ""
    try:
        try:
            sandbox.start()
        except ChildFailure as failure:
            status, reason = failure.kind, str(failure)
        outputs: dict[int, list[dict[str, Any]]] = dict(sandbox.outputs)
    finally:
        sandbox.close()
    status, reason = notebook_run_verdict(outputs, status, reason, limits)
    mark_not_run(notebook, outputs, status, reason)
    return JudgeReport(
        status=status,
        reason=reason,
        cells=outputs,
        checks=(),
        isolation=isolation.kind,
        seconds=time.monotonic() - started,
    )
