"""One CPU per judge while it grades a submission, claimed through a lock file per CPU.

A judge and its sandbox take turns (a batch of calls, the answers, the next batch): on one CPU
a hand-over costs about 35 µs, between two CPUs 80 to 90 µs (``bench_sandbox_overhead.py
--hand-over``), and a guards-toaster submission makes 7,600 of them. So a judge process pins
itself (and the sandboxes it starts inherit it) to a CPU for the submission it grades. Which
one: the first CPU no other judge of this user on this machine holds, claimed with
``flock`` on ``<tmp>/mlip-cpu-claims-<uid>/cpu<N>.lock``. Local workers, Dask workers and
several runs on one host thus never pile onto one CPU while another has none, with nothing
to coordinate: the kernel releases a dead judge's claim with its file descriptors. A judge
that finds every CPU claimed (more judges than CPUs) runs unpinned.

Busy CPUs are not avoided: next to another job, pinned still beats floating (measured next to
a process burning one of two CPUs: 6.7 s per guards-toaster submission pinned, 8.1 floating),
since the kernel can move that job but not the pinned judge, and every hand-over stays cheap.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["claimed_cpu", "claims_folder", "cpu_idle_shares"]


def claims_folder() -> Path:
    """Where this user's judges claim CPUs (one folder per machine and user)."""
    return Path(tempfile.gettempdir()) / f"mlip-cpu-claims-{os.getuid()}"


@contextlib.contextmanager
def claimed_cpu(setting: bool | str = "auto") -> Iterator[int | None]:
    """Pin this process to an unclaimed CPU for the ``with`` block; yields it (None: not
    pinned, because ``setting`` is false, every CPU is claimed or the system cannot pin).

    The affinity this process had is restored on the way out, then the claim released.
    """
    if setting is False or not hasattr(os, "sched_setaffinity"):
        yield None
        return
    try:
        allowed = os.sched_getaffinity(0)
        folder = claims_folder()
        folder.mkdir(mode=0o700, exist_ok=True)
        status = os.lstat(folder)
    except OSError:
        yield None
        return
    if not stat.S_ISDIR(status.st_mode) or status.st_uid != os.getuid():
        yield None  # someone else's folder (or a link) in a shared /tmp: do not use it
        return
    claim: tuple[int, int] | None = None  # (file descriptor, cpu)
    for cpu in sorted(allowed):
        try:
            descriptor = os.open(
                folder / f"cpu{cpu}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600
            )
        except OSError:
            break
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.sched_setaffinity(0, {cpu})
        except OSError:  # claimed by another judge, or pinning is not allowed here
            os.close(descriptor)
            continue
        claim = (descriptor, cpu)
        break
    if claim is None:
        yield None
        return
    try:
        yield claim[1]
    finally:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, allowed)
        os.close(claim[0])  # releases the claim


def _cpu_times() -> dict[int, tuple[int, int]]:
    """(idle, total) clock ticks of every CPU since boot, from ``/proc/stat``."""
    times = {}
    with open("/proc/stat", encoding="ascii") as stream:
        for line in stream:
            name, *fields = line.split()
            if name.startswith("cpu") and name[3:].isdigit():
                values = [int(value) for value in fields[:8]]
                times[int(name[3:])] = (values[3] + values[4], sum(values))  # idle + iowait
    return times


def cpu_idle_shares(interval: float = 0.2) -> dict[int, float] | None:
    """Idle share of each CPU this process may use over ``interval`` seconds (what ``mlip
    course doctor`` and the benchmark show); None where ``/proc/stat`` cannot be read."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    try:
        usable = os.sched_getaffinity(0)
        before = _cpu_times()
        time.sleep(interval)
        after = _cpu_times()
    except (OSError, ValueError):
        return None
    shares = {}
    for cpu in sorted(usable):
        if cpu in before and cpu in after:
            total = after[cpu][1] - before[cpu][1]
            shares[cpu] = (after[cpu][0] - before[cpu][0]) / total if total > 0 else 1.0
    return shares
