"""``mlip new``: scaffold a student project for one assignment.

The project folder gets the release notebook(s) shipped in the kit (no solutions), a README with
the tasks and how to check and submit, and a small marker file that records the assignment id and
the kit version, which is how ``mlip check`` and ``mlip submit`` find their way.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlip import __version__
from mlip.assignments import ASSIGNMENTS, Assignment, release_dir
from mlip.errors import InputError, UsageError
from mlip.services._project import MARKER_NAME

__all__ = ["ScaffoldResult", "new_project", "resolve_assignment"]

README_NAME = "README.md"


@dataclass(frozen=True)
class ScaffoldResult:
    """What ``mlip new`` created."""

    assignment: str
    directory: str
    files: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {
            "assignment": self.assignment,
            "directory": self.directory,
            "files": list(self.files),
        }


def resolve_assignment(*, topic: str, system: str) -> Assignment:
    """The assignment for ``topic`` on ``system``; unknown names list the known ones."""
    topics = sorted({assignment.topic for assignment in ASSIGNMENTS})
    if topic not in topics:
        raise UsageError(f"unknown topic {topic!r}; known topics: {', '.join(topics)}")
    systems = sorted(a.system for a in ASSIGNMENTS if a.topic == topic)
    for assignment in ASSIGNMENTS:
        if assignment.topic == topic and assignment.system == system:
            return assignment
    raise UsageError(
        f"no {topic} assignment for system {system!r}; known systems: {', '.join(systems)}"
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


def new_project(
    *, topic: str, system: str, directory: Path | None = None, force: bool = False
) -> ScaffoldResult:
    """Create the project for ``topic`` on ``system`` in ``directory`` (default ``./<id>``).

    Refuses a non-empty folder unless ``force`` (then the kit's files are overwritten, other
    files are left alone).
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
    files: list[str] = []
    for name in assignment.notebooks:
        shutil.copyfile(source / name, target / name)
        files.append(name)
    (target / README_NAME).write_text(render_readme(assignment), encoding="utf-8")
    marker = {"assignment": assignment.id, "kit_version": __version__}
    (target / MARKER_NAME).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    files += [README_NAME, MARKER_NAME]
    return ScaffoldResult(assignment=assignment.id, directory=str(target), files=tuple(files))
