"""Benchmark: CPU seconds the judge<->sandbox boundary costs, against the same work in-process.

One reference submission (the instructor's source notebook; ``guards-toaster`` unless
``--assignment`` names another) is graded

- **in-process**: its code cells run with ``exec`` in this process, and its unit tests and
  system checks (public and hidden) call the student's functions directly;
- **sandboxed**: :func:`mlip_autograder.judge.judge_notebook`, the notebook in the jail (or a
  plain child process with ``--isolation none``), unit tests and checks in the judge, every
  call of a student's function a message to the child.

CPU seconds (user + system, this process and its children, the jail's processes included) are
split into *notebook* (running the code cells; for the sandbox also starting the jail) and
*checks* (unit tests + system checks). The checks ratio sandboxed/in-process is the boundary's
cost (goal: 1.2); the judge also counts its round trips to the sandbox (one per batch of
calls). CPU time, not wall time, so the figures mean something on a busy machine;
medians over ``--repeat`` runs. ``--profile parent`` / ``--profile child`` print where the
sandboxed checks spend their CPU (cProfile; the child profile runs without the jail).

    python benchmarks/bench_sandbox_overhead.py --repeat 3 --one-cpu
    python benchmarks/bench_sandbox_overhead.py --repeat 1 --profile parent
    python benchmarks/bench_sandbox_overhead.py --repeat 1 --assignment monitoring-tax
    python benchmarks/bench_sandbox_overhead.py --hand-over

``--hand-over`` measures one round trip alone (a batch of 1, 5 or 30 calls of a one-line
function): wall and CPU microseconds of the judge and the child, with both on one CPU (as a
pinned grading worker and its sandbox) and free to run on any CPU (an unpinned worker).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import resource
import statistics
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

ASSIGNMENT = "guards-toaster"
SECRET = "0123456789abcdef0123456789abcdef"


def _cpu() -> float:
    """CPU seconds of this process, its waited-for children and the jails measured so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime + _JAILS[0]


#: Round trips between the judge and its sandbox so far (messages answering a batch of calls,
#: or the batches of several side-by-side scenarios).
_ROUND_TRIPS = [0]

#: CPU seconds of every sandbox closed so far (read from /proc just before it is stopped: a
#: jail's processes live in their own PID namespace and never reach our RUSAGE_CHILDREN).
_JAILS = [0.0]


def _jail_cpu(sandbox: Any) -> float:
    """CPU seconds the processes of a running sandbox have used so far (from /proc)."""
    from mlip_autograder import _sandbox

    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in _sandbox._descendants(sandbox._process.pid):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _count_jails() -> None:
    from mlip_autograder import _sandbox

    close = _sandbox.SandboxedNotebook.close

    def measured_close(self: Any) -> None:
        if self._process is not None and self._process.poll() is None:
            _JAILS[0] += _jail_cpu(self)
        close(self)

    _sandbox.SandboxedNotebook.close = measured_close
    call_groups = _sandbox.SandboxedNotebook._call_groups

    def counted_call_groups(self: Any, *args: Any, **kwargs: Any) -> Any:
        _ROUND_TRIPS[0] += 1
        return call_groups(self, *args, **kwargs)

    _sandbox.SandboxedNotebook._call_groups = counted_call_groups


def _source() -> dict[str, Any]:
    from mlip_autograder.course import default_sources

    (path,) = (default_sources() / ASSIGNMENT).glob("*.ipynb")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _in_process(notebook: dict[str, Any]) -> tuple[float, float, list[float]]:
    """(notebook CPU, checks CPU, points per check cell), everything in this process."""
    from mlip_autograder._notebook import check_cells, source_text, unit_test_cells
    from mlip_autograder.hidden import hidden_check

    from mlip.checks import get_check, run_check
    from mlip.systems import get_system

    checks = check_cells(notebook)
    tests = unit_test_cells(notebook)
    skipped = {cell.index for cell in checks} | set(tests)
    namespace: dict[str, Any] = {"__name__": "__main__"}
    started = _cpu()
    with contextlib.redirect_stdout(io.StringIO()):
        for index, cell in enumerate(notebook["cells"]):
            if cell["cell_type"] == "code" and index not in skipped:
                exec(compile(source_text(cell), f"<cell {index}>", "exec"), namespace)
    notebook_cpu = _cpu() - started
    started = _cpu()
    with contextlib.redirect_stdout(io.StringIO()):
        for index in tests:
            exec(
                compile(source_text(notebook["cells"][index]), f"<cell {index}>", "exec"), namespace
            )
    system = get_system(ASSIGNMENT.split("-", 1)[1])
    points = []
    for cell in sorted(checks, key=lambda cell: (not cell.public, cell.index)):
        check = (
            get_check(ASSIGNMENT, cell.check)
            if cell.public
            else hidden_check(ASSIGNMENT, cell.check, secret=SECRET)
        )
        points.append(run_check(check, namespace, system=system).points)
    return notebook_cpu, _cpu() - started, points


def _sandboxed(
    notebook: dict[str, Any], isolation: Any, profile: cProfile.Profile | None = None
) -> tuple[float, float, list[float]]:
    """(notebook CPU, checks CPU, points per check cell) through the judge and the sandbox."""
    from mlip_autograder._config import Limits
    from mlip_autograder._notebook import check_cells, unit_test_cells
    from mlip_autograder._sandbox import SandboxedNotebook
    from mlip_autograder.judge import judge_notebook

    limits = Limits()
    skip = frozenset([cell.index for cell in check_cells(notebook)] + unit_test_cells(notebook))
    jails = _JAILS[0]
    started = _cpu()
    with SandboxedNotebook(notebook, limits, isolation, skip=skip) as sandbox:
        sandbox.start()
    notebook_cpu = _cpu() - started
    notebook_jail = _JAILS[0] - jails
    jails = _JAILS[0]
    round_trips = _ROUND_TRIPS[0]
    started = _cpu()
    if profile is not None:
        profile.enable()
    report = judge_notebook(
        notebook,
        assignment_id=ASSIGNMENT,
        limits=limits,
        isolation=isolation,
        secret=SECRET,
        source=notebook,
    )
    if profile is not None:
        profile.disable()
    if report.status != "graded":
        raise SystemExit(f"the reference was not graded: {report.status} {report.reason}")
    checks_cpu = _cpu() - started - notebook_cpu  # the judge ran the notebook again first
    child = _JAILS[0] - jails - notebook_jail
    print(
        f"  sandboxed checks: judge {checks_cpu - child:.2f} s CPU, child {child:.2f} s CPU, "
        f"{_ROUND_TRIPS[0] - round_trips} round trips"
    )
    return notebook_cpu, checks_cpu, [float(check["points"]) for check in report.checks]


_CHILD_PROFILER = """
import cProfile, sys
sys.path.insert(0, {folder!r})
import _child
profile = cProfile.Profile()
try:
    profile.runcall(_child.main)
finally:
    profile.dump_stats({output!r})
"""


def _profile_child(notebook: dict[str, Any], top: int) -> None:
    """Profile the child (without the jail: the profile is written to this machine's disk)."""
    from mlip_autograder import _sandbox
    from mlip_autograder._config import Limits
    from mlip_autograder._sandbox import detect_isolation
    from mlip_autograder.judge import judge_notebook

    folder = Path(tempfile.mkdtemp(prefix="mlip-child-profile-"))
    output = folder / "child.prof"
    wrapper = folder / "child_profiled.py"
    wrapper.write_text(
        textwrap.dedent(
            _CHILD_PROFILER.format(folder=str(_sandbox.CHILD_SCRIPT.parent), output=str(output))
        )
    )
    original = _sandbox.CHILD_SCRIPT
    _sandbox.CHILD_SCRIPT = wrapper
    try:
        judge_notebook(
            notebook,
            assignment_id=ASSIGNMENT,
            limits=Limits(),
            isolation=detect_isolation(setting="none"),
            secret=SECRET,
            source=notebook,
        )
    finally:
        _sandbox.CHILD_SCRIPT = original
    pstats.Stats(str(output)).sort_stats("tottime").print_stats(top)


_ONE_LINE = "def f(s):\n    return s['elapsed_seconds'] > 240 or s['smoke_ppm'] > 150\n"


def _hand_over(isolation: Any, trips: int = 3000) -> None:
    """Microseconds per round trip, on one CPU and floating (see the module's docstring)."""
    from mlip_autograder._config import Limits
    from mlip_autograder._sandbox import SandboxedNotebook

    state = {
        "elapsed_seconds": 12.0,
        "planned_seconds": 100.0,
        "chamber_temp_c": 123.456,
        "surface_temp_c": 99.123,
        "smoke_ppm": 1.234,
    }
    notebook = {"cells": [{"cell_type": "code", "metadata": {}, "source": _ONE_LINE}]}
    allowed = os.sched_getaffinity(0)
    for label, cpus in (("one CPU", {min(allowed)}), (f"any of {len(allowed)} CPUs", allowed)):
        os.sched_setaffinity(0, cpus)  # the sandbox inherits it
        try:
            with SandboxedNotebook(notebook, Limits(), isolation) as sandbox:
                sandbox.start()
                for size in (1, 5, 30):
                    own, child = resource.getrusage(resource.RUSAGE_SELF), _jail_cpu(sandbox)
                    started = time.perf_counter()
                    for _ in range(trips):
                        sandbox.call_groups([("f", [[state]] * size, True)])
                    wall = time.perf_counter() - started
                    after = resource.getrusage(resource.RUSAGE_SELF)
                    child = _jail_cpu(sandbox) - child
                    judge = after.ru_utime + after.ru_stime - own.ru_utime - own.ru_stime
                    print(
                        f"{label:>14}, batch of {size:2}: {wall / trips * 1e6:5.0f} us wall, "
                        f"judge {judge / trips * 1e6:4.0f} us CPU, "
                        f"child {child / trips * 1e6:4.0f} us CPU per round trip"
                    )
        finally:
            os.sched_setaffinity(0, allowed)


def main() -> None:
    global ASSIGNMENT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (default 3)")
    parser.add_argument(
        "--isolation", choices=("bubblewrap", "none"), default="bubblewrap", help="the sandbox"
    )
    parser.add_argument("--profile", choices=("parent", "child"), help="cProfile one side")
    parser.add_argument("--top", type=int, default=25, help="profile lines to print")
    parser.add_argument("--assignment", default=ASSIGNMENT, help=f"default {ASSIGNMENT}")
    parser.add_argument(
        "--hand-over", action="store_true", help="one round trip's cost, one CPU vs floating"
    )
    parser.add_argument(
        "--one-cpu",
        action="store_true",
        help="judge and sandbox on one CPU, as a pinned grading worker (default: any CPU)",
    )
    args = parser.parse_args()
    ASSIGNMENT = args.assignment

    from mlip_autograder._sandbox import detect_isolation

    notebook = _source()
    isolation = detect_isolation(setting=args.isolation)
    _count_jails()
    if args.one_cpu:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # the sandbox inherits it
    if args.hand_over:
        _hand_over(isolation)
        return
    if args.profile == "child":
        _profile_child(notebook, args.top)
        return
    if args.profile == "parent":
        profile = cProfile.Profile()
        _sandboxed(notebook, isolation, profile)
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.top)
        return
    inside: list[tuple[float, float]] = []
    boxed: list[tuple[float, float]] = []
    points_inside: list[float] = []
    points_boxed: list[float] = []
    for _ in range(args.repeat):
        notebook_cpu, checks_cpu, points_inside = _in_process(notebook)
        inside.append((notebook_cpu, checks_cpu))
        notebook_cpu, checks_cpu, points_boxed = _sandboxed(notebook, isolation)
        boxed.append((notebook_cpu, checks_cpu))
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    cpus = "one CPU" if args.one_cpu else f"any of {len(os.sched_getaffinity(0))} CPUs"
    print(
        f"{ASSIGNMENT} reference, {args.repeat} run(s) each, sandbox {isolation.kind}, "
        f"{cpus}; load average {load}"
    )
    print(f"points in-process {points_inside}, sandboxed {points_boxed}")
    rows = []
    for label, runs in (("in-process", inside), ("sandboxed", boxed)):
        notebook_cpu = statistics.median(run[0] for run in runs)
        checks_cpu = statistics.median(run[1] for run in runs)
        rows.append((notebook_cpu, checks_cpu))
        every = ", ".join(f"{run[1]:.2f}" for run in runs)
        print(
            f"{label:10}  notebook {notebook_cpu:6.2f} s CPU  checks {checks_cpu:6.2f} s CPU "
            f"(each run: {every})  total {notebook_cpu + checks_cpu:6.2f} s CPU"
        )
    (notebook_a, checks_a), (notebook_b, checks_b) = rows
    print(
        f"ratio sandboxed/in-process: checks {checks_b / checks_a:.2f} (goal <= 1.2), "
        f"total {(notebook_b + checks_b) / (notebook_a + checks_a):.2f}"
    )


if __name__ == "__main__":
    main()
