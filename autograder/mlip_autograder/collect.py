"""Import submissions from an LMS bulk export into ``submitted/`` (nbgrader layout).

The export (a zip, or the folder it unzips to) is recognised from its layout - Canvas, Moodle,
Gradescope, Blackboard or a plain ``student/notebook.ipynb`` tree (see :mod:`._exports`) - or
named with ``export_format``. Students are keyed by the LMS's stable id, never by display name;
their names and emails go to nbgrader's gradebook. When a roster was imported
(:mod:`.roster`), submissions of students it does not list are refused, not invented.

Every entry is read in its own try, within :class:`CollectLimits` (entry count, total size,
entry size, folder depth, JSON depth): an unreadable, unsafe (zip-slip, symbolic link), oversized
or foreign entry is refused with a one-line reason and the others are collected. A notebook
whose nbgrader cells are not the assignment's is refused naming the assignment it matches.
When a student has several submissions the newest wins (the LMS's stated time, else the zip
entry's or the file's time), and each older one is reported.

For each submission taken, ``submitted/STUDENT/ASSIGNMENT/timestamp.txt`` holds the submission
time in nbgrader's format (so nbgrader's own late-penalty machinery sees it), and
``.mlip/collected/ASSIGNMENT.json`` records what collect learned (see :func:`collected_path`).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from mlip.errors import InputError, UsageError
from mlip_autograder._exports import (
    FORMATS,
    CollectLimits,
    Entry,
    ExportSource,
    Identity,
    Refusal,
    Submission,
    detect,
    iter_inner_zip,
    read_submissions,
    usable_id,
)
from mlip_autograder._store import read_json, write_json_atomic
from mlip_autograder.course import Course, default_sources
from mlip_autograder.roster import RosterIndex, load_roster, split_name

__all__ = [
    "FORMATS",
    "MAX_NOTEBOOK_BYTES",
    "CollectEntry",
    "CollectLimits",
    "CollectReport",
    "collect",
    "collected_path",
]

MAX_NOTEBOOK_BYTES = CollectLimits().max_notebook_bytes
#: nbgrader's timestamp format (``ExchangeSubmit.timestamp_format``); the time is UTC.
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"
#: A submitted notebook is the assignment's when at least this share of its nbgrader cell ids
#: are the release's.
MIN_SHARED_CELLS = 0.5


@dataclass(frozen=True)
class CollectEntry:
    """What happened to one entry (or one submission) of the export."""

    student: str
    file: str
    action: str  # "added", "replaced", "kept", "refused", "ignored"
    message: str
    name: str = ""
    submitted: str = ""  #: ISO 8601 (UTC) submission time, "" when unknown
    late: bool | None = None  #: the LMS's own late marker; None when the export has none

    def to_dict(self) -> dict[str, Any]:
        return {
            "student": self.student,
            "name": self.name,
            "file": self.file,
            "submitted": self.submitted,
            "late": self.late,
            "action": self.action,
            "message": self.message,
        }


@dataclass(frozen=True)
class CollectReport:
    """Everything ``collect`` did."""

    assignment: str
    entries: tuple[CollectEntry, ...]
    export_format: str = ""
    collected_file: str = ""

    @property
    def students(self) -> tuple[str, ...]:
        return tuple(sorted({e.student for e in self.entries if e.action in ("added", "replaced")}))

    @property
    def refused(self) -> tuple[CollectEntry, ...]:
        return tuple(entry for entry in self.entries if entry.action == "refused")

    @property
    def ok(self) -> bool:
        """True when nothing was refused (the CLI exits 1 otherwise)."""
        return not self.refused

    def to_dict(self) -> dict[str, Any]:
        return {
            "assignment": self.assignment,
            "format": self.export_format,
            "students": list(self.students),
            "refused": len(self.refused),
            "collected_file": self.collected_file,
            "entries": [entry.to_dict() for entry in self.entries],
        }


def collected_path(course: Course, assignment_id: str) -> Path:
    """``.mlip/collected/ASSIGNMENT.json``: what collect learned about each submission.

    Schema (``"schema": 1``)::

        {"schema": 1, "assignment": ID,
         "students": {STUDENT_ID: {
             "student": STUDENT_ID,          # the folder under submitted/, the gradebook id
             "name": str, "email": str,      # "" when the export/roster has none
             "lms": "canvas"|"moodle"|"gradescope"|"blackboard"|"folder",
             "lms_user_id": str,             # the id the LMS used in the export
             "file": str,                    # the export entry (or folder) taken
             "notebooks": [str],             # names written to submitted/STUDENT/ID/
             "submitted_at": ISO 8601 UTC,   # also in submitted/STUDENT/ID/timestamp.txt
             "time_source": "lms"|"zip entry"|"file",  # "lms": stated by the export
             "late": true|false|null,        # the LMS's own marker; null: export has none
             "export": str, "collected_at": ISO 8601 UTC}}}

    Collects merge into it: a student's record is replaced only when their submission is.
    """
    return course.root / ".mlip" / "collected" / f"{assignment_id}.json"


# --- notebooks --------------------------------------------------------------------------------


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return False


def grade_ids(notebook: dict[str, Any]) -> frozenset[str]:
    """The nbgrader cell ids of a notebook (what ties it to one assignment)."""
    ids = set()
    for cell in notebook.get("cells", []):
        meta = cell.get("metadata") if isinstance(cell, dict) else None
        nbgrader = meta.get("nbgrader") if isinstance(meta, dict) else None
        if isinstance(nbgrader, dict) and isinstance(nbgrader.get("grade_id"), str):
            ids.add(nbgrader["grade_id"])
    return frozenset(ids)


def _parse_notebook(data: bytes, limits: CollectLimits) -> frozenset[str]:
    """Check ``data`` is a notebook within the limits; return its nbgrader cell ids."""
    try:
        notebook = json.loads(data.decode("utf-8"))
    except RecursionError:
        raise Refusal(f"is nested too deeply (JSON depth over {limits.max_json_depth})") from None
    except (UnicodeDecodeError, ValueError):
        raise Refusal("is not a notebook (not JSON)") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise Refusal("is not a notebook (no cells)")
    if _depth_exceeds(notebook, limits.max_json_depth):
        raise Refusal(f"is nested too deeply (JSON depth over {limits.max_json_depth})")
    return grade_ids(notebook)


@dataclass(frozen=True)
class _Notebook:
    """A notebook found in a submission: where to read it again and its cell ids."""

    name: str
    entry: Entry
    inner: str | None  #: member of the student's own zip, None for a plain notebook
    ids: frozenset[str]


@dataclass
class _Candidate:
    submission: Submission
    student: str
    name: str
    email: str
    notebooks: list[_Notebook] = field(default_factory=list)


class _Assignments:
    """nbgrader cell ids of every assignment the course (or the kit) knows, read once each."""

    def __init__(self, course: Course, assignment_id: str) -> None:
        self.course = course
        self.assignment_id = assignment_id
        self._cache: dict[str, dict[str, frozenset[str]]] = {}

    def folders(self, assignment: str) -> list[Path]:
        return [
            self.course.root / "release" / assignment,
            self.course.source / assignment,
            default_sources() / assignment,
        ]

    def notebooks(self, assignment: str) -> dict[str, frozenset[str]]:
        """notebook name -> cell ids, from the first of release/, source/, the kit's sources."""
        if assignment not in self._cache:
            found: dict[str, frozenset[str]] = {}
            for folder in self.folders(assignment):
                for path in sorted(folder.glob("*.ipynb")) if folder.is_dir() else []:
                    try:
                        found.setdefault(
                            path.name, grade_ids(json.loads(path.read_text(encoding="utf-8")))
                        )
                    except (OSError, ValueError, AttributeError):
                        continue
                if found:
                    break
            self._cache[assignment] = found
        return self._cache[assignment]

    def expected(self) -> frozenset[str]:
        return frozenset().union(*self.notebooks(self.assignment_id).values())

    def others(self) -> list[str]:
        names = set(self.course.assignments())
        for base in (self.course.root / "release", default_sources()):
            if base.is_dir():
                names.update(p.name for p in base.iterdir() if p.is_dir() and p.name[0] != "_")
        names.discard(self.assignment_id)
        return sorted(names)

    def check(self, ids: frozenset[str]) -> None:
        """Refuse a notebook whose cells are mostly not the assignment's, naming its own."""
        expected = self.expected()
        if not ids or not expected:
            return
        if len(ids & expected) >= MIN_SHARED_CELLS * len(ids):
            return
        best, score = "", 0.0
        for other in self.others():
            theirs = frozenset().union(*self.notebooks(other).values())
            if theirs:
                similarity = len(ids & theirs) / len(ids | theirs)
                if similarity > score:
                    best, score = other, similarity
        if best and score > len(ids & expected) / len(ids | expected):
            raise Refusal(
                f"is a notebook of {best}, not {self.assignment_id} "
                "(its nbgrader cells match that release)"
            )
        raise Refusal(f"is not a notebook of {self.assignment_id} (its nbgrader cells differ)")


# --- collect ----------------------------------------------------------------------------------


def _zone(name: str) -> tzinfo:
    if name.upper() == "UTC":
        return UTC
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"unknown time zone {name!r} (use an IANA name, e.g. America/New_York)"
        ) from None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class _Collector:
    def __init__(
        self,
        course: Course,
        assignment_id: str,
        export: ExportSource,
        export_format: str,
        roster: RosterIndex | None,
    ) -> None:
        self.course = course
        self.assignment_id = assignment_id
        self.export = export
        self.export_format = export_format
        self.roster = roster
        self.limits = export.limits
        self.assignments = _Assignments(course, assignment_id)
        self.rows: list[CollectEntry] = []

    def refuse(self, student: str, file: str, message: str, name: str = "") -> None:
        self.rows.append(CollectEntry(student, file, "refused", message, name=name))

    def identify(self, submission: Submission) -> _Candidate | None:
        identity: Identity = submission.identity
        if self.roster is not None:
            known = self.roster.resolve(identity)
            if known is None:
                self.refuse(
                    identity.id or "?",
                    submission.label,
                    f"not in the roster ({self.export_format} id {identity.id or '?'}); import "
                    "an updated roster and collect again",
                    identity.name,
                )
                return None
            return _Candidate(
                submission, known.id, known.name or identity.name, known.email or identity.email
            )
        if not usable_id(identity.id):
            self.refuse("?", submission.label, f"cannot read a student id ({identity.id!r})")
            return None
        return _Candidate(submission, identity.id, identity.name, identity.email)

    def notebooks_of(self, candidate: _Candidate) -> None:
        """Read each file of the submission in its own try; keep the notebooks that pass."""
        submission = candidate.submission
        refused_before = len(self.rows)
        others: list[Entry] = []
        for entry in submission.files:
            lower = entry.name.lower()
            try:
                if lower.endswith(".ipynb"):
                    data = self.export.read(entry, self.limits.max_notebook_bytes)
                    ids = _parse_notebook(data, self.limits)
                    del data
                    self.assignments.check(ids)
                    candidate.notebooks.append(_Notebook(entry.name, entry, None, ids))
                elif lower.endswith(".zip"):
                    self._inner(candidate, entry)
                else:
                    others.append(entry)
            except Refusal as refusal:
                self.refuse(
                    candidate.student, entry.raw, f"{entry.name!r} {refusal}", candidate.name
                )
            except Exception as error:  # one bad entry never stops the collect
                self.refuse(
                    candidate.student,
                    entry.raw,
                    f"{entry.name!r} cannot be read ({type(error).__name__})",
                    candidate.name,
                )
        if candidate.notebooks:
            for entry in [*others, *submission.ignored]:
                self.rows.append(
                    CollectEntry(
                        candidate.student,
                        entry.raw,
                        "ignored",
                        "not a notebook; the submission's notebook is used",
                        name=candidate.name,
                    )
                )
            return
        for entry in others:
            self.refuse(
                candidate.student,
                entry.raw,
                f"{entry.name!r} is not a notebook or a zip",
                candidate.name,
            )
        if len(self.rows) == refused_before:
            self.refuse(candidate.student, submission.label, "holds no notebook", candidate.name)

    def _inner(self, candidate: _Candidate, entry: Entry) -> None:
        data = self.export.read(entry, self.limits.max_archive_bytes)
        found = refused = 0
        for inner, content in iter_inner_zip(entry.name, data, self.limits):
            if isinstance(content, Refusal):
                refused += 1
                self.refuse(candidate.student, f"{entry.raw}:{inner}", str(content), candidate.name)
                continue
            try:
                ids = _parse_notebook(content, self.limits)
                self.assignments.check(ids)
            except Refusal as refusal:
                refused += 1
                self.refuse(
                    candidate.student,
                    f"{entry.raw}:{inner}",
                    f"{inner!r} {refusal}",
                    candidate.name,
                )
                continue
            found += 1
            candidate.notebooks.append(_Notebook(inner.rsplit("/", 1)[-1], entry, inner, ids))
        if not found and not refused:
            raise Refusal("holds no notebook")

    def bytes_of(self, notebook: _Notebook) -> bytes:
        if notebook.inner is None:
            return self.export.read(notebook.entry, self.limits.max_notebook_bytes)
        data = self.export.read(notebook.entry, self.limits.max_archive_bytes)
        for inner, content in iter_inner_zip(notebook.entry.name, data, self.limits):
            if inner == notebook.inner and isinstance(content, bytes):
                return content
        raise Refusal(f"{notebook.inner!r} could not be read again")

    def target_names(self, candidate: _Candidate) -> dict[str, _Notebook]:
        """Map the submission's notebooks to the assignment's names (LMSs rename files)."""
        expected = self.assignments.notebooks(self.assignment_id) or {
            p.name: frozenset() for p in (self.course.source / self.assignment_id).glob("*.ipynb")
        }
        chosen: dict[str, _Notebook] = {}
        ordered = sorted(candidate.notebooks, key=lambda n: (n.entry.time, n.entry.raw))
        for notebook in ordered:  # newest last, so it wins a name
            target = _match_name(notebook, expected)
            if target is None and len(expected) == 1 and len(candidate.notebooks) == 1:
                target = next(iter(expected))
            if target is not None:
                chosen[target] = notebook
        if not chosen:
            raise Refusal(f"none of its notebooks is one of {sorted(expected)}")
        return chosen


def _match_name(notebook: _Notebook, expected: dict[str, frozenset[str]]) -> str | None:
    name = re.sub(r"-\d+(?=\.ipynb$)", "", notebook.name)  # Canvas's resubmission suffix
    for target in expected:
        if name == target or name.endswith("_" + target):
            return target
    best, share = None, 0.0
    for target, ids in expected.items():
        if notebook.ids and ids:
            overlap = len(notebook.ids & ids) / len(notebook.ids)
            if overlap >= MIN_SHARED_CELLS and overlap > share:
                best, share = target, overlap
    return best


def collect(
    *,
    course: Course,
    assignment_id: str,
    source: Path,
    export_format: str | None = None,
    zone: str = "UTC",
    limits: CollectLimits | None = None,
) -> CollectReport:
    """Import the submissions in ``source`` (an LMS export, zip or folder) into ``submitted/``.

    ``zone`` is the time zone of times the export states without one (zip entry times,
    Blackboard's attempt names): the LMS server's zone.
    """
    course.require_assignment(assignment_id)
    if export_format is not None and export_format not in FORMATS:
        raise UsageError(f"unknown format {export_format!r}; known: {', '.join(FORMATS)}")
    if not source.exists():
        raise InputError(f"{source} does not exist")
    tz = _zone(zone)
    students = load_roster(course)
    roster = RosterIndex(students) if students is not None else None
    with ExportSource(source, limits=limits or CollectLimits(), zone=tz) as export:
        export.unwrap(export_format)
        chosen_format = export_format or detect(export.entries)
        submissions, unowned = read_submissions(export, chosen_format, assignment_id)
        collector = _Collector(course, assignment_id, export, chosen_format, roster)
        for file, reason in export.refusals:
            collector.refuse("?", file, reason)
        for student, file, reason in unowned:
            collector.refuse(student, file, reason)
        newest = _newest(collector, submissions)
        records = _write(collector, newest, source)
    path = collected_path(course, assignment_id)
    if records:
        _merge_collected(path, assignment_id, records)
    rows = sorted(collector.rows, key=lambda row: (row.student, row.file, row.action))
    return CollectReport(assignment_id, tuple(rows), chosen_format, str(path) if records else "")


def _candidates(collector: _Collector, submissions: list[Submission]) -> Iterator[_Candidate]:
    for submission in submissions:
        candidate = collector.identify(submission)
        if candidate is None:
            continue
        collector.notebooks_of(candidate)
        if candidate.notebooks:
            yield candidate


def _newest(collector: _Collector, submissions: list[Submission]) -> dict[str, _Candidate]:
    newest: dict[str, _Candidate] = {}

    def order(c: _Candidate) -> tuple[datetime, int, str]:
        return (c.submission.time, c.submission.sequence, c.submission.label)

    for candidate in _candidates(collector, submissions):
        previous = newest.get(candidate.student)
        if previous is None:
            newest[candidate.student] = candidate
            continue
        older, newer = sorted((previous, candidate), key=order)
        collector.rows.append(
            CollectEntry(
                older.student,
                older.submission.label,
                "kept",
                f"older than {newer.submission.label!r}; the newer one is used",
                name=older.name,
                submitted=_iso(older.submission.time),
                late=older.submission.late,
            )
        )
        newest[candidate.student] = newer
    return newest


def _write(
    collector: _Collector, newest: dict[str, _Candidate], source: Path
) -> dict[str, dict[str, Any]]:
    from nbgrader.api import Gradebook, MissingEntry

    course, assignment_id = collector.course, collector.assignment_id
    records: dict[str, dict[str, Any]] = {}
    with Gradebook(course.db_url, course.course_id()) as gradebook:
        for student, candidate in sorted(newest.items()):
            submission = candidate.submission
            row = {
                "name": candidate.name,
                "submitted": _iso(submission.time),
                "late": submission.late,
            }
            folder = course.root / "submitted" / student / assignment_id
            try:
                named = collector.target_names(candidate)
                if folder.exists():
                    previous_time = _read_timestamp(folder)
                    if previous_time is not None and previous_time > submission.time:
                        collector.rows.append(
                            CollectEntry(
                                student,
                                submission.label,
                                "kept",
                                "an existing newer submission is kept",
                                **row,
                            )
                        )
                        continue
                contents = {name: collector.bytes_of(nb) for name, nb in named.items()}
                taken = {id(nb) for nb in named.values()}
                for notebook in candidate.notebooks:
                    if id(notebook) not in taken:
                        where = notebook.entry.raw + (
                            f":{notebook.inner}" if notebook.inner else ""
                        )
                        collector.rows.append(
                            CollectEntry(
                                student,
                                where,
                                "ignored",
                                "not one of the assignment's notebooks, or an older copy of one",
                                name=candidate.name,
                            )
                        )
            except Refusal as refusal:
                collector.refuse(student, submission.label, str(refusal), candidate.name)
                continue
            action = "replaced" if folder.exists() else "added"
            _replace_folder(folder, contents, submission.time)
            del contents
            _update_student(gradebook, MissingEntry, candidate)
            message = (
                "replaced the previous submission" if action == "replaced" else "new submission"
            )
            if submission.time_source != "lms":
                message += f" (time: {submission.time_source})"
            collector.rows.append(CollectEntry(student, submission.label, action, message, **row))
            identity = submission.identity
            records[student] = {
                "student": student,
                "name": candidate.name,
                "email": candidate.email,
                "lms": collector.export_format,
                "lms_user_id": identity.lms_user_id or identity.id,
                "file": submission.label,
                "notebooks": sorted(named),
                "submitted_at": _iso(submission.time),
                "time_source": submission.time_source,
                "late": submission.late,
                "export": str(source),
                "collected_at": _iso(datetime.now(UTC)),
            }
    return records


def _replace_folder(folder: Path, contents: dict[str, bytes], moment: datetime) -> None:
    """Write the new submission beside the old one, then swap: a crash loses neither."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f".{folder.name}.new-", dir=folder.parent))
    for name, data in contents.items():
        (fresh / name).write_bytes(data)
    (fresh / "timestamp.txt").write_text(
        moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT), encoding="utf-8"
    )
    if folder.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old-", dir=folder.parent))
        folder.rename(old / folder.name)
        fresh.rename(folder)
        shutil.rmtree(old)
    else:
        fresh.rename(folder)


def _update_student(gradebook: Any, missing: type[Exception], candidate: _Candidate) -> None:
    """Create the student; fill names, email and LMS id that the gradebook does not have yet."""
    first, last = split_name(candidate.name) if candidate.name else ("", "")
    identity = candidate.submission.identity
    facts = {
        "first_name": first,
        "last_name": last,
        "email": candidate.email,
        "lms_user_id": identity.lms_user_id,
    }
    try:
        existing = gradebook.find_student(candidate.student)
    except missing:
        existing = None
    update = {
        key: value
        for key, value in facts.items()
        if value and (existing is None or not getattr(existing, key, None))
    }
    gradebook.update_or_create_student(candidate.student, **update)


def _merge_collected(path: Path, assignment_id: str, records: dict[str, dict[str, Any]]) -> None:
    data = read_json(path)
    students = data.get("students") if isinstance(data, dict) else None
    merged = dict(students) if isinstance(students, dict) else {}
    merged.update(records)
    write_json_atomic(path, {"schema": 1, "assignment": assignment_id, "students": merged})


def _read_timestamp(folder: Path) -> datetime | None:
    from nbgrader.utils import parse_utc

    try:
        text = (folder / "timestamp.txt").read_text(encoding="utf-8").strip()
        parsed = parse_utc(text)
    except (OSError, ValueError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed
