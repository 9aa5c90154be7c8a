"""``mlip new``: scaffold a student project for one assignment.

The project folder gets the release notebook(s) shipped in the kit (no solutions), a README with
the tasks and how to check and submit, and a small marker file that records the assignment id and
the kit version, which is how ``mlip check`` and ``mlip submit`` find their way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from mlip import __version__
from mlip.assignments import ASSIGNMENTS, Assignment, registry_problems, release_dir
from mlip.errors import InputError, UsageError
from mlip.services._project import MARKER_NAME, release_digests

__all__ = ["ScaffoldResult", "new_project", "resolve_assignment"]

README_NAME = "README.md"


@dataclass(frozen=True)
class ScaffoldResult:
    """What ``mlip new`` created."""

    assignment: str
    directory: str
    files: tuple[str, ...]
    #: Files the student had changed that ``--force`` moved aside instead of overwriting.
    backups: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {
            "assignment": self.assignment,
            "directory": self.directory,
            "files": list(self.files),
            "backups": list(self.backups),
        }


def resolve_assignment(*, topic: str, system: str | None = None) -> Assignment:
    """The assignment for ``topic`` on ``system``; unknown names list the known ones.

    ``topic`` may also be a whole assignment id (``guards-tax``, as ``mlip assignments list``
    prints it); ``system`` is then optional and, when given, must agree.
    """
    by_id = {assignment.id: assignment for assignment in ASSIGNMENTS}
    if topic in by_id:
        found = by_id[topic]
        if system is not None and system != found.system:
            raise UsageError(
                f"{topic} is the {found.topic} assignment for {found.system}, "
                f"but --system says {system!r}; give one of the two"
            )
        return found
    topics = sorted({assignment.topic for assignment in ASSIGNMENTS})
    if system is None:
        if topic in topics:
            first = min((a for a in ASSIGNMENTS if a.topic == topic), key=lambda a: a.system)
            systems = sorted(a.system for a in ASSIGNMENTS if a.topic == topic)
            raise UsageError(
                f"which system? e.g. `mlip new {topic} --system {first.system}` or "
                f"`mlip new {first.id}`; known systems: {', '.join(systems)}"
            )
        problems = "".join(f"; {problem}" for problem in registry_problems())
        raise UsageError(
            f"unknown topic or assignment {topic!r}; known topics: {', '.join(topics)}; "
            f"known assignments: {', '.join(sorted(by_id))}{problems}"
        )
    if topic not in topics:
        problems = "".join(f"; {problem}" for problem in registry_problems())
        raise UsageError(f"unknown topic {topic!r}; known topics: {', '.join(topics)}{problems}")
    systems = sorted(a.system for a in ASSIGNMENTS if a.topic == topic)
    for assignment in ASSIGNMENTS:
        if assignment.topic == topic and assignment.system == system:
            return assignment
    problems = "".join(f"; {problem}" for problem in registry_problems())
    raise UsageError(
        f"no {topic} assignment for system {system!r}; known systems: {', '.join(systems)}"
        + problems
    )


def render_readme(assignment: Assignment) -> str:
    """The project README: what to do, how to check, how to submit."""
    chapter = assignment.chapter
    lines = [
        f"# {assignment.id}: {assignment.title}",
        "",
        f"Book chapter {chapter.number}, *{chapter.title}*: <{chapter.url}>",
        "",
        f"Open `{assignment.notebooks[0]}` in JupyterLab (`jupyter lab`) and follow it. "
        f"You extend the running **{assignment.system}** system with code of your own; the grade "
        "depends on what the whole system does with your code plugged in, not only on what your "
        "functions return.",
        "",
        "## Tasks",
        "",
    ]
    lines += [f"- `{task.signature}`: {task.goal}." for task in assignment.tasks]
    lines += ["", "## Checks", "", "| check | points | public |", "| --- | --- | --- |"]
    lines += [
        f"| `{check.name}` | {check.points:g} | {'yes' if check.public else 'no (autograder)'} |"
        for check in assignment.checks
    ]
    lines += [
        "",
        "## Check and submit",
        "",
        "```",
        "mlip check            # run the notebook and the public checks (exit 0 = all pass)",
        "mlip check --json     # the same, as JSON",
        "mlip submit           # validate and zip the notebook for upload",
        "```",
        "",
        "Do not delete or edit the locked cells (instructions, tests, system checks): "
        "`mlip check` and `mlip submit` refuse a notebook whose locked cells changed. Hidden "
        "checks use scenarios you cannot see, so make your code robust rather than tuned to "
        "the public checks.",
        "",
    ]
    return "\n".join(lines)


def _backup_name(path: Path, stamp: str) -> Path:
    candidate = path.with_name(f"{path.name}.bak-{stamp}")
    number = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.bak-{stamp}-{number}")
        number += 1
    return candidate


def _write_keeping_changes(path: Path, content: bytes, stamp: str) -> Path | None:
    """Write ``content`` to ``path``; a different existing file is first moved to a backup.

    Returns the backup's path (``None`` when nothing needed saving): a student's solved notebook
    must never disappear because of ``--force``.
    """
    backup = None
    if path.is_file() and path.read_bytes() != content:
        backup = _backup_name(path, stamp)
        path.rename(backup)
    path.write_bytes(content)
    return backup


def new_project(
    *,
    topic: str,
    system: str | None = None,
    directory: Path | None = None,
    force: bool = False,
) -> ScaffoldResult:
    """Create the project for ``topic`` on ``system`` in ``directory`` (default ``./<id>``).

    ``topic`` may be an assignment id (``guards-tax``) instead. Refuses a non-empty folder unless
    ``force``: then the kit's files are written again, but any of them the student changed (a
    solved notebook, an edited README) is first renamed to ``NAME.bak-YYYYmmdd-HHMMSS`` and
    listed in :attr:`ScaffoldResult.backups`; other files are left alone.
    """
    assignment = resolve_assignment(topic=topic, system=system)
    target = directory if directory is not None else Path(assignment.id)
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise UsageError(f"{target} is not empty; choose another --dir or pass --force")
    source = release_dir(assignment.id)
    missing = [name for name in assignment.notebooks if not (source / name).is_file()]
    if missing:
        raise InputError(f"this mlip install lacks the release notebook {missing[0]}; reinstall")
    target.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    contents = {name: (source / name).read_bytes() for name in assignment.notebooks}
    contents[README_NAME] = render_readme(assignment).encode("utf-8")
    backups: list[str] = []
    try:
        for name, content in contents.items():
            backup = _write_keeping_changes(target / name, content, stamp)
            if backup is not None:
                backups.append(str(backup))
        marker = {
            "assignment": assignment.id,
            "kit_version": __version__,
            "release": release_digests(assignment),
        }
        (target / MARKER_NAME).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    except OSError as error:
        raise InputError(f"could not write the project into {target}: {error}") from None
    return ScaffoldResult(
        assignment=assignment.id,
        directory=str(target),
        files=(*contents, MARKER_NAME),
        backups=tuple(backups),
    )
