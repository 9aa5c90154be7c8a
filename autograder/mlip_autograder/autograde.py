"""Autograde a class: judge submissions in parallel, record grades in nbgrader, resumably.

Two stages per submission. (1) A worker process judges it (sandboxed notebook run + checks) and
stores the result atomically; workers run in parallel. (2) The main process runs nbgrader's own
``autograde`` for that student, whose :class:`~mlip_autograder.preprocessor.JudgePreprocessor`
reads the stored result, so nbgrader records every score; only this one process writes the
gradebook (SQLite transactions). A "done" marker, written atomically after stage 2, makes a
re-run skip the submission unless it changed or ``force`` is given; a run killed at any point
loses nothing that was already marked done and leaves no half-written record.

Stage 1 runs on a local process pool, or with ``scheduler`` on the workers of a Dask cluster
(:mod:`mlip_autograder.cluster`); stage 2 and every write stay in this process either way. Each
submission's job timestamps (queued, started on which worker, finished, recorded) are kept in
its done marker and in ``--json``.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlip.errors import UsageError
from mlip_autograder._config import CourseConfig, load_config
from mlip_autograder._cpus import claimed_cpu
from mlip_autograder._sandbox import WITHOUT_ISOLATION, detect_isolation
from mlip_autograder._store import read_json, write_json_atomic
from mlip_autograder.course import Course, nbgrader_api
from mlip_autograder.grading import WORKER_LOST, grade_submission, submission_fingerprint

__all__ = ["AutogradeReport", "SubmissionGrade", "autograde", "list_submissions"]

ProgressCallback = Callable[[int, int, str], None]
#: (student, fingerprint, summary) of each judged submission, in the order they finish.
Judged = Iterator[tuple[str, str, dict[str, Any]]]


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
    #: Unix times ``queued``, ``started``, ``finished``, ``recorded`` and the ``worker``.
    job: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "student": self.student,
            "status": self.status,
            "reason": self.reason,
            "score": self.score,
            "max_score": self.max_score,
            "skipped": self.skipped,
            "seconds": self.seconds,
            "job": self.job,
        }


@dataclass(frozen=True)
class AutogradeReport:
    """The outcome of one ``autograde`` run."""

    assignment: str
    isolation: str
    workers: int
    grades: tuple[SubmissionGrade, ...]
    seconds: float
    #: The Dask scheduler the judging ran on; None for the local process pool.
    scheduler: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "assignment": self.assignment,
            "isolation": self.isolation,
            "workers": self.workers,
            "executor": "dask" if self.scheduler else "local",
            "scheduler": self.scheduler,
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
    scheduler: str | None = None,
    progress: ProgressCallback | None = None,
    on_grade: Callable[[SubmissionGrade], None] | None = None,
) -> AutogradeReport:
    """Autograde every (or one) submission of ``assignment_id``; see the module docstring.

    ``scheduler`` (default: the course's ``[autograde] scheduler``; ``""`` for the local pool)
    judges on that Dask cluster; ``workers`` then does not apply. ``on_grade`` sees each
    recorded grade (the CLI's per-worker throughput).
    """
    started = time.monotonic()
    course.require_assignment(assignment_id)
    _require_released(course, assignment_id)
    config = load_config(course.root)
    workers = config.workers if workers is None else workers
    if workers < 1:
        raise UsageError("--workers must be at least 1")
    scheduler = (config.scheduler if scheduler is None else scheduler) or None
    _remove_stale_temporaries(course)
    students = list_submissions(course, assignment_id)
    if student is not None:
        if student not in students:
            raise UsageError(f"no submission of {assignment_id} by {student!r}")
        students = [student]
    # Fails closed before anything is graded: no jail (and no explicit opt-out), no grading.
    # On a cluster every worker is asked instead (this machine runs no student code then).
    isolation = None if scheduler else detect_isolation(setting=config.isolation).label
    grades: dict[str, SubmissionGrade] = {}
    pending: list[tuple[str, str]] = []
    for name in students:
        digest = submission_fingerprint(course.root, assignment_id, name)
        marker = read_json(_done_path(course, assignment_id, name))
        if (
            not force
            and isinstance(marker, dict)
            and marker.get("fingerprint") == digest
            and marker.get("status") != WORKER_LOST  # the cluster's failure: judge it again
        ):
            grades[name] = SubmissionGrade(
                name,
                str(marker["status"]),
                str(marker.get("reason", "")),
                float(marker["score"]),
                float(marker["max_score"]),
                skipped=True,
                job=marker.get("job"),
            )
        else:
            pending.append((name, digest))
    total = len(students)
    if progress is not None:
        progress(len(grades), total, f"autograding {assignment_id}")
    api = nbgrader_api(course) if pending else None

    def record_all(judged: Judged) -> None:
        for name, digest, summary in judged:
            grades[name] = _record(course, api, assignment_id, name, digest, summary)
            if progress is not None:
                progress(len(grades), total, f"{name}: {grades[name].status}")
            if on_grade is not None:
                on_grade(grades[name])

    if scheduler is None:
        record_all(_judge_locally(course, assignment_id, pending, workers, config, force))
    elif pending:
        from mlip_autograder.cluster import check_workers, connect, judge_on_cluster

        client = connect(scheduler)
        try:
            info = check_workers(client, scheduler, config.isolation)
            isolation, workers = info.isolation, info.threads
            record_all(
                judge_on_cluster(
                    client=client,
                    info=info,
                    course=course,
                    assignment_id=assignment_id,
                    pending=pending,
                    config=config,
                    force=force,
                )
            )
        finally:
            client.close()
    ordered = tuple(grades[name] for name in students)
    if isolation is None:  # nothing to judge on the cluster: what the course asks for
        isolation = WITHOUT_ISOLATION if config.isolation == "none" else "bubblewrap"
    return AutogradeReport(
        assignment_id, isolation, workers, ordered, time.monotonic() - started, scheduler
    )


def _judge_locally(
    course: Course,
    assignment_id: str,
    pending: list[tuple[str, str]],
    workers: int,
    config: CourseConfig,
    force: bool,
) -> Judged:
    """Stage 1 on a local process pool (spawned workers, each on a CPU of its own while
    there is one: see :mod:`mlip_autograder._cpus`)."""
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
    ) as pool:
        futures = {}
        for name, digest in pending:
            future = pool.submit(
                _judge_on_worker, str(course.root), assignment_id, name, force, config.pin_cpus
            )
            futures[future] = (name, digest, time.time())
        starved: list[tuple[str, str, float]] = []
        for future in concurrent.futures.as_completed(futures):
            name, digest, queued = futures[future]
            try:
                summary = future.result()
            except Exception as error:  # a dead worker is that submission's result, not ours
                summary = {
                    "status": "crash",
                    "reason": f"grading worker failed: {error}",
                    "seconds": 0.0,
                }
            if summary.get("starved") and workers > 1:
                starved.append((name, digest, queued))  # not final: re-run alone below
                continue
            summary["job"] = {"queued": round(queued, 3), **summary.get("job", {})}
            yield name, digest, summary
    # A time limit hit while the jail waited for a CPU (a neighbour's load) is not the
    # submission's fault: grade it again with nothing else running; that verdict is final.
    for name, digest, queued in starved:
        summary = grade_submission(str(course.root), assignment_id, name, True)
        summary["job"] = {"queued": round(queued, 3), **summary.get("job", {}), "rerun": "alone"}
        yield name, digest, summary


def _start_worker() -> None:
    """Worker start-up: die with the parent (a killed ``autograde`` leaves no worker, nor,
    through bwrap, any jail)."""
    from mlip_autograder._sandbox import die_with_parent

    die_with_parent()


def _judge_on_worker(
    root: str, assignment_id: str, student: str, force: bool, pin: bool | str = "auto"
) -> dict[str, Any]:
    """Worker task: :func:`grade_submission` on a CPU of its own while there is one
    (:func:`mlip_autograder._cpus.claimed_cpu`); the job record names it (``"cpu"``)."""
    with claimed_cpu(pin) as cpu:
        summary = grade_submission(root, assignment_id, student, force)
    if cpu is not None:
        summary.setdefault("job", {})["cpu"] = cpu
    return summary


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
    job = {**summary.get("job", {}), "recorded": round(time.time(), 3)}
    grade = SubmissionGrade(
        student,
        status,
        reason,
        score,
        max_score,
        seconds=float(summary.get("seconds", 0.0)),
        job=job,
    )
    write_json_atomic(
        _done_path(course, assignment_id, student),
        {"fingerprint": digest, **grade.to_dict()},
    )
    return grade
