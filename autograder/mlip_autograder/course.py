"""A course directory: create it, release assignments, write feedback.

A course is a standard nbgrader course (``source/ release/ submitted/ autograded/ feedback/``,
``gradebook.db``, ``nbgrader_config.py``) plus three files of ours: ``mlip_course.toml`` (sandbox
limits), ``mlip_secret_seed.txt`` (hidden scenarios are drawn from it; never commit it) and the
``.mlip/`` folder (judge results). nbgrader's own commands and formgrader keep working on it.
"""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlip.errors import InputError, UsageError
from mlip_autograder._config import COURSE_TOML, LATE_TOML, SECRET_FILE, default_toml

__all__ = [
    "Course",
    "FeedbackReport",
    "InitReport",
    "ReleaseReport",
    "default_sources",
    "find_course",
    "generate_feedback",
    "init_course",
    "nbgrader_api",
    "release_all",
    "release_assignment",
]

_GITIGNORE = f"""# Written by `mlip course init`: student data and the secret stay out of git.
{SECRET_FILE}
gradebook.db
submitted/
autograded/
feedback/
.mlip/
grades/
"""

_NBGRADER_CONFIG = '''"""nbgrader settings of this course (written by `mlip course init`)."""

import os

from mlip_autograder.preprocessor import register

c = get_config()  # noqa: F821 - provided by nbgrader when it reads this file
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
# System-check cells get their outputs from the trusted judge, and student code runs only in
# the sandbox: this replaces nbgrader's in-kernel Execute step of `autograde`.
register(c)
'''


@dataclass(frozen=True)
class Course:
    """Paths of one course directory."""

    root: Path

    @property
    def source(self) -> Path:
        return self.root / "source"

    @property
    def gradebook(self) -> Path:
        return self.root / "gradebook.db"

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.gradebook}"

    @property
    def secret_path(self) -> Path:
        return self.root / SECRET_FILE

    @property
    def results(self) -> Path:
        return self.root / ".mlip" / "results"

    def secret(self) -> str:
        """The course's secret seed (hidden scenarios are drawn from it)."""
        try:
            return self.secret_path.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise InputError(
                f"{self.secret_path} is missing; hidden checks need the course secret"
            ) from error

    def course_id(self) -> str:
        return self.root.name

    def assignments(self) -> list[str]:
        """Assignment ids that have a source folder."""
        if not self.source.is_dir():
            return []
        return sorted(path.name for path in self.source.iterdir() if path.is_dir())

    def require_assignment(self, assignment_id: str) -> None:
        """Raise a one-line :class:`UsageError` unless ``assignment_id`` has a source folder."""
        known = self.assignments()
        if assignment_id not in known:
            listing = ", ".join(known) or "none"
            raise UsageError(f"no assignment {assignment_id!r} in {self.source}; known: {listing}")


def ensure_scripts_on_path() -> None:
    """nbgrader runs helper programs (``alembic``) by name: make this Python's scripts findable
    even when ``mlip`` was started by its full path with the venv not activated."""
    import os
    import sys

    scripts = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if scripts not in path.split(os.pathsep):
        os.environ["PATH"] = scripts + (os.pathsep + path if path else "")


def find_course(path: Path | None = None) -> Course:
    """The course containing ``path`` (default: the current folder)."""
    start = (path or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / "nbgrader_config.py").exists() and (folder / COURSE_TOML).exists():
            return Course(folder)
    raise UsageError(
        f"{start} is not inside an mlip course (no nbgrader_config.py and {COURSE_TOML}); "
        "create one with `mlip course init DIR` or pass --course DIR"
    )


def default_sources() -> Path:
    """Where the kit's nbgrader sources live: inside the installed wheel (``sources/``, copied
    from ``assignments/`` at build time), or ``assignments/`` of a developer checkout."""
    packaged = Path(__file__).resolve().with_name("sources")
    if packaged.is_dir():
        return packaged
    import mlip

    return Path(mlip.__file__).resolve().parent.parent / "assignments"


def _source_folders(sources: Path | None) -> dict[str, Path]:
    """Assignment id -> nbgrader source folder: the ``<id>/`` folders of ``sources``, or (by
    default) every assignment registered under ``mlip_autograder.grading``."""
    if sources is None:
        from mlip_autograder.hidden import source_folders

        return source_folders()
    sources = sources.resolve()
    if not sources.is_dir():
        return {}
    return {
        path.name: path
        for path in sorted(sources.glob("*"))
        if path.is_dir() and any(path.glob("*.ipynb"))
    }


@dataclass(frozen=True)
class InitReport:
    """What ``init`` created."""

    course: str
    assignments: tuple[str, ...]
    secret_file: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "course": self.course,
            "assignments": list(self.assignments),
            "secret_file": self.secret_file,
        }


def init_course(
    *, directory: Path, sources: Path | None = None, assignments: tuple[str, ...] = ()
) -> InitReport:
    """Create a course in ``directory`` (which must not exist or be empty)."""
    from nbgrader.api import Gradebook

    ensure_scripts_on_path()
    directory = directory.resolve()
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise UsageError(f"{directory} already exists and is not empty; refusing to overwrite it")
    folders = _source_folders(sources)
    available = sorted(folders)
    chosen = list(assignments) or available
    missing = [name for name in chosen if name not in available]
    if missing or not chosen:
        listing = ", ".join(available) or "none"
        where = sources.resolve() if sources is not None else "the registered assignments"
        raise UsageError(
            f"no nbgrader sources for {', '.join(missing) or 'any assignment'} in {where}; "
            f"available: {listing}"
        )
    directory.mkdir(parents=True, exist_ok=True)
    course = Course(directory)
    for name in chosen:
        shutil.copytree(
            folders[name],
            course.source / name,
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
        )
    (directory / "nbgrader_config.py").write_text(
        _NBGRADER_CONFIG.format(course_id=directory.name), encoding="utf-8"
    )
    (directory / COURSE_TOML).write_text(default_toml() + LATE_TOML, encoding="utf-8")
    (directory / ".gitignore").write_text(_GITIGNORE, encoding="utf-8")
    course.secret_path.write_text(secrets.token_hex(16) + "\n", encoding="utf-8")
    course.secret_path.chmod(0o600)
    with Gradebook(course.db_url, course.course_id()):
        pass
    return InitReport(str(directory), tuple(chosen), str(course.secret_path))


def nbgrader_api(course: Course) -> Any:
    """nbgrader's Python API bound to ``course`` with the course's own ``nbgrader_config.py``."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    ensure_scripts_on_path()
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course.root)).load_config()
    config.CourseDirectory.root = str(course.root)
    coursedir = CourseDirectory(config=config)
    return NbGraderAPI(coursedir=coursedir, config=config)


def _log_tail(result: dict[str, Any]) -> str:
    text = str(result.get("error") or result.get("log") or "").strip().splitlines()
    useful = [line for line in text if "ERROR" in line or "Error" in line] or text
    return useful[-1] if useful else "no details"


@dataclass(frozen=True)
class ReleaseReport:
    """Where the release copy went."""

    assignment: str
    release_dir: str
    notebooks: tuple[str, ...]
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "assignment": self.assignment,
            "release_dir": self.release_dir,
            "notebooks": list(self.notebooks),
            "warnings": list(self.warnings),
        }


def _missing_hidden_families(assignment_id: str) -> tuple[str, ...]:
    """Hidden checks the catalogue declares but this autograder cannot run (graded 0)."""
    from mlip.assignments import assignment_ids, get_assignment
    from mlip_autograder.hidden import families_of

    if assignment_id not in assignment_ids():
        return ()
    known = {family.name for family in families_of(assignment_id)}
    return tuple(
        f"hidden check {check.name!r} has no family in this autograder: its cells score 0"
        for check in get_assignment(assignment_id).hidden_checks
        if check.name not in known
    )


def release_assignment(*, course: Course, assignment_id: str) -> ReleaseReport:
    """Run nbgrader ``generate_assignment``: the release folder students download."""
    course.require_assignment(assignment_id)
    result = nbgrader_api(course).generate_assignment(assignment_id, force=True, create=True)
    if not result.get("success"):
        raise InputError(
            f"nbgrader generate_assignment failed for {assignment_id}: {_log_tail(result)}"
        )
    _record_due_date(course, assignment_id)
    release = course.root / "release" / assignment_id
    return ReleaseReport(
        assignment_id,
        str(release),
        tuple(sorted(path.name for path in release.glob("*.ipynb"))),
        _missing_hidden_families(assignment_id),
    )


def _record_due_date(course: Course, assignment_id: str) -> None:
    """Copy the due date of ``mlip_course.toml`` into nbgrader's gradebook, so formgrader shows
    the date the course's late policy (the one source of truth) uses."""
    from datetime import UTC

    from nbgrader.api import Gradebook

    from mlip_autograder._config import late_policy

    due = late_policy(course.root, assignment_id).due
    with Gradebook(course.db_url, course.course_id()) as gradebook:
        gradebook.update_or_create_assignment(
            assignment_id, duedate=None if due is None else due.astimezone(UTC).replace(tzinfo=None)
        )


def release_all(*, course: Course) -> tuple[ReleaseReport, ...]:
    """Release every assignment of the course (``mlip course release --all``)."""
    names = course.assignments()
    if not names:
        raise UsageError(f"no assignments in {course.source}")
    return tuple(release_assignment(course=course, assignment_id=name) for name in names)


@dataclass(frozen=True)
class FeedbackReport:
    """Feedback files written per student."""

    assignment: str
    files: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"assignment": self.assignment, "files": list(self.files)}


def generate_feedback(*, course: Course, assignment_id: str) -> FeedbackReport:
    """nbgrader feedback HTML for every autograded student of ``assignment_id``, made inert:
    student markdown and outputs sanitised, and a Content-Security-Policy that forbids scripts
    (:mod:`mlip_autograder._inert`)."""
    from mlip_autograder._inert import add_csp
    from mlip_autograder.preprocessor import register

    course.require_assignment(assignment_id)
    api = nbgrader_api(course)
    register(
        api.config
    )  # the kit's feedback steps, also for an nbgrader_config.py that predates them
    result = api.generate_feedback(assignment_id, force=True)
    if not result.get("success"):
        raise InputError(
            f"nbgrader generate_feedback failed for {assignment_id}: {_log_tail(result)}"
        )
    files = sorted((course.root / "feedback").glob(f"*/{assignment_id}/*.html"))
    for path in files:
        add_csp(path)
    return FeedbackReport(assignment_id, tuple(str(path) for path in files))
