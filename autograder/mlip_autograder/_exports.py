"""Read an LMS bulk export (zip or folder) entry by entry, and tell who submitted what.

An export is read as a list of :class:`Entry` (path, size, time); an entry's bytes are read only
when needed, one at a time, with a size cap, so memory stays bounded whatever the export holds.
:func:`detect` decides the export's format from its layout (metadata file names, folder and file
name patterns); one reader per format turns the entries into :class:`Submission` records keyed
by the LMS's stable student id (never the display name):

========== ======================================================================= ==============
format     layout (as the LMS names it)                                            student id
========== ======================================================================= ==============
canvas     ``{sortablename}[_LATE]_{user_id}_{attachment_id}_{file}[-N].ext``      Canvas user id
moodle     ``{Full Name}_{participant}_assignsubmission_file_/{file}`` (or flat)   participant id
gradescope ``submission_{id}/{file}`` + ``submission_metadata.yml``                SID, else email
blackboard ``{Assignment}_{user}_attempt_{YYYY-MM-DD-HH-MM-SS}_{file}`` + ``.txt`` username
folder     ``{student}/[{assignment}/]{notebook}.ipynb`` or ``{student}[_x].ipynb`` the name given
========== ======================================================================= ==============
"""

from __future__ import annotations

import io
import os
import re
import stat
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path, PurePosixPath
from typing import Any

from mlip.errors import InputError, UsageError

__all__ = [
    "FORMATS",
    "GRADESCOPE_METADATA",
    "CollectLimits",
    "Entry",
    "ExportSource",
    "Identity",
    "Refusal",
    "Submission",
    "detect",
    "iter_inner_zip",
    "read_submissions",
    "usable_id",
]

FORMATS = ("canvas", "moodle", "gradescope", "blackboard", "folder")


@dataclass(frozen=True)
class CollectLimits:
    """Caps that keep one collect bounded in memory and time, whatever the export holds."""

    max_entries: int = 20_000  #: entries read from one export (the rest are refused)
    max_total_bytes: int = 4 * 1024**3  #: uncompressed bytes read from one export in all
    max_notebook_bytes: int = 5 * 1024 * 1024  #: one notebook
    max_archive_bytes: int = 20 * 1024 * 1024  #: one student's own zip
    max_inner_entries: int = 1_000  #: entries in one student's own zip
    max_path_depth: int = 8  #: folders in an entry's path
    max_json_depth: int = 64  #: nesting of a notebook's JSON
    max_metadata_bytes: int = 20 * 1024 * 1024  #: submission_metadata.yml, receipts


class Refusal(Exception):
    """An entry that cannot be taken; the message is one line for the summary table."""


@dataclass(frozen=True)
class Entry:
    """One file of the export: where it is, how big it says it is, when it was written."""

    path: str  #: posix path inside the export (after a wrapping folder is stripped)
    size: int
    time: datetime  #: aware; the zip's local time is read in the course's zone
    link: bool = False
    raw: str = ""  #: the name as stored in the zip / below the folder

    @property
    def parts(self) -> tuple[str, ...]:
        return PurePosixPath(self.path).parts

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name


@dataclass(frozen=True)
class Identity:
    """Who a submission belongs to, as the LMS states it."""

    id: str  #: the LMS's stable id: Canvas user id, Moodle participant, SID, username
    name: str = ""
    email: str = ""
    lms_user_id: str = ""


@dataclass
class Submission:
    """One attempt of one student (several files), with the facts the export states."""

    identity: Identity
    label: str  #: what the summary table shows as "file"
    files: list[Entry]
    time: datetime
    time_source: str  #: "lms" (stated by the export), "zip entry" or "file"
    late: bool | None = None  #: the LMS's own late marker, None when the export has none
    sequence: int = 0  #: tie-break between attempts with the same time (higher = newer)
    ignored: list[Entry] = field(default_factory=list)


_IGNORED_NAMES = ("__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini")


def _hidden(path: str) -> bool:
    return any(part.startswith(".") or part in _IGNORED_NAMES for part in path.split("/"))


class ExportSource:
    """The entries of a zip or folder, read lazily and each within the limits."""

    def __init__(self, source: Path, *, limits: CollectLimits, zone: tzinfo) -> None:
        self.source = source
        self.limits = limits
        self.zone = zone
        self.refusals: list[tuple[str, str]] = []  #: (entry, reason) found while listing
        self._read_total = 0
        self._archive: zipfile.ZipFile | None = None
        if source.is_dir():
            self.kind = "folder"
            self.entries = self._list_folder()
        else:
            self.kind = "zip"
            self._check_directory_size(source)
            try:
                self._archive = zipfile.ZipFile(source)
            except (OSError, zipfile.BadZipFile, ValueError) as error:
                raise InputError(f"{source}: not a readable zip or folder ({error})") from error
            self.entries = self._list_zip(self._archive)

    def _check_directory_size(self, source: Path) -> None:
        """Refuse a zip whose directory alone would not fit the limits, before reading it.

        ``ZipFile`` holds one object per entry in memory; a zip declaring millions of entries is
        refused from its end record (zipfile's reader of it, which also handles zip64).
        """
        read_end = getattr(zipfile, "_EndRecData", None)  # private, stable since Python 2
        if read_end is None:
            return
        try:
            with source.open("rb") as stream:
                end = read_end(stream)
        except OSError as error:
            raise InputError(f"{source}: cannot be read ({error.strerror or error})") from error
        declared = int(end[zipfile._ECD_ENTRIES_TOTAL]) if end else 0  # type: ignore[attr-defined]
        ceiling = 4 * self.limits.max_entries
        if declared > ceiling:
            raise InputError(
                f"{source}: the zip declares {declared} entries, more than {ceiling}; "
                "split the export"
            )

    def close(self) -> None:
        if self._archive is not None:
            self._archive.close()

    def __enter__(self) -> ExportSource:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _too_many(self, seen: int) -> None:
        self.refusals.append(
            (
                f"({seen - self.limits.max_entries} more entries)",
                f"the export has more than {self.limits.max_entries} entries; the rest were "
                "not read",
            )
        )

    def _list_zip(self, archive: zipfile.ZipFile) -> list[Entry]:
        entries: list[Entry] = []
        infos = archive.infolist()
        for seen, info in enumerate(infos, start=1):
            if seen > self.limits.max_entries:
                self._too_many(len(infos))
                break
            name = info.filename.replace("\\", "/")
            path = PurePosixPath(name)
            if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", name):
                self.refusals.append((info.filename, "unsafe path in the zip (zip-slip)"))
                continue
            if info.is_dir() or _hidden(name):
                continue
            if len(path.parts) > self.limits.max_path_depth:
                self.refusals.append((info.filename, "nested too deeply"))
                continue
            try:
                naive = datetime(*info.date_time)
            except ValueError:
                naive = datetime(1980, 1, 1)
            entries.append(
                Entry(
                    path=str(path),
                    size=info.file_size,
                    time=naive.replace(tzinfo=self.zone),
                    link=stat.S_ISLNK(info.external_attr >> 16),
                    raw=info.filename,
                )
            )
        return entries

    def _list_folder(self) -> list[Entry]:
        entries: list[Entry] = []
        seen = 0
        root = self.source
        for folder, dirs, files in os.walk(root, followlinks=False):
            here = Path(folder)
            relative = here.relative_to(root)
            depth = len(relative.parts)
            names = sorted(files) + sorted(d for d in dirs if (here / d).is_symlink())
            dirs[:] = sorted(d for d in dirs if not (here / d).is_symlink())
            if depth >= self.limits.max_path_depth:
                if names or dirs:
                    self.refusals.append((str(relative), "nested too deeply"))
                dirs[:] = []
                continue
            for name in names:
                seen += 1
                if seen > self.limits.max_entries:
                    self._too_many(seen)
                    return entries
                path = (relative / name).as_posix()
                if _hidden(path):
                    continue
                full = here / name
                info = full.lstat()
                entries.append(
                    Entry(
                        path=path,
                        size=info.st_size,
                        time=datetime.fromtimestamp(info.st_mtime, tz=UTC),
                        link=stat.S_ISLNK(info.st_mode),
                        raw=path,
                    )
                )
        return entries

    def unwrap(self, forced: str | None) -> None:
        """Drop one folder that wraps a whole LMS export (``assignment_123_export/...``).

        Only when the export inside is an LMS layout: a plain tree ``alice/guards-toaster/``
        of one student is not a wrapper.
        """
        entries = self.entries
        tops = {entry.parts[0] for entry in entries}
        if len(tops) != 1 or any(len(entry.parts) == 1 for entry in entries):
            return
        stripped = [
            Entry(
                path="/".join(entry.parts[1:]),
                size=entry.size,
                time=entry.time,
                link=entry.link,
                raw=entry.raw,
            )
            for entry in entries
        ]
        inside = forced or detect(stripped)
        if inside != "folder":
            self.entries = stripped

    @property
    def origin(self) -> str:
        return "zip entry" if self.kind == "zip" else "file"

    def read(self, entry: Entry, limit: int) -> bytes:
        """The entry's bytes, refused past ``limit`` or past the export's total cap."""
        if entry.link:
            raise Refusal("is a symbolic link")
        if entry.size > limit:
            raise Refusal(f"is too large ({entry.size} bytes; limit {limit})")
        if self._read_total + entry.size > self.limits.max_total_bytes:
            raise Refusal(
                f"the export's total size limit ({self.limits.max_total_bytes} bytes) is reached"
            )
        try:
            if self._archive is not None:
                with self._archive.open(entry.raw) as stream:
                    data = stream.read(limit + 1)
            else:
                path = self.source / entry.raw
                if path.is_symlink():
                    raise Refusal("is a symbolic link")
                with path.open("rb") as stream:
                    data = stream.read(limit + 1)
        except Refusal:
            raise
        except Exception as error:  # any unreadable entry is refused, not fatal
            raise Refusal(f"cannot be read: {_one_line(error)}") from None
        if len(data) > limit:
            raise Refusal(f"is too large (over {limit} bytes)")
        self._read_total += len(data)
        return data


def _one_line(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else ""
    if isinstance(error, NotImplementedError):  # a RuntimeError too: test it first
        return "unsupported compression method"
    if isinstance(error, RuntimeError) and "encrypted" in text:
        return "encrypted (password-protected)"
    if isinstance(error, zipfile.BadZipFile) and "CRC" in text:
        return "bad CRC (corrupted)"
    return f"{type(error).__name__}: {text}"[:200]


# --- formats ----------------------------------------------------------------------------------

GRADESCOPE_METADATA = "submission_metadata.yml"
_CANVAS = re.compile(
    r"^(?P<name>[^_/]+?)(?P<late>_LATE)?_(?P<user>\d+)_(?P<attachment>\d+)_(?P<file>.+)$"
)
_MOODLE = re.compile(
    r"^(?P<name>.+)_(?P<participant>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<rest>.*)$"
)
_BLACKBOARD = re.compile(
    r"^(?P<assignment>.+)_(?P<user>[^_/]+)_attempt_"
    r"(?P<date>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})(?:_(?P<file>.+)|(?P<receipt>\.txt))$"
)
_GRADESCOPE_FOLDER = re.compile(r"^submission_(?P<id>\d+)$")
_STUDENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")


def usable_id(text: str) -> bool:
    """Whether ``text`` can name a folder under ``submitted/`` safely."""
    return bool(_STUDENT.match(text)) and ".." not in text


def detect(entries: list[Entry]) -> str:
    """The export's format, from its layout; :class:`UsageError` when none or several fit."""
    top_files = [e for e in entries if len(e.parts) == 1]
    tops = {e.parts[0] for e in entries}
    claims = []
    if any(e.path == GRADESCOPE_METADATA for e in entries):
        claims.append("gradescope")
    if any(_MOODLE.match(top) for top in tops):
        claims.append("moodle")
    if any(_BLACKBOARD.match(e.name) for e in top_files):
        claims.append("blackboard")
    notebooks = [e for e in top_files if e.name.lower().endswith((".ipynb", ".zip"))]
    if notebooks and any(_CANVAS.match(e.name) for e in notebooks):
        claims.append("canvas")
    if len(claims) > 1:
        raise UsageError(
            f"the export looks like several formats ({', '.join(claims)}); "
            f"pass --format with one of {', '.join(FORMATS)}"
        )
    if claims:
        return claims[0]
    if entries:
        return "folder"
    raise UsageError("the export holds no files; nothing to collect")


def read_submissions(
    source: ExportSource, export_format: str, assignment_id: str
) -> tuple[list[Submission], list[tuple[str, str, str]]]:
    """Submissions of the export in ``export_format``, and refused entries (student or "?",
    entry, reason)."""
    readers = {
        "canvas": _canvas,
        "moodle": _moodle,
        "gradescope": _gradescope,
        "blackboard": _blackboard,
        "folder": _folder,
    }
    if export_format not in readers:
        raise UsageError(f"unknown format {export_format!r}; known: {', '.join(FORMATS)}")
    refused: list[tuple[str, str, str]] = []
    entries = []
    for entry in source.entries:
        if entry.link:
            refused.append(("?", entry.raw, "is a symbolic link"))
        else:
            entries.append(entry)
    submissions = readers[export_format](source, entries, refused, assignment_id)
    return submissions, refused


def _canvas(
    source: ExportSource, entries: list[Entry], refused: list[tuple[str, str, str]], _: str
) -> list[Submission]:
    """Canvas "Download Submissions": the export holds each student's latest submission."""
    by_user: dict[str, Submission] = {}
    for entry in entries:
        match = _CANVAS.match(entry.name) if len(entry.parts) == 1 else None
        if match is None:
            refused.append(
                ("?", entry.raw, "does not follow Canvas's naming (name_userid_id_file)")
            )
            continue
        user = match["user"]
        late = bool(match["late"])
        attachment = int(match["attachment"])
        current = by_user.get(user)
        if current is None:
            current = by_user[user] = Submission(
                identity=Identity(id=user, name=match["name"], lms_user_id=user),
                label=entry.name,
                files=[],
                time=entry.time,
                time_source=source.origin,
                late=late,
                sequence=attachment,
            )
        current.files.append(entry)
        current.late = bool(current.late) or late
        if (entry.time, attachment) > (current.time, current.sequence):
            current.time, current.sequence, current.label = entry.time, attachment, entry.name
    return list(by_user.values())


def _moodle(
    source: ExportSource, entries: list[Entry], refused: list[tuple[str, str, str]], _: str
) -> list[Submission]:
    """Moodle "Download all submissions", in folders or flat."""
    by_participant: dict[str, Submission] = {}
    for entry in entries:
        match = _MOODLE.match(entry.parts[0])
        if match is None:
            refused.append(
                ("?", entry.raw, "does not follow Moodle's naming (Name_id_assignsubmission_file_)")
            )
            continue
        if match["plugin"] != "file":
            by_participant.setdefault(
                match["participant"], _moodle_submission(source, match, entry)
            ).ignored.append(entry)
            continue
        current = by_participant.setdefault(
            match["participant"], _moodle_submission(source, match, entry)
        )
        current.files.append(entry)
        current.time = max(current.time, entry.time)
    return list(by_participant.values())


def _moodle_submission(source: ExportSource, match: re.Match[str], entry: Entry) -> Submission:
    participant = match["participant"]
    label = entry.parts[0] + ("/" if len(entry.parts) > 1 else "")
    return Submission(
        identity=Identity(id=participant, name=match["name"], lms_user_id=participant),
        label=label,
        files=[],
        time=entry.time,
        time_source=source.origin,
    )


def _key(name: object) -> str:
    """Gradescope's YAML is written by Ruby: keys are symbols such as ``:submitters``."""
    return str(name).lstrip(":")


def _plain(value: Any) -> dict[str, Any]:
    return {_key(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def _aware(value: Any, zone: tzinfo) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    if isinstance(value, str) and value.strip():
        try:
            from dateutil import parser

            parsed = parser.parse(value)
        except (ValueError, OverflowError):
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
    return None


def _gradescope(
    source: ExportSource, entries: list[Entry], refused: list[tuple[str, str, str]], _: str
) -> list[Submission]:
    """Gradescope "Export Submissions": one folder per submission, submitters in the YAML."""
    import yaml

    meta_entry = next((e for e in entries if e.path == GRADESCOPE_METADATA), None)
    if meta_entry is None:
        raise InputError(f"the export has no readable {GRADESCOPE_METADATA}")
    try:
        text = source.read(meta_entry, source.limits.max_metadata_bytes)
        metadata = yaml.safe_load(text.decode("utf-8"))
    except Refusal as refusal:
        raise InputError(f"{GRADESCOPE_METADATA} {refusal}") from None
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError) as error:
        raise InputError(
            f"{GRADESCOPE_METADATA} is not readable YAML ({_one_line(error)})"
        ) from None
    if not isinstance(metadata, dict):
        raise InputError(f"{GRADESCOPE_METADATA} does not map submissions to submitters")
    folders: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        if entry is meta_entry:
            continue
        if len(entry.parts) < 2 or not _GRADESCOPE_FOLDER.match(entry.parts[0]):
            refused.append(("?", entry.raw, "is not inside a submission_ID/ folder"))
            continue
        folders[entry.parts[0]].append(entry)
    submissions = []
    for folder, files in sorted(folders.items()):
        facts = _plain(metadata.get(folder))
        submitters = facts.get("submitters")
        if not isinstance(submitters, list) or not submitters:
            refused.append(("?", folder + "/", f"has no submitters in {GRADESCOPE_METADATA}"))
            continue
        created = _aware(facts.get("created_at"), source.zone)
        for raw in submitters:
            person = _plain(raw)
            sid = str(person.get("sid") or "").strip()
            email = str(person.get("email") or "").strip()
            student = sid or email
            submissions.append(
                Submission(
                    identity=Identity(
                        id=student,
                        name=str(person.get("name") or ""),
                        email=email,
                        lms_user_id=sid or email,
                    ),
                    label=folder + "/",
                    files=list(files),
                    time=created or max(e.time for e in files),
                    time_source="lms" if created else source.origin,
                    sequence=int(_GRADESCOPE_FOLDER.match(folder)["id"]),  # type: ignore[index]
                )
            )
    return submissions


_RECEIPT_NAME = re.compile(r"^Name:\s*(?P<name>.*?)\s*\((?P<user>[^()]+)\)\s*$", re.MULTILINE)


def _blackboard(
    source: ExportSource, entries: list[Entry], refused: list[tuple[str, str, str]], _: str
) -> list[Submission]:
    """Blackboard "Assignment File Download": files and a receipt per attempt."""
    attempts: dict[tuple[str, str], Submission] = {}
    receipts: dict[tuple[str, str], Entry] = {}
    for entry in entries:
        match = _BLACKBOARD.match(entry.name) if len(entry.parts) == 1 else None
        if match is None:
            refused.append(
                (
                    "?",
                    entry.raw,
                    "does not follow Blackboard's naming (Assignment_user_attempt_date_)",
                )
            )
            continue
        key = (match["user"], match["date"])
        if match["receipt"]:
            receipts[key] = entry
            continue
        stated = datetime.strptime(match["date"], "%Y-%m-%d-%H-%M-%S").replace(tzinfo=source.zone)
        current = attempts.setdefault(
            key,
            Submission(
                identity=Identity(id=match["user"], lms_user_id=match["user"]),
                label=entry.name,
                files=[],
                time=stated,
                time_source="lms",
            ),
        )
        current.files.append(entry)
    for key, submission in attempts.items():
        receipt = receipts.get(key)
        if receipt is None:
            continue
        try:
            text = source.read(receipt, source.limits.max_metadata_bytes).decode("utf-8", "replace")
        except Refusal:
            continue
        named = _RECEIPT_NAME.search(text)
        if named and named["user"].strip() == key[0]:
            submission.identity = Identity(id=key[0], name=named["name"], lms_user_id=key[0])
    return list(attempts.values())


def _folder(
    source: ExportSource,
    entries: list[Entry],
    refused: list[tuple[str, str, str]],
    assignment_id: str,
) -> list[Submission]:
    """A plain tree: ``student/[assignment/]notebook.ipynb``, or ``student[_x].ipynb`` files."""
    submissions: list[Submission] = []
    folders: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        if len(entry.parts) == 1:
            stem = entry.name
            for suffix in (".ipynb", ".zip"):
                if stem.lower().endswith(suffix):
                    stem = stem[: -len(suffix)]
            student = stem.split("_", 1)[0]
            if not usable_id(student):
                refused.append(("?", entry.raw, f"cannot read a student id from {entry.name!r}"))
                continue
            submissions.append(
                Submission(
                    identity=Identity(id=student),
                    label=entry.name,
                    files=[entry],
                    time=entry.time,
                    time_source=source.origin,
                )
            )
        else:
            folders[entry.parts[0]].append(entry)
    for student, files in sorted(folders.items()):
        nested = [e for e in files if len(e.parts) > 2 and e.parts[1] == assignment_id]
        chosen = nested or [e for e in files if len(e.parts) == 2]
        if not usable_id(student):
            refused.append(("?", student + "/", f"{student!r} is not a usable student id"))
            continue
        if not chosen:
            refused.append(
                (student, student + "/", f"holds no notebook directly or in {assignment_id}/")
            )
            continue
        submissions.append(
            Submission(
                identity=Identity(id=student),
                label=student,
                files=chosen,
                time=max(e.time for e in chosen),
                time_source=source.origin,
                ignored=[e for e in files if e not in chosen],
            )
        )
    return submissions


def iter_inner_zip(
    name: str, data: bytes, limits: CollectLimits
) -> Iterator[tuple[str, bytes | Refusal]]:
    """Notebooks inside a student's own zip: (name, bytes) or (name, why it was refused)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise Refusal("is not a valid zip") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_inner_entries:
            raise Refusal(f"holds more than {limits.max_inner_entries} entries")
        for info in infos:
            inner = info.filename.replace("\\", "/")
            path = PurePosixPath(inner)
            if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", inner):
                raise Refusal(f"holds an unsafe path {info.filename!r} (zip-slip)")
            if info.is_dir() or _hidden(inner):
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                raise Refusal(f"holds a symbolic link {info.filename!r}")
            if not inner.lower().endswith(".ipynb"):
                continue
            if info.file_size > limits.max_notebook_bytes:
                yield inner, Refusal(f"{inner!r} is too large ({info.file_size} bytes)")
                continue
            try:
                with archive.open(info) as stream:
                    content = stream.read(limits.max_notebook_bytes + 1)
            except Exception as error:  # one unreadable member is refused
                yield inner, Refusal(f"{inner!r} cannot be read: {_one_line(error)}")
                continue
            if len(content) > limits.max_notebook_bytes:
                yield inner, Refusal(f"{inner!r} is too large")
                continue
            yield inner, content
