"""Import submissions from an LMS bulk download into ``submitted/`` (nbgrader layout).

Accepted sources:

- a **zip** from the LMS with one entry per student: either a notebook or a zip (e.g. the
  ``ID-submission.zip`` that ``mlip submit`` makes) holding the notebook(s);
- a **folder** with the same kind of files, or already in nbgrader layout
  (``STUDENT/ASSIGNMENT/*.ipynb``).

The student id is the file name up to its first underscore (``alice_1234_guards.ipynb`` ->
``alice``), or the whole stem without one (``alice.ipynb``), or the top folder in nbgrader layout.
Ids may contain letters, digits, ``.`` and ``-``. Entries with absolute or ``..`` paths
(zip-slip), symbolic links, files over the size limit and anything that is not a notebook are
refused with a message naming the student or file. When a student has several submissions the
newest one wins (zip timestamp or file time), and replacing an earlier one is reported.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

from mlip.errors import InputError
from mlip_autograder.course import Course

__all__ = ["MAX_NOTEBOOK_BYTES", "CollectEntry", "CollectReport", "collect"]

MAX_NOTEBOOK_BYTES = 5 * 1024 * 1024
_STUDENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]*$")


@dataclass(frozen=True)
class CollectEntry:
    """What happened to one file of the source."""

    student: str
    file: str
    action: str  # "added", "replaced", "kept", "refused"
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "student": self.student,
            "file": self.file,
            "action": self.action,
            "message": self.message,
        }


@dataclass(frozen=True)
class CollectReport:
    """Everything ``collect`` did."""

    assignment: str
    entries: tuple[CollectEntry, ...]

    @property
    def students(self) -> tuple[str, ...]:
        return tuple(sorted({e.student for e in self.entries if e.action in ("added", "replaced")}))

    def to_dict(self) -> dict[str, Any]:
        return {
            "assignment": self.assignment,
            "students": list(self.students),
            "entries": [entry.to_dict() for entry in self.entries],
        }


@dataclass
class _Candidate:
    student: str
    file: str
    notebooks: dict[str, bytes]
    timestamp: datetime


class _Refused(Exception):
    pass


def _student_of(name: str) -> str:
    stem = PurePosixPath(name).name
    for suffix in (".ipynb", ".zip"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    student = stem.split("_", 1)[0]
    if not _STUDENT.match(student):
        raise _Refused(f"cannot read a student id from the file name {name!r}")
    return student


def _safe_member(info: zipfile.ZipInfo) -> None:
    path = PurePosixPath(info.filename.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", info.filename):
        raise _Refused(f"unsafe path {info.filename!r} in the zip (zip-slip)")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise _Refused(f"{info.filename!r} is a symbolic link")
    if info.file_size > MAX_NOTEBOOK_BYTES * 4:
        raise _Refused(f"{info.filename!r} is too large ({info.file_size} bytes)")


def _notebook_bytes(name: str, data: bytes) -> bytes:
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise _Refused(f"{name!r} is too large ({len(data)} bytes; limit {MAX_NOTEBOOK_BYTES})")
    try:
        notebook = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _Refused(f"{name!r} is not a notebook (not JSON)") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise _Refused(f"{name!r} is not a notebook (no cells)")
    return data


def _zip_time(info: zipfile.ZipInfo) -> datetime:
    try:
        return datetime(*info.date_time, tzinfo=timezone.utc)
    except ValueError:
        return datetime(1980, 1, 1, tzinfo=timezone.utc)


def _inner_notebooks(name: str, data: bytes) -> dict[str, bytes]:
    """Notebooks inside a student's own zip (checked for zip-slip, links, size)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise _Refused(f"{name!r} is not a valid zip") from None
    notebooks: dict[str, bytes] = {}
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            _safe_member(info)
            if not info.filename.endswith(".ipynb") or "/." in "/" + info.filename:
                continue
            if info.file_size > MAX_NOTEBOOK_BYTES:
                raise _Refused(f"{info.filename!r} in {name!r} is too large")
            notebooks[PurePosixPath(info.filename).name] = _notebook_bytes(
                info.filename, archive.read(info)
            )
    if not notebooks:
        raise _Refused(f"{name!r} holds no notebook")
    return notebooks


def _candidate(
    name: str, data: bytes, timestamp: datetime, student: str | None = None
) -> _Candidate:
    who = student or _student_of(name)
    lower = name.lower()
    if lower.endswith(".ipynb"):
        notebooks = {PurePosixPath(name).name: _notebook_bytes(name, data)}
    elif lower.endswith(".zip"):
        notebooks = _inner_notebooks(name, data)
    else:
        raise _Refused(f"{name!r} is not a notebook or a zip")
    return _Candidate(who, name, notebooks, timestamp)


def _from_zip(source: Path, entries: list[CollectEntry]) -> list[_Candidate]:
    candidates: list[_Candidate] = []
    try:
        archive = zipfile.ZipFile(source)
    except (OSError, zipfile.BadZipFile) as error:
        raise InputError(f"{source}: not a readable zip ({error})") from error
    with archive:
        for info in archive.infolist():
            if info.is_dir() or PurePosixPath(info.filename).name.startswith((".", "__MACOSX")):
                continue
            try:
                _safe_member(info)
                if info.file_size > MAX_NOTEBOOK_BYTES and not info.filename.endswith(".zip"):
                    raise _Refused(f"{info.filename!r} is too large ({info.file_size} bytes)")
                candidates.append(_candidate(info.filename, archive.read(info), _zip_time(info)))
            except _Refused as refused:
                entries.append(
                    CollectEntry(_guess(info.filename), info.filename, "refused", str(refused))
                )
    return candidates


def _guess(name: str) -> str:
    try:
        return _student_of(name)
    except _Refused:
        return "?"


def _file_time(path: Path) -> datetime:
    return datetime.fromtimestamp(path.lstat().st_mtime, tz=timezone.utc)


def _from_folder(source: Path, assignment_id: str, entries: list[CollectEntry]) -> list[_Candidate]:
    candidates: list[_Candidate] = []
    for path in sorted(source.iterdir()):
        if path.name.startswith("."):
            continue
        try:
            if path.is_symlink():
                raise _Refused(f"{path.name!r} is a symbolic link")
            if path.is_dir():
                folder = path / assignment_id
                if not folder.is_dir() or folder.is_symlink():
                    raise _Refused(f"{path.name}/ has no {assignment_id}/ folder")
                notebooks: dict[str, bytes] = {}
                for notebook in sorted(folder.iterdir()):
                    if notebook.is_symlink():
                        raise _Refused(f"{notebook.name!r} of {path.name} is a symbolic link")
                    if notebook.suffix == ".ipynb" and notebook.is_file():
                        if notebook.stat().st_size > MAX_NOTEBOOK_BYTES:
                            raise _Refused(f"{notebook.name!r} of {path.name} is too large")
                        notebooks[notebook.name] = _notebook_bytes(
                            notebook.name, notebook.read_bytes()
                        )
                if not notebooks:
                    raise _Refused(f"{path.name}/{assignment_id}/ holds no notebook")
                if not _STUDENT.match(path.name):
                    raise _Refused(f"{path.name!r} is not a usable student id")
                candidates.append(_Candidate(path.name, path.name, notebooks, _file_time(folder)))
            else:
                if path.stat().st_size > MAX_NOTEBOOK_BYTES * 4:
                    raise _Refused(f"{path.name!r} is too large")
                candidates.append(_candidate(path.name, path.read_bytes(), _file_time(path)))
        except _Refused as refused:
            entries.append(CollectEntry(_guess(path.name), path.name, "refused", str(refused)))
    return candidates


def _notebook_names(course: Course, assignment_id: str) -> list[str]:
    return sorted(path.name for path in (course.source / assignment_id).glob("*.ipynb"))


def _rename(candidate: _Candidate, expected: list[str]) -> dict[str, bytes]:
    """Map uploaded notebook names to the assignment's (LMS tools rename files)."""
    if len(expected) == 1 and len(candidate.notebooks) == 1:
        return {expected[0]: next(iter(candidate.notebooks.values()))}
    renamed = {}
    for name, data in candidate.notebooks.items():
        match = next((e for e in expected if name == e or name.endswith("_" + e)), None)
        if match is not None:
            renamed[match] = data
    if not renamed:
        raise _Refused(f"none of the notebooks in {candidate.file!r} is one of {expected}")
    return renamed


def collect(*, course: Course, assignment_id: str, source: Path) -> CollectReport:
    """Import the submissions in ``source`` (zip or folder) into ``submitted/``."""
    from nbgrader.api import Gradebook

    course.require_assignment(assignment_id)
    if not source.exists():
        raise InputError(f"{source} does not exist")
    entries: list[CollectEntry] = []
    if source.is_dir():
        candidates = _from_folder(source, assignment_id, entries)
    else:
        candidates = _from_zip(source, entries)
    newest: dict[str, _Candidate] = {}
    for candidate in sorted(candidates, key=lambda c: (c.student, c.timestamp, c.file)):
        previous = newest.get(candidate.student)
        if previous is not None:
            entries.append(
                CollectEntry(
                    candidate.student,
                    previous.file,
                    "kept",
                    f"older than {candidate.file!r}; the newer one is used",
                )
            )
        newest[candidate.student] = candidate
    expected = _notebook_names(course, assignment_id)
    with Gradebook(course.db_url, course.course_id()) as gradebook:
        for student, candidate in sorted(newest.items()):
            try:
                notebooks = _rename(candidate, expected)
            except _Refused as refused:
                entries.append(CollectEntry(student, candidate.file, "refused", str(refused)))
                continue
            folder = course.root / "submitted" / student / assignment_id
            action, message = "added", "new submission"
            if folder.exists():
                previous_time = _read_timestamp(folder)
                if previous_time is not None and previous_time > candidate.timestamp:
                    entries.append(
                        CollectEntry(
                            student, candidate.file, "kept", "an existing newer submission is kept"
                        )
                    )
                    continue
                action, message = "replaced", "replaced the previous submission"
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
            for name, data in notebooks.items():
                (folder / name).write_bytes(data)
            (folder / "timestamp.txt").write_text(
                candidate.timestamp.strftime("%Y-%m-%d %H:%M:%S.%f %Z"), encoding="utf-8"
            )
            gradebook.update_or_create_student(student)
            entries.append(CollectEntry(student, candidate.file, action, message))
    return CollectReport(assignment_id, tuple(entries))


def _read_timestamp(folder: Path) -> datetime | None:
    from nbgrader.utils import parse_utc

    try:
        text = (folder / "timestamp.txt").read_text(encoding="utf-8").strip()
        parsed = parse_utc(text)
    except (OSError, ValueError):
        return None
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed
