"""Benchmark: ``mlip course autograde`` against plain nbgrader, idle and next to a busy neighbour,
and the Dask path against local workers on the same machine.

A class of N guards-toaster submissions (the reference solution, each with its own comment so
no two notebooks share a judge result) is graded by:

- **ours**: sandboxed notebook runs + trusted judge (public and hidden checks), ``--workers``;
- **naive**: plain ``nbgrader autograde`` in a second course without our preprocessor, so every
  notebook runs in a Jupyter kernel and every check, public and hidden, runs inside the
  student's kernel (its hidden-check cells are rewritten to run the hidden family in place).

Both are timed on an idle machine and again next to a neighbour process that burns one CPU
(``--no-neighbour`` skips that); the ratio naive/ours is printed for each (targets: >= 2 idle,
>= 1.5 with the neighbour). With ``--scheduler`` the same class is also graded on Dask: ``here``
starts a scheduler and ``--workers`` single-threaded ``dask worker`` processes on this machine
(loopback), any other value is a running scheduler's address. It prints local vs Dask side by
side, their ratio (goal: within 10%) and the overhead per submission. Every course is fresh,
so no run reuses another's results. The load average is printed next to the figures.

    python benchmarks/bench_autograde.py --n 100
    python benchmarks/bench_autograde.py --n 20 --scheduler here --no-naive
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

ASSIGNMENT = "guards-toaster"


def _class(n: int, release: dict, source: dict) -> list[tuple[str, dict]]:
    from mlip_autograder.demo import make_submission

    notebooks = []
    for number in range(n):
        notebook = make_submission("reference", release, source)
        for cell in notebook["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("solution") and cell["cell_type"] == "code":
                cell["source"] = f"# submission {number}\n" + cell["source"]
        notebooks.append((f"student{number:03d}", notebook))
    return notebooks


_IN_KERNEL = """from mlip.checks import run_check as _run_check
from mlip_autograder.hidden import hidden_check as _hidden_check
_result = _run_check(_hidden_check({assignment!r}, {check!r}, secret={secret!r}),
                     {{"heating_guard": heating_guard, "thermal_cutoff": thermal_cutoff}})
print(_result.message)
_result.points * {points} / _result.max_points
"""


def _hidden_checks_in_kernel(path: Path, secret: str) -> None:
    """The naive way to grade hidden checks: run their code in the student's own kernel."""
    import re

    notebook = json.loads(path.read_text())
    for cell in notebook["cells"]:
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        match = re.search(r'hidden_check\("([\w-]+)", "([\w-]+)"\)', text)
        if match:
            points = cell["metadata"]["nbgrader"]["points"]
            cell["source"] = _IN_KERNEL.format(
                assignment=match.group(1), check=match.group(2), secret=secret, points=points
            )
    path.write_text(json.dumps(notebook))


def _course(root: Path, notebooks: list[tuple[str, dict]], *, ours: bool, secret: str) -> Any:
    from mlip_autograder.collect import collect
    from mlip_autograder.course import Course, init_course, release_assignment

    init_course(directory=root, assignments=(ASSIGNMENT,))
    course = Course(root.resolve())
    # one secret for both courses: the hidden scenarios (their number and size) are the same
    course.secret_path.write_text(secret + "\n", encoding="utf-8")
    if not ours:  # plain nbgrader: the default Execute preprocessor, checks run in the kernel
        config = course.root / "nbgrader_config.py"
        config.write_text(config.read_text().replace("register(c)", "pass"))
        _hidden_checks_in_kernel(course.source / ASSIGNMENT / "guards.ipynb", course.secret())
    release_assignment(course=course, assignment_id=ASSIGNMENT)
    if not notebooks:  # the probe course: only its release is read (collect refuses nothing)
        return course
    inbox = root.parent / f"{root.name}-inbox"
    inbox.mkdir()
    for student, notebook in notebooks:
        (inbox / f"{student}_guards.ipynb").write_text(json.dumps(notebook))
    collect(course=course, assignment_id=ASSIGNMENT, source=inbox)
    return course


def _grade_ours(course: Any, workers: int, scheduler: str = "") -> tuple[float, Any]:
    from mlip_autograder.autograde import autograde

    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = autograde(
            course=course, assignment_id=ASSIGNMENT, workers=workers, scheduler=scheduler
        )
    return time.perf_counter() - started, report


def _grade_naive(course: Any) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT],
        cwd=course.root,
        check=False,
        capture_output=True,
    )
    return time.perf_counter() - started


def _load() -> str:
    return "load average " + " ".join(f"{value:.2f}" for value in os.getloadavg())


class _Neighbour:
    """Another job on the machine: one process that keeps one CPU busy."""

    def __enter__(self) -> _Neighbour:
        self.process = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.kill()
        self.process.wait()


class _LoopbackCluster:
    """``dask scheduler`` and N single-threaded ``dask worker`` processes on 127.0.0.1."""

    def __init__(self, folder: Path, workers: int) -> None:
        self.file = folder / "scheduler.json"
        self.processes: list[subprocess.Popen[bytes]] = []
        self._start("scheduler", "--host", "127.0.0.1", "--port", "0")
        while not self.file.exists():
            time.sleep(0.1)
        time.sleep(0.2)
        self.address = str(json.loads(self.file.read_text())["address"])
        for _ in range(workers):
            self._start("worker", "--nthreads", "1", "--host", "127.0.0.1")
        from distributed import Client

        with Client(self.address, set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=120)

    def _start(self, *arguments: str) -> None:
        command = [sys.executable, "-m", "dask", *arguments, "--no-dashboard"]
        self.processes.append(
            subprocess.Popen(
                [*command, "--scheduler-file", str(self.file)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )

    def close(self) -> None:
        import signal

        for process in self.processes:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _job_overheads(report: Any) -> tuple[float, float, float]:
    """Mean seconds per submission from the job timestamps: the judge's own time, the task's
    time beyond it (dispatch to the judge process and back), and recording in the gradebook
    (``recorded - finished``, serial on the client whatever the number of workers)."""
    judge, beyond, recording = [], [], []
    for grade in report.grades:
        job = grade.job or {}
        if {"started", "finished", "recorded"} <= set(job):
            judge.append(grade.seconds)
            beyond.append(job["finished"] - job["started"] - grade.seconds)
            recording.append(job["recorded"] - job["finished"])
    count = max(len(judge), 1)
    return sum(judge) / count, sum(beyond) / count, sum(recording) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="class size (default 100)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--secret", default="", help="course secret (default: a random one)")
    parser.add_argument(
        "--scheduler",
        default="",
        help='also grade on Dask: "here" (a loopback cluster of --workers single-threaded '
        "workers) or a scheduler address",
    )
    parser.add_argument("--no-naive", action="store_true", help="skip plain nbgrader")
    parser.add_argument(
        "--no-neighbour", action="store_true", help="skip the runs next to a busy process"
    )
    args = parser.parse_args()

    from mlip_autograder._cpus import cpu_idle_shares
    from mlip_autograder.autograde import _gradebook_score
    from mlip_autograder.course import default_sources

    work = Path(tempfile.mkdtemp(prefix="mlip-bench-"))
    cluster: _LoopbackCluster | None = None
    try:
        source = json.loads((default_sources() / ASSIGNMENT / "guards.ipynb").read_text())
        secret = args.secret or secrets.token_hex(16)
        probe = _course(work / "probe", [], ours=True, secret=secret)
        release = json.loads((probe.root / "release" / ASSIGNMENT / "guards.ipynb").read_text())
        notebooks = _class(args.n, release, source)
        n = args.n
        print(f"class: {n} guards-toaster submissions; secret {secret}; {os.cpu_count()} CPUs")

        settings = [("idle", False)] + ([] if args.no_neighbour else [("neighbour", True)])
        local_idle: tuple[float, Any] | None = None
        for label, busy in settings:
            ours = _course(work / f"ours-{label}", notebooks, ours=True, secret=secret)
            with _Neighbour() if busy else contextlib.nullcontext():
                load = _load()
                idle = cpu_idle_shares()
                ours_seconds, report = _grade_ours(ours, args.workers)
                if local_idle is None:
                    local_idle = (ours_seconds, report)
                statuses = sorted({grade.status for grade in report.grades})
                scores = sorted({grade.score for grade in report.grades})
                cpus = sorted({str((grade.job or {}).get("cpu", "-")) for grade in report.grades})
                print(
                    f"[{label}] ours  (autograde --workers {args.workers}, {report.isolation}): "
                    f"{ours_seconds:8.1f} s = {ours_seconds / n:6.2f} s/submission  "
                    f"(statuses {statuses}, scores {scores}; {load})"
                )
                shares = ", ".join(f"{cpu}: {share:.0%}" for cpu, share in (idle or {}).items())
                print(
                    f"[{label}] CPUs idle just before the run {{{shares}}}; CPUs the judges "
                    f"claimed: {', '.join(cpus)} (-: none free, unpinned)"
                )
                if args.no_naive:
                    continue
                naive = _course(work / f"naive-{label}", notebooks, ours=False, secret=secret)
                naive_seconds = _grade_naive(naive)
                naive_scores = sorted(
                    {_gradebook_score(naive, ASSIGNMENT, student)[0] for student, _ in notebooks}
                )
                print(
                    f"[{label}] naive (nbgrader autograde, checks in the kernel): "
                    f"{naive_seconds:8.1f} s = {naive_seconds / n:6.2f} s/submission  "
                    f"(scores {naive_scores}; {_load()})"
                )
                target = 2.0 if not busy else 1.5
                print(
                    f"[{label}] ratio naive/ours: {naive_seconds / ours_seconds:.2f} "
                    f"(target >= {target:g})"
                )

        if args.scheduler:
            assert local_idle is not None
            address = args.scheduler
            if address == "here":
                cluster = _LoopbackCluster(work, args.workers)
                address = cluster.address
            on_dask = _course(work / "dask", notebooks, ours=True, secret=secret)
            load = _load()
            dask_seconds, dask_report = _grade_ours(on_dask, args.workers, address)
            local_seconds, local_report = local_idle
            same = [(g.status, g.score) for g in dask_report.grades] == [
                (g.status, g.score) for g in local_report.grades
            ]
            print(
                f"[dask] {dask_report.workers} worker thread(s) at {address}: "
                f"{dask_seconds:8.1f} s = {dask_seconds / n:6.2f} s/submission "
                f"(grades identical to local: {same}; {load})"
            )
            if not same:
                for grade in dask_report.grades:
                    print(f"  {grade.student}: {grade.status} {grade.score} {grade.reason}")
            print(
                f"[dask] ratio dask/local (--workers {args.workers}): "
                f"{dask_seconds / local_seconds:.2f} (goal <= 1.10); overhead "
                f"{(dask_seconds - local_seconds) / n:+.2f} s/submission of wall time"
            )
            for name, report in (("local", local_report), ("dask", dask_report)):
                judge, beyond, recording = _job_overheads(report)
                print(
                    f"[{name}] per submission: judge {judge:.2f} s, task beyond the judge "
                    f"{beyond:.3f} s, recording {recording:.2f} s"
                )
            judge, _, recording = _job_overheads(dask_report)
            term = 4500
            estimates = ", ".join(
                f"{workers} workers ~{max(term * judge / workers, term * recording) / 3600:.1f} h"
                for workers in (2, 10, 20, 50)
            )
            print(
                f"[dask] a {term}-submission term at these figures (judging spread over the "
                f"workers, recording serial on the client): {estimates}"
            )
    finally:
        if cluster is not None:
            cluster.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
