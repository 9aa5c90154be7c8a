"""Autograde a class: judge submissions in parallel, record grades in nbgrader, resumably.

Two stages per submission. (1) A worker process judges it (sandboxed notebook run + checks) and
stores the result atomically; workers run in parallel. (2) The main process runs nbgrader's own
``autograde`` for that student, whose :class:`~mlip_autograder.preprocessor.JudgePreprocessor`
reads the stored result, so nbgrader records every score; only this one process writes the
gradebook (SQLite transactions). A "done" marker, written atomically after stage 2, makes a
re-run skip the submission unless it changed or ``force`` is given; a run killed at any point
loses nothing that was already marked done and leaves no half-written record.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlip.errors import UsageError
from mlip_autograder._config import load_config
from mlip_autograder._sandbox import detect_isolation
from mlip_autograder._store import read_json, write_json_atomic
from mlip_autograder.course import Course, nbgrader_api
from mlip_autograder.grading import grade_submission, submission_fingerprint

__all__ = ["AutogradeReport", "SubmissionGrade", "autograde", "list_submissions"]

ProgressCallback = Callable[[int, int, str], None]


@dataclass(frozen=True)
class SubmissionGrade:
    """How one submission ended: a score, and a status with a reason when it was not clean."""

    student: str
    status: str
    reason: str
    score: float
    max_score: float
    skipped: bool = False
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "student": self.student,
            "status": self.status,
            "reason": self.reason,
            "score": self.score,
            "max_score": self.max_score,
            "skipped": self.skipped,
            "seconds": self.seconds,
        }


@dataclass(frozen=True)
class AutogradeReport:
    """The outcome of one ``autograde`` run."""

    assignment: str
    isolation: str
    workers: int
    grades: tuple[SubmissionGrade, ...]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "assignment": self.assignment,
            "isolation": self.isolation,
            "workers": self.workers,
            "seconds": round(self.seconds, 3),
            "grades": [grade.to_dict() for grade in self.grades],
        }


def list_submissions(course: Course, assignment_id: str) -> list[str]:
    """Students with a submission folder for ``assignment_id``, sorted."""
    submitted = course.root / "submitted"
    if not submitted.is_dir():
        return []
    return sorted(path.name for path in submitted.iterdir() if (path / assignment_id).is_dir())


def _done_path(course: Course, assignment_id: str, student: str) -> Path:
    return course.root / ".mlip" / "done" / assignment_id / f"{student}.json"


def _gradebook_score(course: Course, assignment_id: str, student: str) -> tuple[float, float]:
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(course.db_url, course.course_id()) as gradebook:
        try:
            submission = gradebook.find_submission(assignment_id, student)
        except MissingEntry:
            return 0.0, 0.0
        return round(float(submission.score), 2), round(float(submission.max_score), 2)


def _record_zero(course: Course, assignment_id: str, student: str) -> None:
    """Give every graded cell of an ungradable submission zero points (as nbgrader does for a
    missing notebook), so the gradebook holds a result for it."""
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url, course.course_id()) as gradebook:
        gradebook.update_or_create_student(student)
        submission = gradebook.update_or_create_submission(assignment_id, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                grade.auto_score = 0
                grade.needs_manual_grade = False
        gradebook.db.commit()


def _remove_stale_temporaries(course: Course) -> None:
    """Temp files of a run killed mid-write never became records; delete them."""
    for path in (course.root / ".mlip").glob("**/.*.json.*"):
        path.unlink(missing_ok=True)


def _require_released(course: Course, assignment_id: str) -> None:
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(course.db_url, course.course_id()) as gradebook:
        try:
            gradebook.find_assignment(assignment_id)
        except MissingEntry:
            raise UsageError(
                f"{assignment_id} is not in the gradebook yet; run `mlip course release "
                f"{assignment_id}` first"
            ) from None


def autograde(
    *,
    course: Course,
    assignment_id: str,
    workers: int | None = None,
    student: str | None = None,
    force: bool = False,
    progress: ProgressCallback | None = None,
) -> AutogradeReport:
    """Autograde every (or one) submission of ``assignment_id``; see the module docstring."""
    started = time.monotonic()
    course.require_assignment(assignment_id)
    _require_released(course, assignment_id)
    config = load_config(course.root)
    workers = config.workers if workers is None else workers
    if workers < 1:
        raise UsageError("--workers must be at least 1")
    _remove_stale_temporaries(course)
    students = list_submissions(course, assignment_id)
    if student is not None:
        if student not in students:
            raise UsageError(f"no submission of {assignment_id} by {student!r}")
        students = [student]
    # Fails closed before anything is graded: no jail (and no explicit opt-out), no grading.
    isolation = detect_isolation(setting=config.isolation)
    grades: dict[str, SubmissionGrade] = {}
    pending: list[tuple[str, str]] = []
    for name in students:
        digest = submission_fingerprint(course.root, assignment_id, name)
        marker = read_json(_done_path(course, assignment_id, name))
        if not force and isinstance(marker, dict) and marker.get("fingerprint") == digest:
            grades[name] = SubmissionGrade(
                name,
                str(marker["status"]),
                str(marker.get("reason", "")),
                float(marker["score"]),
                float(marker["max_score"]),
                skipped=True,
            )
        else:
            pending.append((name, digest))
    total = len(students)
    if progress is not None:
        progress(len(grades), total, f"autograding {assignment_id}")
    api = nbgrader_api(course) if pending else None
    context = multiprocessing.get_context("spawn")
    slots = context.Value("i", 0)
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_pin_worker,
        initargs=(slots if config.pin_cpus else None,),
    ) as pool:
        futures = {
            pool.submit(grade_submission, str(course.root), assignment_id, name, force): (
                name,
                digest,
            )
            for name, digest in pending
        }
        starved: list[tuple[str, str]] = []
        for future in concurrent.futures.as_completed(futures):
            name, digest = futures[future]
            try:
                summary = future.result()
            except Exception as error:  # a dead worker is that submission's result, not ours
                summary = {
                    "status": "crash",
                    "reason": f"grading worker failed: {error}",
                    "seconds": 0.0,
                }
            if summary.get("starved") and workers > 1:
                starved.append((name, digest))  # not final: re-run alone below
                continue
            grades[name] = _record(course, api, assignment_id, name, digest, summary)
            if progress is not None:
                progress(len(grades), total, f"{name}: {grades[name].status}")
    # A time limit hit while the jail waited for a CPU (a neighbour's load) is not the
    # submission's fault: grade it again with nothing else running; that verdict is final.
    for name, digest in starved:
        summary = grade_submission(str(course.root), assignment_id, name, True)
        grades[name] = _record(course, api, assignment_id, name, digest, summary)
        if progress is not None:
            progress(len(grades), total, f"{name}: {grades[name].status} (re-run alone)")
    ordered = tuple(grades[name] for name in students)
    return AutogradeReport(
        assignment_id, isolation.label, workers, ordered, time.monotonic() - started
    )


def _pin_worker(slots: Any) -> None:
    """Worker start-up: die with the parent; take the next worker slot and stay on that slot's
    CPU (None: don't).

    The sandboxes this worker starts inherit the CPU. A judge and its sandbox take turns, so
    sharing a CPU costs them nothing, while a wake-up on another CPU costs far more than a
    small batch of calls (measured in the autograde benchmark). Where the system has no CPU
    affinity (macOS, Windows) this does nothing.
    """
    from mlip_autograder._sandbox import die_with_parent

    die_with_parent()  # a killed `autograde` leaves no worker (nor, through bwrap, any jail)
    if slots is None or not hasattr(os, "sched_setaffinity"):
        return
    with slots.get_lock():
        index = int(slots.value)
        slots.value += 1
    try:
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[index % len(cpus)]})
    except OSError:  # a restricted container: grading works, only slower
        pass


def _record(
    course: Course,
    api: Any,
    assignment_id: str,
    student: str,
    digest: str,
    summary: dict[str, Any],
) -> SubmissionGrade:
    status, reason = str(summary["status"]), str(summary.get("reason", ""))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbgrader's own SQLAlchemy warnings are noise here
        result = api.autograde(assignment_id, student, force=True, create=True)
    if not result.get("success"):
        _record_zero(course, assignment_id, student)
        if status == "graded":
            status, reason = "invalid", "nbgrader could not autograde this submission"
    score, max_score = _gradebook_score(course, assignment_id, student)
    grade = SubmissionGrade(
        student, status, reason, score, max_score, seconds=float(summary.get("seconds", 0.0))
    )
    write_json_atomic(
        _done_path(course, assignment_id, student),
        {"fingerprint": digest, **grade.to_dict()},
    )
    return grade
