"""Grade one submitted notebook: reuse a stored judge result or compute and store one.

Shared by the parallel workers of ``mlip course autograde`` and by the nbgrader preprocessor, so
a result is computed once per submitted file (keyed by its SHA-256) whichever path asks first.
"""

from __future__ import annotations

import json
import os
import socket
import time
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

__all__ = [
    "RESULT_VERSION",
    "WORKER_LOST",
    "Tampered",
    "cached_report",
    "content_key",
    "grade_notebook",
    "grade_submission",
    "notebook_names",
    "prepared_notebook",
    "run_notebook",
    "store_report",
    "stored_report",
    "submission_fingerprint",
    "summarize",
]

#: Bump when the meaning of stored results changes, so old ones are recomputed.
RESULT_VERSION = 2
#: The status of a submission whose cluster worker died every time it was tried (or never
#: answered within the task's wall limit). Not the student's fault: a re-run judges it again.
WORKER_LOST = "worker-lost"


class Tampered(Exception):
    """Graded cells were duplicated or deleted; ``report`` is the notebook's verdict."""

    def __init__(self, report: JudgeReport) -> None:
        super().__init__(report.reason)
        self.report = report


def _submitted(root: Path, assignment_id: str, student: str) -> Path:
    return root / "submitted" / student / assignment_id


def submission_fingerprint(root: Path, assignment_id: str, student: str) -> str:
    """One SHA-256 over every submitted notebook of a student (what "already graded" means)."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(_submitted(root, assignment_id, student).glob("*.ipynb")):
        digest.update(path.name.encode() + b"\0" + fingerprint(path).encode() + b"\0")
    return digest.hexdigest()


def content_key(
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


def notebook_names(root: Path, assignment_id: str) -> list[str]:
    """The notebooks of an assignment (one judge report per submitted notebook of each)."""
    return sorted(path.stem for path in (root / "source" / assignment_id).glob("*.ipynb"))


def stored_report(
    root: Path, assignment_id: str, student: str, notebook_name: str, *, lost: bool = False
) -> JudgeReport | None:
    """The stored report of the submitted file as it is now, if there is one to reuse.

    A ``worker-lost`` record says nothing about the submission (its cluster worker died), so it
    is reused only to record it (``lost``); a grading run judges that notebook again.
    """
    submitted = _submitted(root, assignment_id, student) / f"{notebook_name}.ipynb"
    stored = read_json(result_path(Course(root).results, assignment_id, student, notebook_name))
    if (
        isinstance(stored, dict)
        and stored.get("fingerprint") == fingerprint(submitted)
        and stored.get("version") == RESULT_VERSION
        and (lost or stored.get("report", {}).get("status") != WORKER_LOST)
    ):
        return JudgeReport.from_dict(stored["report"])
    return None


def prepared_notebook(
    root: Path,
    assignment_id: str,
    student: str,
    notebook_name: str,
    *,
    sanitized: Any = None,
    isolation: str = "none",
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(notebook, source)``: what runs (the submission with its locked cells restored from
    ``source/``, or nbgrader's ``sanitized`` copy, restored already) and the instructor's source.

    Raises :class:`Tampered` when graded cells were duplicated or deleted.
    """
    source = load_notebook(root / "source" / assignment_id / f"{notebook_name}.ipynb")
    if sanitized is not None:
        handed_in = json.loads(json.dumps(sanitized))
    else:
        handed_in = load_notebook(
            _submitted(root, assignment_id, student) / f"{notebook_name}.ipynb"
        )
    tampered = tampering(handed_in, source)
    if tampered is not None:
        raise Tampered(tampered_report(tampered, isolation, handed_in))
    notebook = handed_in if sanitized is not None else restore_locked_cells(handed_in, source)
    return notebook, source


def run_notebook(
    notebook: dict[str, Any], source: dict[str, Any], *, assignment_id: str, **judge: Any
) -> JudgeReport:
    """Judge a kit assignment's notebook; run any other (ordinary nbgrader work) in the jail.

    ``judge`` holds ``limits``, ``isolation``, ``hide`` and the hidden inputs (``secret`` or
    ``hidden_seeds``), as :func:`~mlip_autograder.judge.judge_notebook` takes them.
    """
    if not is_kit_assignment(assignment_id):
        return execute_notebook(
            notebook, limits=judge["limits"], isolation=judge["isolation"], hide=judge.get("hide")
        )
    return judge_notebook(notebook, assignment_id=assignment_id, source=source, **judge)


def cached_report(key: str, root: Path) -> JudgeReport | None:
    """A clean report of the same code under the same settings (see :func:`content_key`)."""
    cached = read_json(root / ".mlip" / "cache" / f"{key}.json")
    return JudgeReport.from_dict(cached) if isinstance(cached, dict) else None


def store_report(
    root: Path,
    assignment_id: str,
    student: str,
    notebook_name: str,
    report: JudgeReport,
    *,
    key: str | None = None,
    job: dict[str, Any] | None = None,
) -> None:
    """Record ``report`` for the submitted file (atomically), and share a clean one by ``key``.

    ``job`` (when and where a cluster judged it) is kept next to the report.
    """
    submitted = _submitted(root, assignment_id, student) / f"{notebook_name}.ipynb"
    if key is not None and report.status == "graded":
        write_json_atomic(root / ".mlip" / "cache" / f"{key}.json", report.to_dict())
    record: dict[str, Any] = {
        "version": RESULT_VERSION,
        "fingerprint": fingerprint(submitted),
        "assignment": assignment_id,
        "student": student,
        "notebook": notebook_name,
        "report": report.to_dict(),
    }
    if job is not None:
        record["job"] = job
    write_json_atomic(
        result_path(Course(root).results, assignment_id, student, notebook_name), record
    )


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
    stored = (
        None
        if force
        else stored_report(root, assignment_id, student, notebook_name, lost=sanitized is not None)
    )
    if stored is not None:
        return stored
    config = load_config(root)
    isolation = detect_isolation(setting=config.isolation)
    key = None
    try:
        notebook, source = prepared_notebook(
            root,
            assignment_id,
            student,
            notebook_name,
            sanitized=sanitized,
            isolation=isolation.kind,
        )
        secret = course.secret()
        key = content_key(notebook, assignment_id, secret, config.limits.to_dict())
        cached = None if force else cached_report(key, course.root)
        if cached is not None:
            report, key = cached, None  # already shared
        else:
            report = run_notebook(
                notebook,
                source,
                assignment_id=assignment_id,
                limits=config.limits,
                isolation=isolation,
                secret=secret,
                hide=[root],
            )
    except Tampered as tampered:
        report = tampered.report
    except MlipError as error:
        report = invalid_report(str(error), isolation.kind)
    store_report(root, assignment_id, student, notebook_name, report, key=key)
    return report


def summarize(student: str, reports: dict[str, JudgeReport]) -> dict[str, Any]:
    """One submission's plain summary from its notebooks' reports: the worst status first."""
    statuses = [report.status for report in reports.values()]
    reasons = [f"{name}: {report.reason}" for name, report in reports.items() if report.reason]
    worst = next((status for status in statuses if status != "graded"), "graded")
    return {
        "student": student,
        "status": worst,
        "reason": "; ".join(reasons),
        "seconds": round(sum(report.seconds for report in reports.values()), 3),
        # A time limit hit while the jail waited for a CPU: re-judged alone before it counts.
        "starved": any(report.starved for report in reports.values()),
    }


def grade_submission(root: str, assignment_id: str, student: str, force: bool) -> dict[str, Any]:
    """Worker entry point: judge every notebook of one submission; returns a plain summary.

    Never raises: a problem becomes that submission's recorded status and reason. The summary's
    ``job`` says where and when it ran (see ``autograde``'s job timestamps).
    """
    started = time.time()
    course_root = Path(root)
    reports: dict[str, JudgeReport] = {}
    for name in notebook_names(course_root, assignment_id):
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
        reports[name] = report
    summary = summarize(student, reports)
    summary["job"] = {
        "worker": f"local:{socket.gethostname()}:{os.getpid()}",
        "started": round(started, 3),
        "finished": round(time.time(), 3),
    }
    return summary
