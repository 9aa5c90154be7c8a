"""The class roster: who may submit, under which LMS id, with which name and email.

``mlip course roster import FILE.csv`` reads a roster the LMS exports and writes every student to
nbgrader's gradebook (id, first and last name, email, LMS user id) and to
``.mlip/roster.json``. From then on ``collect`` takes only submissions it can match to a roster
student - by the LMS id, another id the roster states (SIS user id, login, username) or the email,
never by display name - and reports the others instead of inventing students.

Accepted CSVs (recognised from their header):

- **canvas**: the Grades page's *Export*: ``Student, ID, SIS User ID, SIS Login ID, Section, ...``
  (the "Points Possible" row and the Test Student are skipped); the id is Canvas's user id.
- **moodle**: the assignment's *Download grading worksheet*: ``Identifier, Full name, Email
  address, ...`` with ``Participant 123456`` identifiers, the number Moodle puts in submission
  folder names; or a participants/grades export with ``First name, Last name, ID number, Email
  address`` (id = ID number, else email).
- **gradescope**: the roster download: ``First Name, Last Name, SID, Email`` (id = SID, else email).
- **blackboard**: Grade Center's download: ``Last Name, First Name, Username, ...`` (id = username).
- **generic**: ``id`` and ``name`` (or ``first_name``, ``last_name``) and ``email`` columns.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlip.errors import InputError, UsageError
from mlip_autograder._exports import Identity, usable_id
from mlip_autograder._store import read_json, write_json_atomic
from mlip_autograder.course import Course

__all__ = [
    "ROSTER_FORMATS",
    "RosterIndex",
    "RosterListReport",
    "RosterReport",
    "RosterStudent",
    "import_roster",
    "list_roster",
    "load_roster",
    "read_roster_csv",
    "split_name",
]

ROSTER_FORMATS = ("canvas", "moodle", "gradescope", "blackboard", "generic")
ROSTER_FILE = Path(".mlip") / "roster.json"
MAX_ROSTER_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class RosterStudent:
    """One student as the roster states them."""

    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    lms_user_id: str = ""
    aliases: tuple[str, ...] = ()  #: other ids the LMS knows them by (SIS id, login)

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["aliases"] = list(self.aliases)
        return data


@dataclass(frozen=True)
class RosterReport:
    """What ``roster import`` read and wrote."""

    roster_format: str
    students: tuple[RosterStudent, ...]
    skipped: tuple[tuple[int, str], ...]  #: (CSV line, reason)
    path: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.roster_format,
            "students": [student.to_dict() for student in self.students],
            "skipped": [{"line": line, "reason": reason} for line, reason in self.skipped],
            "path": self.path,
        }


@dataclass(frozen=True)
class RosterListReport:
    """The imported roster (empty when none was imported)."""

    students: tuple[RosterStudent, ...]
    imported_from: str
    imported_at: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "students": [student.to_dict() for student in self.students],
            "imported_from": self.imported_from,
            "imported_at": self.imported_at,
        }


def split_name(name: str) -> tuple[str, str]:
    """(first, last) of ``"Alice Doe"`` or of a sortable ``"Doe, Alice"``."""
    name = " ".join(name.split())
    if "," in name:
        last, _, first = name.partition(",")
        return first.strip(), last.strip()
    first, _, last = name.rpartition(" ")
    return (first, last) if first else ("", last)


def _header_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _detect(header: list[str]) -> str:
    keys = {_header_key(column) for column in header}
    if {"student", "id", "sis user id"} <= keys or {"student", "id", "sis login id"} <= keys:
        return "canvas"
    if {"identifier", "full name"} <= keys:
        return "moodle"
    if {"first name", "last name", "id number"} <= keys:
        return "moodle"
    if {"first name", "last name", "sid", "email"} <= keys:
        return "gradescope"
    if {"last name", "first name", "username"} <= keys:
        return "blackboard"
    if "id" in keys and ({"name", "email"} & keys or {"first name", "last name"} <= keys):
        return "generic"
    raise InputError(
        "the CSV's header is not a roster this kit reads (Canvas grades export, Moodle grading "
        "worksheet or participants, Gradescope roster, Blackboard Grade Center, or id,name,email)"
    )


def _student(roster_format: str, row: dict[str, str]) -> RosterStudent | str:
    """The row's student, or why the row is skipped."""
    get = row.get
    if roster_format == "canvas":
        name = get("student", "")
        user = get("id", "")
        if "points possible" in name.lower() or not user:
            return "not a student row"
        if not user.isdigit():
            return f"ID {user!r} is not a Canvas user id"
        if name.strip().lower() in ("student, test", "test student"):
            return "Canvas's Test Student"
        first, last = split_name(name)
        aliases = tuple(a for a in (get("sis user id", ""), get("sis login id", "")) if a)
        return RosterStudent(user, first, last, "", user, aliases)
    if roster_format == "moodle" and "identifier" in row:
        match = re.search(r"(\d+)\s*$", get("identifier", ""))
        if not match:
            return "no participant number in Identifier"
        first, last = split_name(get("full name", ""))
        participant = match[1]
        return RosterStudent(participant, first, last, get("email address", ""), participant)
    if roster_format == "moodle":
        email = get("email address", "")
        student = get("id number", "") or email
        aliases = (email,) if email and email != student else ()
        return RosterStudent(
            student, get("first name", ""), get("last name", ""), email, student, aliases
        )
    if roster_format == "gradescope":
        email = get("email", "")
        student = get("sid", "") or email
        aliases = (email,) if email and email != student else ()
        return RosterStudent(
            student, get("first name", ""), get("last name", ""), email, student, aliases
        )
    if roster_format == "blackboard":
        user = get("username", "")
        aliases = tuple(a for a in (get("student id", ""),) if a)
        return RosterStudent(
            user, get("first name", ""), get("last name", ""), get("email", ""), user, aliases
        )
    first, last = (get("first name", ""), get("last name", ""))
    if not (first or last):
        first, last = split_name(get("name", ""))
    student = get("id", "")
    return RosterStudent(student, first, last, get("email", ""), get("lms user id", "") or student)


def read_roster_csv(
    path: Path, roster_format: str | None = None
) -> tuple[str, list[RosterStudent], list[tuple[int, str]]]:
    """(format, students, skipped rows) of a roster CSV."""
    try:
        if path.stat().st_size > MAX_ROSTER_BYTES:
            raise InputError(f"{path} is too large for a roster ({MAX_ROSTER_BYTES} bytes)")
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror or error}") from error
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text (save the CSV as UTF-8)") from None
    rows = csv.reader(io.StringIO(text))
    try:
        header = next(rows)
    except (StopIteration, csv.Error):
        raise InputError(f"{path} is empty or not a CSV") from None
    found = _detect(header)
    if roster_format is not None and roster_format not in ROSTER_FORMATS:
        raise UsageError(f"unknown roster format {roster_format!r}; known: {ROSTER_FORMATS}")
    chosen = roster_format or found
    keys = [_header_key(column) for column in header]
    students: dict[str, RosterStudent] = {}
    skipped: list[tuple[int, str]] = []
    try:
        for line, values in enumerate(rows, start=2):
            if not any(value.strip() for value in values):
                continue
            row = {key: value.strip() for key, value in zip(keys, values, strict=False)}
            result = _student(chosen, row)
            if isinstance(result, str):
                skipped.append((line, result))
            elif not usable_id(result.id):
                skipped.append((line, f"id {result.id!r} cannot name a submission folder"))
            elif result.id in students:
                skipped.append((line, f"id {result.id} appears twice; the first row is used"))
            else:
                students[result.id] = result
    except csv.Error as error:
        raise InputError(f"{path} is not a readable CSV ({error})") from None
    return chosen, list(students.values()), skipped


def import_roster(
    *, course: Course, csv_file: Path, roster_format: str | None = None
) -> RosterReport:
    """Read ``csv_file`` and write its students to the gradebook and ``.mlip/roster.json``."""
    from nbgrader.api import Gradebook

    chosen, students, skipped = read_roster_csv(csv_file, roster_format)
    if not students:
        raise InputError(f"{csv_file} holds no student rows")
    previous = {s.id: s for s in (load_roster(course) or [])}
    previous.update({s.id: s for s in students})
    target = course.root / ROSTER_FILE
    write_json_atomic(
        target,
        {
            "schema": 1,
            "imported_from": str(csv_file),
            "imported_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "format": chosen,
            "students": [s.to_dict() for s in sorted(previous.values(), key=lambda s: s.id)],
        },
    )
    with Gradebook(course.db_url, course.course_id()) as gradebook:
        for student in students:
            gradebook.update_or_create_student(
                student.id,
                first_name=student.first_name or None,
                last_name=student.last_name or None,
                email=student.email or None,
                lms_user_id=student.lms_user_id or None,
            )
    return RosterReport(chosen, tuple(students), tuple(skipped), str(target))


def load_roster(course: Course) -> list[RosterStudent] | None:
    """The imported roster, or None when none was imported."""
    data = read_json(course.root / ROSTER_FILE)
    if not isinstance(data, dict) or not isinstance(data.get("students"), list):
        return None
    students = []
    for item in data["students"]:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            students.append(
                RosterStudent(
                    id=item["id"],
                    first_name=str(item.get("first_name") or ""),
                    last_name=str(item.get("last_name") or ""),
                    email=str(item.get("email") or ""),
                    lms_user_id=str(item.get("lms_user_id") or ""),
                    aliases=tuple(str(a) for a in item.get("aliases") or ()),
                )
            )
    return students


def list_roster(*, course: Course) -> RosterListReport:
    """The imported roster."""
    data = read_json(course.root / ROSTER_FILE)
    students = load_roster(course) or []
    info = data if isinstance(data, dict) else {}
    return RosterListReport(
        tuple(students), str(info.get("imported_from", "")), str(info.get("imported_at", ""))
    )


class RosterIndex:
    """Find the roster student an export's identity belongs to (ids and emails, never names)."""

    def __init__(self, students: list[RosterStudent]) -> None:
        self._by_key: dict[str, RosterStudent] = {}
        for student in students:
            for key in (student.id, student.lms_user_id, student.email, *student.aliases):
                if key:
                    self._by_key.setdefault(key.lower(), student)

    def resolve(self, identity: Identity) -> RosterStudent | None:
        for key in (identity.id, identity.lms_user_id, identity.email):
            if key and key.lower() in self._by_key:
                return self._by_key[key.lower()]
        return None
