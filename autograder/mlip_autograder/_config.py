"""Course settings: sandbox limits and file locations, with every default in one place.

A course keeps its settings in ``mlip_course.toml`` next to ``nbgrader_config.py``::

    [sandbox]
    isolation = "bubblewrap"  # a jail is required; "none" grades without one (labelled so)
    wall_seconds = 120      # notebook run in the sandbox; again for all calls by the judge
    cell_seconds = 60       # one cell
    call_seconds = 5        # one call of a student's function by the judge
    cpu_seconds = 300       # CPU time of the sandboxed process
    memory_mb = 2048        # address space of the sandboxed process
    processes = 64          # processes/threads the student's code may start
    output_kb = 1024        # protocol output the judge accepts from the sandbox
    disk_mb = 256           # each writable tmpfs of the jail (/scratch, /tmp)

    [autograde]
    workers = 2
    pin_cpus = "auto"       # each judge and its sandbox claim a CPU per submission
    scheduler = "tcp://grader-head:8786"  # optional: judge on a Dask cluster (docs/cluster.md)
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from mlip.errors import InputError

__all__ = [
    "COURSE_TOML",
    "SECRET_FILE",
    "CourseConfig",
    "LatePolicy",
    "Limits",
    "late_policy",
    "load_config",
    "load_late_policies",
]

COURSE_TOML = "mlip_course.toml"
SECRET_FILE = "mlip_secret_seed.txt"
#: Where the judge keeps one result file per graded submission (atomic writes).
RESULTS_DIR = Path(".mlip") / "results"


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed submission."""

    wall_seconds: float = 120.0
    cell_seconds: float = 60.0
    call_seconds: float = 5.0
    cpu_seconds: int = 300
    memory_mb: int = 2048
    processes: int = 64
    output_kb: int = 1024
    #: Size of each writable tmpfs in the jail (``/scratch`` and ``/tmp``): a disk quota.
    disk_mb: int = 256

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` and for crossing into worker processes."""
        return asdict(self)


@dataclass(frozen=True)
class CourseConfig:
    """Everything a course configures for the autograder."""

    limits: Limits = Limits()
    workers: int = 2
    #: Pin each judge, and the sandboxes it starts, to a CPU of its own while it grades a
    #: submission (``"auto"`` or ``True``; ``False`` turns it off): a judge and its sandbox
    #: take turns, and a hand-over between CPUs costs two to three times one on a single CPU.
    #: Judges claim CPUs through lock files, see :mod:`mlip_autograder._cpus`.
    pin_cpus: bool | str = "auto"
    #: ``"bubblewrap"``: grading needs a working jail and refuses without one (fails closed).
    #: ``"none"``: the course explicitly grades without isolation; every report says so.
    isolation: str = "bubblewrap"
    #: Address of a Dask scheduler (``tcp://HOST:8786``): judge on its workers instead of a
    #: local process pool. None: the local pool.
    scheduler: str | None = None


#: The values of ``[sandbox] isolation``.
ISOLATION_SETTINGS = ("bubblewrap", "none")


def _section(data: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    section = data.get(name, {})
    if not isinstance(section, dict):
        raise InputError(f"{path}: [{name}] must be a table")
    return section


def load_config(course: Path) -> CourseConfig:
    """Read ``mlip_course.toml`` of ``course`` (defaults for anything it leaves out)."""
    path = course / COURSE_TOML
    if not path.exists():
        return CourseConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise InputError(f"{path}: cannot read course settings ({error})") from error
    load_late_policies(course)  # bad late-work settings stop grading before it starts
    sandbox = dict(_section(data, "sandbox", path))
    isolation = sandbox.pop("isolation", CourseConfig.isolation)
    if isolation not in ISOLATION_SETTINGS:
        raise InputError(
            f"{path}: [sandbox] isolation must be one of: "
            + ", ".join(f'"{value}"' for value in ISOLATION_SETTINGS)
        )
    known = {field.name: field.type for field in fields(Limits)}
    unknown = sorted(set(sandbox) - set(known))
    if unknown:
        raise InputError(f"{path}: unknown [sandbox] settings: {', '.join(unknown)}")
    limits = Limits()
    for name, value in sandbox.items():
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            raise InputError(f"{path}: [sandbox] {name} must be a positive number")
        default = getattr(limits, name)
        limits = replace(limits, **{name: type(default)(value)})
    autograde = _section(data, "autograde", path)
    unknown = sorted(set(autograde) - {"workers", "pin_cpus", "scheduler"})
    if unknown:
        raise InputError(f"{path}: unknown [autograde] settings: {', '.join(unknown)}")
    workers = autograde.get("workers", CourseConfig.workers)
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise InputError(f"{path}: [autograde] workers must be a positive integer")
    pin_cpus = autograde.get("pin_cpus", CourseConfig.pin_cpus)
    if not isinstance(pin_cpus, bool) and pin_cpus != "auto":
        raise InputError(f'{path}: [autograde] pin_cpus must be "auto", true or false')
    scheduler = autograde.get("scheduler")
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler.strip()):
        raise InputError(f'{path}: [autograde] scheduler must be an address like "tcp://HOST:8786"')
    return CourseConfig(
        limits=limits,
        workers=workers,
        pin_cpus=pin_cpus,
        isolation=isolation,
        scheduler=scheduler.strip() if scheduler else None,
    )


def default_toml() -> str:
    """The commented ``mlip_course.toml`` that ``mlip course init`` writes."""
    limits = Limits()
    return (
        "# Settings of the mlip autograder for this course.\n"
        "[sandbox]\n"
        'isolation = "bubblewrap"  # required jail; "none" grades WITHOUT isolation (labelled)\n'
        f"wall_seconds = {limits.wall_seconds:g}  # notebook run; again for all judge calls\n"
        f"cell_seconds = {limits.cell_seconds:g}  # one notebook cell\n"
        f"call_seconds = {limits.call_seconds:g}  # one call of a student's function\n"
        f"cpu_seconds = {limits.cpu_seconds}  # CPU time of the sandboxed process\n"
        f"memory_mb = {limits.memory_mb}  # address space of the sandboxed process\n"
        f"processes = {limits.processes}  # processes/threads student code may start\n"
        f"output_kb = {limits.output_kb}  # output the judge accepts from the sandbox\n"
        f"disk_mb = {limits.disk_mb}  # each writable tmpfs of the jail (/scratch, /tmp)\n"
        "\n[autograde]\n"
        f"workers = {CourseConfig.workers}\n"
        'pin_cpus = "auto"  # each judge and its sandbox claim a CPU per submission (Linux)\n'
        '# scheduler = "tcp://grader-head:8786"  # judge on a Dask cluster (docs/cluster.md)\n'
    )


# --- Late work --------------------------------------------------------------------------------
#
#     [late]                       # defaults for every assignment
#     grace_minutes = 15
#     penalty = "per-day"          # "none", "zero" or "per-day"
#     percent_per_day = 10         # "per-day": share of the earned points per started day late
#     floor_percent = 50           # "per-day": a late submission keeps at least this share
#
#     [assignments.guards-toaster] # per assignment: the due date, and any [late] setting
#     due = 2026-12-01T23:59:00Z   # a TOML date-time with its UTC offset
#     canvas_id = "12345"          # optional: the Canvas assignment the Canvas CSV fills

#: The values of ``penalty``.
PENALTIES = ("none", "zero", "per-day")


@dataclass(frozen=True)
class LatePolicy:
    """Due date, grace period and penalty of one assignment (no due date: never late)."""

    due: datetime | None = None
    grace_minutes: float = 0.0
    penalty: str = "none"
    percent_per_day: float = 10.0
    floor_percent: float = 0.0
    canvas_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "due": None if self.due is None else self.due.isoformat()}


_LATE_KEYS = ("grace_minutes", "penalty", "percent_per_day", "floor_percent")


def _late_settings(table: dict[str, Any], where: str, path: Path) -> dict[str, Any]:
    """Checked ``LatePolicy`` fields from one TOML table."""
    allowed = {*_LATE_KEYS, "due", "canvas_id"} if where != "[late]" else set(_LATE_KEYS)
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise InputError(f"{path}: unknown {where} settings: {', '.join(unknown)}")
    settings: dict[str, Any] = {}
    for name, value in table.items():
        if name == "due":
            if not isinstance(value, datetime) or value.tzinfo is None:
                raise InputError(
                    f"{path}: {where} due must be a TOML date-time with a UTC offset, "
                    "e.g. 2026-12-01T23:59:00Z"
                )
            settings[name] = value
        elif name == "penalty":
            if value not in PENALTIES:
                listing = ", ".join(f'"{penalty}"' for penalty in PENALTIES)
                raise InputError(f"{path}: {where} penalty must be one of: {listing}")
            settings[name] = value
        elif name == "canvas_id":
            if not isinstance(value, str | int) or isinstance(value, bool):
                raise InputError(f"{path}: {where} canvas_id must be a string")
            settings[name] = str(value)
        else:
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise InputError(f"{path}: {where} {name} must be a number >= 0")
            if "percent" in name and value > 100:
                raise InputError(f"{path}: {where} {name} must be at most 100")
            settings[name] = float(value)
    return settings


def load_late_policies(course: Path) -> tuple[LatePolicy, dict[str, LatePolicy]]:
    """The course-wide late policy and each ``[assignments.ID]`` policy (defaults filled in)."""
    path = course / COURSE_TOML
    if not path.exists():
        return LatePolicy(), {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise InputError(f"{path}: cannot read course settings ({error})") from error
    default = LatePolicy(**_late_settings(_section(data, "late", path), "[late]", path))
    policies = {}
    for assignment, table in _section(data, "assignments", path).items():
        if not isinstance(table, dict):
            raise InputError(f"{path}: [assignments.{assignment}] must be a table")
        where = f"[assignments.{assignment}]"
        policies[str(assignment)] = replace(default, **_late_settings(table, where, path))
    return default, policies


def late_policy(course: Path, assignment_id: str) -> LatePolicy:
    """The late policy of ``assignment_id`` in ``course``."""
    default, policies = load_late_policies(course)
    return policies.get(assignment_id, default)


#: Appended to the ``mlip_course.toml`` that ``mlip course init`` writes.
LATE_TOML = """
# Late work (one source of truth: grades, exports, feedback and Gradescope all apply it).
[late]
grace_minutes = 0
penalty = "none"  # "none", "zero" or "per-day"
percent_per_day = 10  # "per-day": share of the earned points taken per started day late
floor_percent = 0  # "per-day": a late submission keeps at least this share

# Per assignment: its due date (TOML date-time with offset) and any [late] setting.
# [assignments.guards-toaster]
# due = 2026-12-01T23:59:00Z
# penalty = "zero"
# canvas_id = "12345"  # the Canvas assignment `mlip course grades --canvas` fills
"""
