"""Judge on a Dask cluster: the judging stage of ``autograde`` on ``dask worker`` processes.

The client (the instructor's ``mlip course autograde --scheduler tcp://HOST:8786``) keeps
everything that writes: the result store, the content cache, nbgrader's gradebook and the done
markers, exactly as with local workers. A task carries all a worker needs, so nothing assumes a
shared file system: the submission's notebooks with their locked cells restored, the limits,
the course's isolation setting and the hidden checks' scenario seeds (derived from the secret;
the secret itself never leaves the client). A worker judges in a local process of its own (a
jail per notebook, as on one machine) and returns plain JSON reports.

Failures: a worker that dies mid-task is the scheduler's to retry elsewhere, at most
``distributed.scheduler.allowed-failures`` times (Dask's default: 3); after that, or when a
task's wall limit passes without an answer, the submission is recorded once as ``worker-lost``
(zero points, a reason naming the worker) and the next run judges it again.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import multiprocessing
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlip.errors import MlipError, UsageError
from mlip_autograder._config import CourseConfig, Limits
from mlip_autograder.course import Course
from mlip_autograder.grading import (
    WORKER_LOST,
    Tampered,
    cached_report,
    content_key,
    notebook_names,
    prepared_notebook,
    run_notebook,
    store_report,
    stored_report,
    summarize,
)
from mlip_autograder.judge import JudgeReport, invalid_report

__all__ = [
    "TASK_PREFIX",
    "ClusterInfo",
    "check_workers",
    "connect",
    "judge_on_cluster",
    "judge_task",
]

#: Dask task keys start with this, then the student (``client.processing()`` shows them).
TASK_PREFIX = "mlip-judge"
#: Retries of a task whose judge process broke on a live worker (a worker's death is counted
#: by the scheduler's ``allowed-failures`` instead).
TASK_RETRIES = 2
#: Seconds a task may take beyond its notebooks' sandbox wall limits (start-up, imports).
TASK_MARGIN_SECONDS = 60.0
INSTALL_HINT = "pip install 'mlip-autograder[cluster]'"


def task_seconds(limits: Limits, notebooks: int) -> float:
    """The wall limit of one task: each notebook's run and judge calls, plus a margin."""
    return notebooks * (2 * limits.wall_seconds + TASK_MARGIN_SECONDS)


@dataclass(frozen=True)
class ClusterInfo:
    """What the client learnt about the cluster before grading."""

    scheduler: str
    workers: dict[str, int]  # worker address -> threads
    isolation: str  # what every worker reports: its label in reports ("bubblewrap", ...)
    kind: str  # and its kind in judge reports ("bubblewrap" or "process")

    @property
    def threads(self) -> int:
        return sum(self.workers.values())


# --- worker side -------------------------------------------------------------------------------

_pool_lock = threading.Lock()
_pool: list[concurrent.futures.ProcessPoolExecutor] = []


def _judge_pool(size: int) -> concurrent.futures.ProcessPoolExecutor:
    """This worker's judge processes (started once, reused by every task).

    The judge runs in a single-threaded process of its own, as with local workers: starting a
    jail from a thread of the multi-threaded Dask worker is not safe, and a judge that outlives
    its task's wall limit can be killed without killing the worker.
    """
    from mlip_autograder.autograde import _start_worker

    with _pool_lock:
        if not _pool:
            _pool.append(
                concurrent.futures.ProcessPoolExecutor(
                    max_workers=max(size, 1),
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker,
                )
            )
        return _pool[0]


@contextlib.contextmanager
def _children_allowed() -> Iterator[None]:
    """Let a daemonic process start the judge process (within the ``with`` only).

    Dask's nanny starts its worker as a daemonic process, and multiprocessing refuses to start
    children from one, as a daemon cannot wait for them when it is killed. The judge process
    never outlives its worker: it reads its work from a pipe the worker holds, and its
    initializer (``_start_worker``) is where the local workers, too, learn to die with their
    parent. The flag is restored at once, under the pool lock.
    """
    config = multiprocessing.current_process()._config  # type: ignore[attr-defined]
    daemon = config.get("daemon")
    config["daemon"] = False
    try:
        yield
    finally:
        if daemon is not None:
            config["daemon"] = daemon


def _submit(
    pool: concurrent.futures.ProcessPoolExecutor, task: dict[str, Any]
) -> concurrent.futures.Future[dict[str, Any]]:
    """Submit to the judge pool (which starts its processes on submit: see above)."""
    with _pool_lock, _children_allowed():
        return pool.submit(_judge_notebooks, task)


def _discard_pool(pool: concurrent.futures.ProcessPoolExecutor) -> None:
    """Kill a pool whose judge hung or died; the next task starts a fresh one."""
    with _pool_lock:
        if _pool and _pool[0] is pool:
            _pool.clear()
    processes = list(getattr(pool, "_processes", {}).values())  # no public way to kill them
    for process in processes:
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def _judge_notebooks(task: dict[str, Any]) -> dict[str, Any]:
    """In the worker's judge process: every notebook of the task, as plain reports, judged on
    a CPU of its own while this host has one unclaimed (as local workers do); ``{"reports":
    {notebook: report}, "cpu": N or None}``."""
    from mlip_autograder._cpus import claimed_cpu
    from mlip_autograder._sandbox import detect_isolation

    isolation = detect_isolation(setting=task["isolation"])  # fails closed on this host too
    with claimed_cpu(task.get("pin_cpus", "auto")) as cpu:
        return {"reports": _judge_each(task, isolation), "cpu": cpu}


def _judge_each(task: dict[str, Any], isolation: Any) -> dict[str, Any]:
    """Each notebook of the task judged; a judge bug is that notebook's verdict."""
    limits = Limits(**task["limits"])
    reports: dict[str, Any] = {}
    for name, notebook in task["notebooks"].items():
        try:
            report = run_notebook(
                notebook,
                task["sources"][name],
                assignment_id=task["assignment"],
                limits=limits,
                isolation=isolation,
                hidden_seeds=task["hidden_seeds"],
                hide=[Path(path) for path in task["hide"] if Path(path).exists()],
            )
        except Exception as error:  # a judge bug is that notebook's verdict, not the task's
            report = invalid_report(f"grading failed: {type(error).__name__}: {error}")
        reports[name] = report.to_dict()
    return reports


def judge_task(task: dict[str, Any]) -> dict[str, Any]:
    """A Dask task: judge one submission on this worker; plain data in, plain data out.

    Returns ``{"reports": {notebook: report}, "job": {...}}``, or ``{"lost": reason, ...}``
    when the judge outlived the task's wall limit (it is killed, the worker keeps serving).
    """
    from distributed import get_worker

    started = time.time()
    worker = get_worker()
    pool = _judge_pool(worker.state.nthreads)
    job = {"worker": worker.address, "host": socket.gethostname(), "started": round(started, 3)}
    future = _submit(pool, task)
    try:
        judged = future.result(timeout=float(task["seconds"]))
    except concurrent.futures.TimeoutError:
        _discard_pool(pool)
        return {
            "lost": f"no result within the task's wall limit of {task['seconds']:g} s on "
            f"{worker.address}",
            "job": {**job, "finished": round(time.time(), 3)},
        }
    except concurrent.futures.process.BrokenProcessPool as error:
        _discard_pool(pool)
        raise RuntimeError(f"the judge process on {worker.address} died: {error}") from None
    if judged.get("cpu") is not None:
        job["cpu"] = judged["cpu"]
    return {"reports": judged["reports"], "job": {**job, "finished": round(time.time(), 3)}}


def _probe(setting: str) -> dict[str, Any]:
    """On each worker before grading: versions and whether a jail works there."""
    import mlip
    import mlip_autograder
    from mlip_autograder._sandbox import detect_isolation

    try:
        jail = detect_isolation(setting=setting)
        isolation: str | None = jail.label
        kind, problem = jail.kind, ""
    except MlipError as error:
        isolation, kind, problem = None, "", str(error)
    return {
        "mlip": getattr(mlip, "__version__", "?"),
        "mlip_autograder": mlip_autograder.__version__,
        "isolation": isolation,
        "kind": kind,
        "problem": problem,
        "pid": os.getpid(),
    }


# --- client side -------------------------------------------------------------------------------


def connect(address: str, *, timeout: float = 10.0) -> Any:
    """A Dask client of the scheduler at ``address`` (a clear error when it cannot be reached)."""
    try:
        from distributed import Client
    except ImportError:
        raise UsageError(
            f"--scheduler needs Dask on this machine and on every worker: {INSTALL_HINT}"
        ) from None
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as error:
        raise UsageError(f"cannot reach the Dask scheduler at {address}: {error}") from None


def check_workers(client: Any, address: str, setting: str) -> ClusterInfo:
    """Refuse before grading when a worker differs: versions, a missing jail, no workers."""
    import mlip
    import mlip_autograder

    try:
        client.wait_for_workers(1, timeout=60)
    except TimeoutError:
        raise UsageError(f"no Dask workers joined the scheduler at {address} within 60 s") from None
    try:
        probes = client.run(_probe, setting)
    except Exception as error:  # e.g. a worker without mlip-autograder cannot even load _probe
        raise UsageError(
            f"a Dask worker cannot run the judge ({type(error).__name__}: {error}); install "
            f"the same mlip-kit and mlip-autograder on every worker ({INSTALL_HINT})"
        ) from None
    mine = (getattr(mlip, "__version__", "?"), mlip_autograder.__version__)
    for worker, probe in sorted(probes.items()):
        if (probe["mlip"], probe["mlip_autograder"]) != mine:
            raise UsageError(
                f"worker {worker} runs mlip-kit {probe['mlip']} / mlip-autograder "
                f"{probe['mlip_autograder']}, this machine {mine[0]} / {mine[1]}: grades must "
                "come from the same judge; install the same versions everywhere"
            )
        if probe["isolation"] is None:
            raise UsageError(f"worker {worker}: {probe['problem']}")
    labels = sorted({probe["isolation"] for probe in probes.values()})
    kinds = sorted({probe["kind"] for probe in probes.values()})
    threads = {
        address: int(info.get("nthreads", 1))
        for address, info in client.scheduler_info()["workers"].items()
    }
    return ClusterInfo(address, threads, "/".join(labels), "/".join(kinds))


def _lost_report(notebook: dict[str, Any] | None, reason: str, isolation: str) -> JudgeReport:
    """Zero on every graded cell, saying why (nbgrader records it like a crashed run)."""
    from mlip_autograder._notebook import grade_cells

    error = {"output_type": "error", "ename": "WorkerLost", "evalue": reason, "traceback": []}
    error["traceback"] = [f"WorkerLost: {reason}"]
    cells = {index: [dict(error)] for index in grade_cells(notebook)} if notebook else {}
    return JudgeReport(WORKER_LOST, reason, cells, (), isolation)


@dataclass
class _Submission:
    """One submission on its way through the cluster (client side)."""

    student: str
    digest: str
    reports: dict[str, JudgeReport]
    notebooks: dict[str, dict[str, Any]]  # still to judge on a worker
    sources: dict[str, dict[str, Any]]  # their instructor sources (judge-side unit tests)
    keys: dict[str, str]
    queued: float = 0.0
    deadline: float = 0.0


def _prepare(
    course: Course, assignment_id: str, student: str, digest: str, config: CourseConfig,
    secret: str, force: bool, isolation: str,
) -> _Submission:  # fmt: skip
    """What the client can settle itself (stored and cached reports, unreadable files)."""
    submission = _Submission(student, digest, {}, {}, {}, {})
    for name in notebook_names(course.root, assignment_id):
        stored = None if force else stored_report(course.root, assignment_id, student, name)
        if stored is not None:
            submission.reports[name] = stored
            continue
        try:
            notebook, source = prepared_notebook(
                course.root, assignment_id, student, name, isolation=isolation
            )
        except (MlipError, Tampered) as error:
            report = (
                error.report
                if isinstance(error, Tampered)
                else invalid_report(str(error), isolation)
            )
            store_report(course.root, assignment_id, student, name, report)
            submission.reports[name] = report
            continue
        key = content_key(notebook, assignment_id, secret, config.limits.to_dict())
        cached = None if force else cached_report(key, course.root)
        if cached is not None:
            store_report(course.root, assignment_id, student, name, cached)
            submission.reports[name] = cached
            continue
        submission.notebooks[name] = notebook
        submission.sources[name] = source
        submission.keys[name] = key
    return submission


def judge_on_cluster(
    *,
    client: Any,
    info: ClusterInfo,
    course: Course,
    assignment_id: str,
    pending: list[tuple[str, str]],
    config: CourseConfig,
    force: bool,
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Judge ``pending`` (student, fingerprint) on the cluster; yield each summary as it ends.

    Reports are in the result store before a summary is yielded; the caller records them in
    the gradebook. At most two tasks per worker thread are in flight, so a task's wall limit
    counts from (nearly) when it starts and a killed client wastes little work.
    """
    from distributed import KilledWorker

    from mlip_autograder.hidden import hidden_seeds

    secret = course.secret()
    seeds = hidden_seeds(assignment_id, secret)
    window = max(2, 2 * info.threads)
    waiting = iter(pending)
    in_flight: dict[Any, _Submission] = {}

    def finish(submission: _Submission, job: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        summary = summarize(submission.student, submission.reports)
        summary["job"] = {"queued": round(submission.queued, 3), **job}
        return submission.student, submission.digest, summary

    def submit_more() -> Iterator[tuple[str, str, dict[str, Any]]]:
        while len(in_flight) < window:
            item = next(waiting, None)
            if item is None:
                return
            student, digest = item
            queued = time.time()
            submission = _prepare(
                course, assignment_id, student, digest, config, secret, force, info.kind
            )
            submission.queued = queued
            if not submission.notebooks:  # nothing left for a worker to do
                yield finish(submission, {"worker": "client (stored or cached result)"})
                continue
            seconds = task_seconds(config.limits, len(submission.notebooks))
            task = {
                "assignment": assignment_id,
                "student": student,
                "notebooks": submission.notebooks,
                "sources": submission.sources,
                "limits": config.limits.to_dict(),
                "isolation": config.isolation,
                "pin_cpus": config.pin_cpus,
                "hidden_seeds": seeds,
                "hide": [str(course.root)],
                "seconds": seconds,
            }
            future = client.submit(
                judge_task,
                task,
                key=f"{TASK_PREFIX}-{student}-{uuid.uuid4().hex[:8]}",
                retries=TASK_RETRIES,
                pure=False,
            )
            # Queue time is at most one task's run (the window), so twice the task's limit
            # bounds a task that no worker ever answers (a frozen host).
            submission.deadline = time.monotonic() + 2 * seconds + TASK_MARGIN_SECONDS
            in_flight[future] = submission

    yield from submit_more()
    while in_flight:
        done = [future for future in in_flight if future.done()]
        if not done:
            expired = [f for f, s in in_flight.items() if time.monotonic() > s.deadline]
            if not expired:
                time.sleep(0.02)
                continue
            done = expired
        for future in done:
            submission = in_flight.pop(future)
            lost = ""
            job: dict[str, Any] = {}
            if not future.done():
                future.cancel()
                lost = "no worker answered within the task's wall limit"
            elif future.status == "error":
                error = future.exception()
                if isinstance(error, MlipError):  # e.g. a worker lost its jail: refuse
                    raise error
                if isinstance(error, KilledWorker):
                    lost = f"every worker that tried it died ({error})"
                else:
                    lost = f"{type(error).__name__}: {error}"
            elif future.status == "cancelled":
                lost = "the task was cancelled on the cluster"
            else:
                result = future.result()
                job = dict(result.get("job", {}))
                lost = str(result.get("lost", ""))
                for name, data in result.get("reports", {}).items():
                    report = JudgeReport.from_dict(data)
                    store_report(
                        course.root,
                        assignment_id,
                        submission.student,
                        name,
                        report,
                        key=submission.keys.get(name),
                        job={"queued": round(submission.queued, 3), **job},
                    )
                    submission.reports[name] = report
            if lost:
                for name, notebook in submission.notebooks.items():
                    report = _lost_report(notebook, lost, info.kind)
                    store_report(course.root, assignment_id, submission.student, name, report)
                    submission.reports[name] = report
            yield finish(submission, job)
        yield from submit_more()
