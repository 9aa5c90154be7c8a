"""Grade one submitted notebook: reuse a stored judge result or compute and store one.

Shared by the parallel workers of ``mlip course autograde`` and by the nbgrader preprocessor, so
a result is computed once per submitted file (keyed by its SHA-256) whichever path asks first.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlip.errors import MlipError
from mlip_autograder._config import load_config
from mlip_autograder._execute import execute_notebook, is_kit_assignment
from mlip_autograder._notebook import (
    load_notebook,
    restore_locked_cells,
    source_text,
    tampering,
)
from mlip_autograder._sandbox import detect_isolation
from mlip_autograder._store import fingerprint, read_json, result_path, write_json_atomic
from mlip_autograder.course import Course
from mlip_autograder.judge import JudgeReport, invalid_report, judge_notebook, tampered_report

__all__ = ["RESULT_VERSION", "grade_notebook", "grade_submission", "submission_fingerprint"]

#: Bump when the meaning of stored results changes, so old ones are recomputed.
RESULT_VERSION = 2


class _Tampered(Exception):
    """Graded cells were duplicated or deleted (the message says which)."""


def _submitted(root: Path, assignment_id: str, student: str) -> Path:
    return root / "submitted" / student / assignment_id


def submission_fingerprint(root: Path, assignment_id: str, student: str) -> str:
    """One SHA-256 over every submitted notebook of a student (what "already graded" means)."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(_submitted(root, assignment_id, student).glob("*.ipynb")):
        digest.update(path.name.encode() + b"\0" + fingerprint(path).encode() + b"\0")
    return digest.hexdigest()


def _content_key(
    notebook: dict[str, Any], assignment_id: str, secret: str, limits: dict[str, Any]
) -> str:
    """What a judge result depends on: the code that runs, the assignment, secret and limits.

    Two byte-different notebooks with the same code (outputs, metadata, markdown aside) get the
    same result, so identical resubmissions and copies are judged once. Only clean results
    (status ``graded``) are shared; timeouts and crashes are always judged afresh.
    """
    import hashlib

    code = [[cell.get("cell_type"), source_text(cell)] for cell in notebook.get("cells", [])]
    payload = json.dumps([RESULT_VERSION, assignment_id, limits, code], sort_keys=True)
    return hashlib.sha256((secret + "\0" + payload).encode()).hexdigest()


def grade_notebook(
    *,
    root: Path,
    assignment_id: str,
    student: str,
    notebook_name: str,
    sanitized: Any = None,
    force: bool = False,
) -> JudgeReport:
    """The judge's report for ``submitted/STUDENT/ASSIGNMENT/NOTEBOOK.ipynb``.

    ``sanitized`` is nbgrader's sanitized copy when called from the preprocessor; otherwise the
    submitted file is read and its locked cells restored from ``source/``.
    """
    course = Course(root)
    submitted = _submitted(root, assignment_id, student) / f"{notebook_name}.ipynb"
    digest = fingerprint(submitted)
    store = result_path(course.results, assignment_id, student, notebook_name)
    stored = None if force else read_json(store)
    if (
        isinstance(stored, dict)
        and stored.get("fingerprint") == digest
        and stored.get("version") == RESULT_VERSION
    ):
        return JudgeReport.from_dict(stored["report"])
    config = load_config(root)
    isolation = detect_isolation(setting=config.isolation)
    try:
        source = load_notebook(root / "source" / assignment_id / f"{notebook_name}.ipynb")
        handed_in = (
            json.loads(json.dumps(sanitized)) if sanitized is not None else load_notebook(submitted)
        )
        tampered = tampering(handed_in, source)
        if tampered is not None:
            raise _Tampered(tampered, handed_in)
        # nbgrader's sanitized copy has its locked cells restored already
        notebook = handed_in if sanitized is not None else restore_locked_cells(handed_in, source)
        secret = course.secret()
        key = _content_key(notebook, assignment_id, secret, config.limits.to_dict())
        cached = read_json(course.root / ".mlip" / "cache" / f"{key}.json")
        if isinstance(cached, dict) and not force:
            report = JudgeReport.from_dict(cached)
        elif not is_kit_assignment(assignment_id):  # ordinary nbgrader work: run it, jailed
            report = execute_notebook(
                notebook, limits=config.limits, isolation=isolation, hide=[root]
            )
        else:
            report = judge_notebook(
                notebook,
                assignment_id=assignment_id,
                limits=config.limits,
                isolation=isolation,
                secret=secret,
                hide=[root],
                source=source,
            )
        if report.status == "graded" and (force or not isinstance(cached, dict)):
            write_json_atomic(course.root / ".mlip" / "cache" / f"{key}.json", report.to_dict())
    except _Tampered as error:
        report = tampered_report(str(error.args[0]), isolation.kind, error.args[1])
    except MlipError as error:
        report = invalid_report(str(error), isolation.kind)
    write_json_atomic(
        store,
        {
            "version": RESULT_VERSION,
            "fingerprint": digest,
            "assignment": assignment_id,
            "student": student,
            "notebook": notebook_name,
            "report": report.to_dict(),
        },
    )
    return report


def grade_submission(root: str, assignment_id: str, student: str, force: bool) -> dict[str, Any]:
    """Worker entry point: judge every notebook of one submission; returns a plain summary.

    Never raises: a problem becomes that submission's recorded status and reason.
    """
    course_root = Path(root)
    notebooks = sorted(
        path.stem for path in (course_root / "source" / assignment_id).glob("*.ipynb")
    )
    statuses: list[str] = []
    reasons: list[str] = []
    seconds = 0.0
    starved = False
    for name in notebooks:
        try:
            report = grade_notebook(
                root=course_root,
                assignment_id=assignment_id,
                student=student,
                notebook_name=name,
                force=force,
            )
        except Exception as error:  # a judge bug must not stop the batch
            report = invalid_report(f"grading failed: {type(error).__name__}: {error}")
        statuses.append(report.status)
        starved = starved or report.starved
        if report.reason:
            reasons.append(f"{name}: {report.reason}")
        seconds += report.seconds
    worst = next((status for status in statuses if status != "graded"), "graded")
    return {
        "student": student,
        "status": worst,
        "reason": "; ".join(reasons),
        "seconds": round(seconds, 3),
        "starved": starved,
    }
