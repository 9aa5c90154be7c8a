"""``mlip submit``: validate a project and zip its notebook(s) for the course's LMS.

Validation mirrors what the autograder relies on: every notebook parses, no locked cell was
deleted or edited, and nbgrader's checksums of the locked cells match the release copy shipped in
the kit. The zip is named after the assignment and never silently replaces an earlier one: a
second submission is numbered (``-2``, ``-3``...) and a warning names both files, unless ``force``
overwrites. The public checks run too (as ``mlip check`` would): when they fail, a warning says
so, but the zip is still written, since handing in partial work before a deadline is legitimate.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlip.errors import InputError
from mlip.notebooks import load_notebook, nbgrader_meta, source_text
from mlip.services._project import load_project, require_intact

__all__ = ["SubmitResult", "submit_project"]


@dataclass(frozen=True)
class SubmitResult:
    """Where the submission zip went and what it holds."""

    assignment: str
    zip_path: str
    notebooks: tuple[str, ...]
    warnings: tuple[str, ...]
    #: Earlier submission zips of this project that were kept (the new one has another name).
    earlier: tuple[str, ...] = ()
    #: Whether the public checks passed; ``None`` when they were not run.
    checks_passed: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {
            "assignment": self.assignment,
            "zip": self.zip_path,
            "notebooks": list(self.notebooks),
            "warnings": list(self.warnings),
            "earlier": list(self.earlier),
            "checks_passed": self.checks_passed,
        }


def _zip_path(directory: Path, assignment_id: str, *, force: bool) -> tuple[Path, list[Path]]:
    """The zip to write and the earlier zips it does not replace."""
    first = directory / f"{assignment_id}-submission.zip"
    if force or not first.exists():
        return first, []
    earlier = [first]
    number = 2
    while (directory / f"{assignment_id}-submission-{number}.zip").exists():
        earlier.append(directory / f"{assignment_id}-submission-{number}.zip")
        number += 1
    return directory / f"{assignment_id}-submission-{number}.zip", earlier


def _public_checks_warning(
    directory: Path, progress: Callable[[int, int, str], None] | None
) -> tuple[bool, str | None]:
    from mlip.services.check import check_project

    try:
        report = check_project(directory=directory, progress=progress)
    except InputError as error:
        return False, f"the public checks could not run ({error}); the zip was written anyway"
    if report.passed:
        return True, None
    failing = [outcome.result.check for outcome in report.outcomes if not outcome.result.passed]
    shown = ", ".join(failing[:3]) + (f" and {len(failing) - 3} more" if len(failing) > 3 else "")
    what = f"failing: {shown}" if failing else "a cell fails"
    return False, (
        f"public checks fail ({report.points:g}/{report.max_points:g} points; {what}); "
        "the zip was written anyway: run `mlip check` to see why"
    )


def _unanswered(notebook: dict[str, Any]) -> list[str]:
    names = []
    for cell in notebook["cells"]:
        meta = nbgrader_meta(cell)
        text = source_text(cell)
        if meta.get("solution") and (
            "raise NotImplementedError" in text or "YOUR ANSWER HERE" in text
        ):
            names.append(str(meta.get("grade_id")))
    return names


def submit_project(
    *,
    directory: Path = Path("."),
    force: bool = False,
    run_checks: bool = True,
    progress: Callable[[int, int, str], None] | None = None,
) -> SubmitResult:
    """Validate the project in ``directory`` and write ``<id>-submission.zip`` next to it.

    An existing zip is kept: the new one is numbered (``-2``, ``-3``...) and a warning names
    both, unless ``force`` overwrites it. With ``run_checks`` the public checks run first
    (``progress`` hears them) and a failure becomes a warning; the zip is written either way.
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
    checks_passed = None
    if run_checks:
        checks_passed, problem = _public_checks_warning(directory, progress)
        if problem:
            warnings.append(problem)
    target, earlier = _zip_path(directory, assignment.id, force=force)
    if earlier:
        names = ", ".join(path.name for path in earlier)
        warnings.append(
            f"kept your earlier submission {names}; this one is {target.name} (upload the "
            "newest, or pass --force to overwrite the first)"
        )
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
        earlier=tuple(str(path) for path in earlier),
        checks_passed=checks_passed,
    )
