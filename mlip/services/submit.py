"""``mlip submit``: validate a project and zip its notebook(s) for the course's LMS.

Validation mirrors what the autograder relies on: every notebook parses, no locked cell was
deleted or edited, and nbgrader's checksums of the locked cells match the release copy shipped in
the kit. The zip is named after the assignment and never silently replaces an earlier one.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlip.errors import InputError
from mlip.services._project import load_notebook, load_project, nbgrader_meta, require_intact

__all__ = ["SubmitResult", "submit_project"]


@dataclass(frozen=True)
class SubmitResult:
    """Where the submission zip went and what it holds."""

    assignment: str
    zip_path: str
    notebooks: tuple[str, ...]
    warnings: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {
            "assignment": self.assignment,
            "zip": self.zip_path,
            "notebooks": list(self.notebooks),
            "warnings": list(self.warnings),
        }


def _zip_path(directory: Path, assignment_id: str, *, force: bool) -> Path:
    first = directory / f"{assignment_id}-submission.zip"
    if force or not first.exists():
        return first
    number = 2
    while (directory / f"{assignment_id}-submission-{number}.zip").exists():
        number += 1
    return directory / f"{assignment_id}-submission-{number}.zip"


def _unanswered(notebook: dict[str, Any]) -> list[str]:
    names = []
    for cell in notebook["cells"]:
        meta = nbgrader_meta(cell)
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        if meta.get("solution") and (
            "raise NotImplementedError" in text or "YOUR ANSWER HERE" in text
        ):
            names.append(str(meta.get("grade_id")))
    return names


def submit_project(*, directory: Path = Path("."), force: bool = False) -> SubmitResult:
    """Validate the project in ``directory`` and write ``<id>-submission.zip`` next to it.

    An existing zip is kept: the new one is numbered (``-2``, ``-3``...) unless ``force``.
    """
    project = load_project(directory)
    assignment = project.assignment
    warnings: list[str] = []
    for name in assignment.notebooks:
        notebook = load_notebook(project.notebook_path(name))
        require_intact(project, name, notebook, stored_checksums=True)
        unanswered = _unanswered(notebook)
        if unanswered:
            warnings.append(f"{name}: still unanswered: {', '.join(unanswered)}")
    target = _zip_path(directory, assignment.id, force=force)
    try:
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name in assignment.notebooks:
                archive.write(project.notebook_path(name), arcname=name)
    except OSError as error:
        raise InputError(f"could not write {target}: {error}") from None
    return SubmitResult(
        assignment=assignment.id,
        zip_path=str(target),
        notebooks=assignment.notebooks,
        warnings=tuple(warnings),
    )
