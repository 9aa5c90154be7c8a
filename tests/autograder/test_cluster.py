"""Grading on a Dask cluster: a real scheduler and ``dask worker`` processes over loopback TCP.

The cluster's grades equal the golden expectations and local ``--workers 1`` and
``--workers 2`` grades of the same class; hostile samples stay contained on a worker; a worker
killed with SIGKILL mid-submission gets the submission retried on another worker and recorded
once; when every try dies, the submission is recorded as ``worker-lost`` and the next run
grades it again.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from autograder_samples import ASSIGNMENT, SAMPLES, load_sample, make_course

pytest.importorskip("distributed")

#: A few samples, not all: the golden test covers every sample on the local pool.
CLUSTER_SAMPLES = ["partial", "read-instructor-files", "reference", "segfault"]
GENEROUS_TOML = """[sandbox]
wall_seconds = 300
cell_seconds = 120
call_seconds = 30
"""
#: Generous limits for the kill test: the slow sample must not time out under load.
SLOW_TOML = """[sandbox]
wall_seconds = 120
cell_seconds = 60
call_seconds = 5

[autograde]
workers = 1
"""
STARTUP_SECONDS = 120.0


class LoopbackCluster:
    """A Dask scheduler and ``dask worker`` processes on 127.0.0.1, each in its own group."""

    def __init__(self, folder: Path, *, allowed_failures: int | None = None) -> None:
        self.folder = folder
        self.scheduler_file = folder / "scheduler.json"
        self.processes: list[subprocess.Popen[bytes]] = []
        env = dict(os.environ)
        if allowed_failures is not None:
            env["DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES"] = str(allowed_failures)
        self._start(
            ["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"],
            env,
            "scheduler",
        )
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self.scheduler_file.exists():
            assert time.monotonic() < deadline, "the Dask scheduler did not start"
            time.sleep(0.1)
        time.sleep(0.2)  # the file is written in one go, but give the writer a moment
        self.address = str(json.loads(self.scheduler_file.read_text())["address"])

    def _start(self, arguments: list[str], env: dict[str, str], log: str) -> None:
        command = [sys.executable, "-m", "dask", *arguments]
        command += ["--scheduler-file", str(self.scheduler_file)]
        with open(self.folder / f"{log}.log", "ab") as stream:
            self.processes.append(
                subprocess.Popen(
                    command, stdout=stream, stderr=stream, env=env, start_new_session=True
                )
            )

    def add_worker(self, *, nanny: bool = True) -> None:
        """One single-threaded worker, under a nanny as ``dask worker`` starts it by default
        (a daemonic process), or without one (then a killed worker stays dead)."""
        arguments = ["worker", "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"]
        arguments += [] if nanny else ["--no-nanny"]
        self._start(arguments, dict(os.environ), f"worker-{len(self.processes)}")

    def client(self) -> Any:
        from distributed import Client

        return Client(self.address, timeout=STARTUP_SECONDS, set_as_default=False)

    def wait_for_workers(self, count: int) -> None:
        with self.client() as client:
            client.wait_for_workers(count, timeout=STARTUP_SECONDS)

    def close(self) -> None:
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="session")
def loopback_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackCluster]:
    """A scheduler and two single-threaded workers for the whole session."""
    cluster = LoopbackCluster(tmp_path_factory.mktemp("dask"))
    try:
        cluster.add_worker()
        cluster.add_worker()
        cluster.wait_for_workers(2)
        yield cluster
    finally:
        cluster.close()


def _mlip(*args: str) -> Any:
    from mlip.cli import main

    return main(list(args))


def _by_student(grades: list[dict[str, Any]]) -> dict[str, tuple[str, float]]:
    return {grade["student"]: (grade["status"], grade["score"]) for grade in grades}


@pytest.mark.slow
def test_cluster_grades_equal_local_grades(
    loopback_cluster: LoopbackCluster, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mlip_autograder.autograde import autograde

    course = make_course(tmp_path / "course", CLUSTER_SAMPLES)
    # Generous limits: on a loaded machine a slow call must not cost a hidden point in one run
    # and not in another (no sample here needs a limit to stop it).
    (course.root / "mlip_course.toml").write_text(GENEROUS_TOML)
    code = _mlip(
        "course", "autograde", ASSIGNMENT, "--scheduler", loopback_cluster.address,
        "--course", str(course.root), "--json",
    )  # fmt: skip
    assert code == 0
    on_cluster = json.loads(capsys.readouterr().out)
    assert on_cluster["executor"] == "dask" and on_cluster["workers"] == 2
    expected = {name: load_sample(name)["expected"] for name in CLUSTER_SAMPLES}
    for name, (status, score) in _by_student(on_cluster["grades"]).items():
        assert status == expected[name]["status"]
        assert score == expected[name].get("score", score)
    for workers in (2, 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            local = autograde(
                course=course, assignment_id=ASSIGNMENT, workers=workers, force=True, scheduler=""
            )
        assert local.isolation == on_cluster["isolation"]
        assert not any(grade.skipped for grade in local.grades)
        local_grades = _by_student([grade.to_dict() for grade in local.grades])
        assert local_grades == _by_student(on_cluster["grades"]), f"--workers {workers}"

    used = {grade["job"]["worker"] for grade in on_cluster["grades"]}
    assert used <= set(loopback_cluster_workers(loopback_cluster))
    for grade in on_cluster["grades"]:
        job = grade["job"]
        assert job["queued"] <= job["started"] <= job["finished"] <= job["recorded"]
    # Contained on a worker too: the instructor's files were not there to find.
    stored = course.results / ASSIGNMENT / "read-instructor-files" / "guards.json"
    assert "found: []" in stored.read_text()


def loopback_cluster_workers(cluster: LoopbackCluster) -> list[str]:
    with cluster.client() as client:
        return list(client.scheduler_info()["workers"])


@pytest.mark.slow
def test_a_second_run_skips_what_the_cluster_graded(
    loopback_cluster: LoopbackCluster, tmp_path: Path
) -> None:
    from mlip_autograder.autograde import autograde

    course = make_course(tmp_path / "course", ["blank"])
    (course.root / "mlip_course.toml").write_text(
        (course.root / "mlip_course.toml").read_text()
        + f'scheduler = "{loopback_cluster.address}"\n'
    )
    first = autograde(course=course, assignment_id=ASSIGNMENT)
    assert first.scheduler == loopback_cluster.address
    assert [grade.status for grade in first.grades] == ["graded"]
    stored = json.loads((course.results / ASSIGNMENT / "blank" / "guards.json").read_text())
    assert stored["job"]["worker"] == first.grades[0].job["worker"]
    again = autograde(course=course, assignment_id=ASSIGNMENT)
    assert [grade.skipped for grade in again.grades] == [True]


def _slow_course(root: Path) -> Any:
    """A course whose one submission sleeps a few seconds: time to kill its worker."""
    samples = root.parent / "samples"
    samples.mkdir()
    sample = json.loads((SAMPLES / "reference.json").read_text())
    sample["cells"]["heating-guard"] = "import time\ntime.sleep(6)\n{reference}"
    (samples / "slow.json").write_text(json.dumps(sample))
    import autograder_samples

    original = autograder_samples.SAMPLES
    autograder_samples.SAMPLES = samples
    try:
        course = make_course(root, ["slow"])
    finally:
        autograder_samples.SAMPLES = original
    (course.root / "mlip_course.toml").write_text(SLOW_TOML)
    return course


def _kill_the_worker_judging(cluster: LoopbackCluster, student: str, spare: set[str]) -> str:
    """SIGKILL the worker process whose task judges ``student`` (not one in ``spare``)."""
    from mlip_autograder.cluster import TASK_PREFIX

    with cluster.client() as client:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            for worker, keys in client.processing().items():
                if worker not in spare and any(
                    str(key).startswith(f"{TASK_PREFIX}-{student}-") for key in keys
                ):
                    time.sleep(1.0)  # let it start the notebook
                    pid = client.run(os.getpid, workers=[worker])[worker]
                    os.kill(pid, signal.SIGKILL)
                    return str(worker)
            time.sleep(0.05)
    raise AssertionError(f"no worker took {student}'s task")


def _autograde_in_thread(**arguments: Any) -> tuple[threading.Thread, dict[str, Any]]:
    from mlip_autograder.autograde import autograde

    outcome: dict[str, Any] = {"recorded": []}

    def run() -> None:
        try:
            outcome["report"] = autograde(
                on_grade=lambda grade: outcome["recorded"].append(grade), **arguments
            )
        except BaseException as error:  # re-raised by the test
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


@pytest.mark.slow
def test_killed_worker_retried_elsewhere_then_worker_lost(tmp_path: Path) -> None:
    course = _slow_course(tmp_path / "course")
    cluster = LoopbackCluster(tmp_path, allowed_failures=1)
    try:
        cluster.add_worker(nanny=False)
        cluster.add_worker(nanny=False)
        cluster.wait_for_workers(2)
        thread, outcome = _autograde_in_thread(
            course=course, assignment_id=ASSIGNMENT, scheduler=cluster.address
        )
        killed = _kill_the_worker_judging(cluster, "slow", spare=set())
        thread.join(timeout=600)
        assert "error" not in outcome, outcome.get("error")
        (grade,) = outcome["recorded"]  # recorded exactly once
        assert (grade.status, grade.score) == ("graded", 8.0), grade.reason
        assert grade.job["worker"] != killed

        # One more death than the scheduler allows (allowed-failures = 1): worker-lost.
        cluster.add_worker(nanny=False)
        cluster.wait_for_workers(2)
        thread, outcome = _autograde_in_thread(
            course=course, assignment_id=ASSIGNMENT, scheduler=cluster.address, force=True
        )
        first = _kill_the_worker_judging(cluster, "slow", spare={killed})
        _kill_the_worker_judging(cluster, "slow", spare={killed, first})
        thread.join(timeout=600)
        assert "error" not in outcome, outcome.get("error")
        (lost,) = outcome["recorded"]
        assert lost.status == "worker-lost" and lost.score == 0.0
        assert "died" in lost.reason
        marker = course.root / ".mlip" / "done" / ASSIGNMENT / "slow.json"
        assert json.loads(marker.read_text())["status"] == "worker-lost"
    finally:
        cluster.close()

    # Not the student's fault: the next run (here on local workers) grades it again.
    from mlip_autograder.autograde import autograde

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        again = autograde(course=course, assignment_id=ASSIGNMENT, scheduler="")
    (grade,) = again.grades
    assert not grade.skipped and (grade.status, grade.score) == ("graded", 8.0)


@pytest.mark.slow
def test_killed_client_resumes_on_the_cluster(
    loopback_cluster: LoopbackCluster, tmp_path: Path
) -> None:
    """kill -9 of ``mlip course autograde --scheduler``: the next run keeps what was recorded."""
    samples = ["blank", "partial", "reference"]
    course = make_course(tmp_path / "course", samples)
    (course.root / "mlip_course.toml").write_text(GENEROUS_TOML)
    command = [
        sys.executable, "-m", "mlip", "course", "autograde", ASSIGNMENT,
        "--scheduler", loopback_cluster.address, "--course", str(course.root), "--json",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    done = course.root / ".mlip" / "done" / ASSIGNMENT
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not list(done.glob("*.json")):
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    finished = sorted(path.stem for path in done.glob("*.json"))
    assert finished, "no submission finished before the kill"
    for path in (course.root / ".mlip").rglob("*.json"):
        json.loads(path.read_text())  # every record is whole
    before = {name: json.loads((done / f"{name}.json").read_text()) for name in finished}
    from mlip_autograder.autograde import autograde

    report = autograde(course=course, assignment_id=ASSIGNMENT, scheduler=loopback_cluster.address)
    grades = {grade.student: grade for grade in report.grades}
    assert set(grades) == set(samples)
    for name in finished:
        assert grades[name].skipped and grades[name].score == before[name]["score"]
    assert all(grade.status == "graded" for grade in report.grades)
    assert not list((course.root / ".mlip").rglob(".*.json.*"))


def test_unreachable_scheduler_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    course = make_course(tmp_path / "course", ["blank"])
    code = _mlip(
        "course", "autograde", ASSIGNMENT, "--scheduler", "tcp://127.0.0.1:9",
        "--course", str(course.root),
    )  # fmt: skip
    error = capsys.readouterr().err
    assert code == 2 and "cannot reach the Dask scheduler" in error
    assert "Traceback" not in error
    assert not (course.root / ".mlip" / "done").exists()


def test_without_dask_the_message_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlip_autograder.cluster import connect

    from mlip.errors import UsageError

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(UsageError, match=r"mlip-autograder\[cluster\]"):
        connect("tcp://127.0.0.1:9")
