"""A student's assignment project: its marker file, notebooks, and their locked cells.

``mlip new`` writes a marker file recording the assignment id and the kit version; ``mlip check``
and ``mlip submit`` find the project through it and compare each notebook with the release copy
shipped in the kit: a locked nbgrader cell (instructions, tests, system checks) that was deleted
or edited would make the grade meaningless, so both commands refuse such a notebook. The marker
also records a digest of each release notebook the project was copied from, so a project made
from an older release is told so (its locked cells differ because the kit changed, not because
the student edited them).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlip.assignments import Assignment, get_assignment, release_dir
from mlip.errors import InputError
from mlip.notebooks import load_notebook, nbgrader_meta, source_text

__all__ = [
    "MARKER_NAME",
    "Project",
    "compute_checksum",
    "load_notebook",
    "load_project",
    "locked_cell_problems",
    "nbgrader_meta",
    "projects_in",
    "release_digests",
    "require_intact",
    "source_text",
]

MARKER_NAME = ".mlip-assignment.json"


@dataclass(frozen=True)
class Project:
    """A scaffolded project folder and the assignment it belongs to."""

    directory: Path
    assignment: Assignment
    kit_version: str
    #: Digest of each release notebook the project was copied from (None: an older marker).
    release: dict[str, str] | None = None

    def from_current_release(self) -> bool:
        """Whether the project was copied from the release notebooks this kit ships."""
        return self.release == release_digests(self.assignment)

    def notebook_path(self, name: str) -> Path:
        """Path of one of the assignment's notebooks inside the project."""
        return self.directory / name


def load_project(directory: Path) -> Project:
    """Read the marker file of the project in ``directory``."""
    if not directory.is_dir():
        raise InputError(f"{directory} is not a folder")
    marker = directory / MARKER_NAME
    if not marker.is_file():
        inside = projects_in(directory)
        if inside:
            listing = ", ".join(str(path) for path in inside)
            plural = "s" if len(inside) > 1 else ""
            raise InputError(
                f"{directory} is not an mlip assignment project; it holds {len(inside)} "
                f"project{plural}: {listing}; pass one, e.g. `mlip check {inside[0]}`"
            )
        raise InputError(
            f"{directory} is not an mlip assignment project (no {MARKER_NAME}); "
            "create one with `mlip new TOPIC --system SYSTEM` or pass the project folder"
        )
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
        assignment_id = str(data["assignment"])
        kit_version = str(data.get("kit_version", "unknown"))
        recorded = data.get("release")
        release = {str(k): str(v) for k, v in recorded.items()} if recorded else None
    except (ValueError, KeyError, TypeError) as error:
        raise InputError(
            f"{marker} is corrupt ({error}); recreate the project with `mlip new`"
        ) from None
    return Project(
        directory=directory,
        assignment=get_assignment(assignment_id),
        kit_version=kit_version,
        release=release,
    )


def release_digests(assignment: Assignment) -> dict[str, str]:
    """A short digest of each release notebook of ``assignment`` (missing ones are skipped)."""
    source = release_dir(assignment.id)
    return {
        name: hashlib.sha256((source / name).read_bytes()).hexdigest()[:16]
        for name in assignment.notebooks
        if (source / name).is_file()
    }


def projects_in(directory: Path) -> list[Path]:
    """The project folders directly inside ``directory`` (sorted), for a helpful error."""
    try:
        children = sorted(child for child in directory.iterdir() if child.is_dir())
    except OSError:
        return []
    return [child for child in children if (child / MARKER_NAME).is_file()]


def compute_checksum(cell: dict[str, Any]) -> str:
    """nbgrader's checksum of a cell (``nbgrader.utils.compute_checksum``).

    Uses nbgrader when it is installed; otherwise the same recipe (source, type, grade, solution,
    locked, id, points), so students need not install nbgrader. A test keeps the two equal.
    """
    try:
        import nbformat
        from nbgrader.utils import compute_checksum as nbgrader_checksum
    except ImportError:
        return _checksum(cell)
    node = nbformat.from_dict({**cell, "source": source_text(cell)})
    return str(nbgrader_checksum(node))


def _checksum(cell: dict[str, Any]) -> str:
    import hashlib

    meta = nbgrader_meta(cell)
    digest = hashlib.md5()
    grade, solution = bool(meta.get("grade")), bool(meta.get("solution"))
    locked = bool(meta.get("locked"))
    for part in (
        source_text(cell),
        str(cell.get("cell_type")),
        str(grade),
        str(solution),
        str(locked),
        str(meta.get("grade_id")),
    ):
        digest.update(part.encode("utf-8"))
    if grade:
        digest.update(str(float(meta["points"])).encode("utf-8"))
    return digest.hexdigest()


def locked_cell_problems(
    project: Project, notebook_name: str, notebook: dict[str, Any], *, stored_checksums: bool
) -> list[str]:
    """Every deleted or edited locked cell of ``notebook`` compared with the release copy.

    A locked cell is intact when nbgrader's checksum of it (source, type, grade flags, id,
    points) equals the release's. With ``stored_checksums`` (for submissions) the checksum
    recorded in the cell's metadata must match too, as nbgrader's autograder expects.
    """
    release = json.loads(
        (release_dir(project.assignment.id) / notebook_name).read_text(encoding="utf-8")
    )
    student_cells: dict[str, dict[str, Any]] = {}
    for cell in notebook["cells"]:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if isinstance(grade_id, str):
            student_cells.setdefault(grade_id, cell)
    problems: list[str] = []
    for original in release["cells"]:
        meta = nbgrader_meta(original)
        if not meta.get("locked"):
            continue
        grade_id = str(meta.get("grade_id"))
        cell = student_cells.get(grade_id)
        if cell is None:
            problems.append(f"locked cell {grade_id!r} was deleted from {notebook_name}")
            continue
        try:
            intact = compute_checksum(cell) == meta.get("checksum")
        except (KeyError, TypeError, ValueError, AttributeError):
            intact = False
        if intact and stored_checksums:
            intact = nbgrader_meta(cell).get("checksum") == meta.get("checksum")
        if not intact:
            problems.append(f"locked cell {grade_id!r} of {notebook_name} was edited")
    return problems


def require_intact(
    project: Project, notebook_name: str, notebook: dict[str, Any], *, stored_checksums: bool
) -> None:
    """Raise an :class:`InputError` naming the first deleted or edited locked cell."""
    problems = locked_cell_problems(
        project, notebook_name, notebook, stored_checksums=stored_checksums
    )
    if not problems:
        return
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    fresh = (
        f"`mlip new {project.assignment.topic} --system {project.assignment.system} "
        "--dir OTHER_FOLDER`"
    )
    if project.release is None:  # marker written before mlip recorded the release
        raise InputError(
            f"{problems[0]}{more}; locked cells must stay as released — undo the change, or if "
            f"this project comes from an older mlip, make a fresh copy with {fresh} and paste "
            "your solution cells into it"
        )
    if not project.from_current_release():
        raise InputError(
            f"{problems[0]}{more}: this project was copied from an older release of "
            f"{project.assignment.id} (mlip {project.kit_version}) and the kit's notebook has "
            f"changed since; make a fresh copy with {fresh} and paste your solution cells into it"
        )
    raise InputError(
        f"{problems[0]}{more}; locked cells must stay as released — undo the change or "
        f"start again from a fresh copy ({fresh})"
    )
