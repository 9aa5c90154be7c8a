"""``collect`` on each LMS's export (golden trees in ``data/exports/``), the roster, identities,
wrong-assignment notebooks, and per-entry robustness within bounded memory.

Each golden export is a six-student class handing in ``guards-toaster`` (see
``data/exports/make_exports.py``); ``data/exports/FORMAT.expected.json`` holds the summary table
collect must print for it and whose notebook each student must end up with. The tests collect
every export twice: as the folder and as a zip built from it. Regenerate the expectations after
a deliberate change with ``MLIP_UPDATE_GOLDEN=1 pytest tests/autograder/test_collect_exports.py``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from autograder_samples import ASSIGNMENT, DATA, SOURCES

from mlip.errors import InputError, UsageError

EXPORTS = DATA / "exports"
FORMATS = ("canvas", "moodle", "gradescope", "blackboard", "folder")
WHEN = (2026, 1, 5, 12, 0, 0)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mlip_autograder.course import init_course

    root = tmp_path_factory.mktemp("template") / "course"
    init_course(directory=root, sources=SOURCES)
    return root


@pytest.fixture
def course(template: Path, tmp_path: Path) -> Any:
    from mlip_autograder.course import Course

    shutil.copytree(template, tmp_path / "course")
    return Course((tmp_path / "course").resolve())


def _zip_tree(tree: Path, target: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(tree.rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo(prefix + path.relative_to(tree).as_posix(), WHEN)
                archive.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
    return target


def _export(name: str, packed: str, tmp_path: Path) -> Path:
    if packed == "zip":
        return _zip_tree(EXPORTS / name, tmp_path / f"{name}.zip")
    copy = tmp_path / name
    shutil.copytree(EXPORTS / name, copy)
    stamp = datetime(*WHEN, tzinfo=UTC).timestamp()
    for path in copy.rglob("*"):
        os.utime(path, (stamp, stamp))
    return copy


def _collect(course: Any, source: Path, **options: Any) -> Any:
    from mlip_autograder.collect import collect

    return collect(course=course, assignment_id=ASSIGNMENT, source=source, **options)


def _rows(report: Any) -> list[dict[str, Any]]:
    rows = []
    for entry in report.entries:
        row = entry.to_dict()
        row["message"] = re.sub(r" \(time: [a-z ]+\)$", "", row["message"])
        rows.append(row)
    return sorted(rows, key=lambda r: (r["student"], r["file"], r["action"]))


def _owner(course: Any, student: str) -> str:
    path = course.root / "submitted" / student / ASSIGNMENT / "guards.ipynb"
    return str(json.loads(path.read_text())["metadata"]["golden"])


@pytest.mark.parametrize("packed", ["zip", "folder"])
@pytest.mark.parametrize("name", FORMATS)
def test_golden_export(course: Any, tmp_path: Path, name: str, packed: str) -> None:
    report = _collect(course, _export(name, packed, tmp_path))
    owners = {student: _owner(course, student) for student in report.students}
    actual = {"format": report.export_format, "rows": _rows(report), "owners": owners}
    expected_file = EXPORTS / f"{name}.expected.json"
    if os.environ.get("MLIP_UPDATE_GOLDEN") and packed == "zip":
        expected_file.write_text(json.dumps(actual, indent=1, sort_keys=True) + "\n")
    assert actual == json.loads(expected_file.read_text())
    assert not report.ok  # each class has one wrong-assignment notebook, refused
    collected = json.loads(Path(report.collected_file).read_text())
    assert sorted(collected["students"]) == sorted(report.students)
    for student, record in collected["students"].items():
        assert record["lms"] == name and record["notebooks"] == ["guards.ipynb"]
        stamp = course.root / "submitted" / student / ASSIGNMENT / "timestamp.txt"
        assert stamp.read_text().endswith(" UTC")


def test_same_name_students_stay_distinct_and_keep_their_notebooks(
    course: Any, tmp_path: Path
) -> None:
    from nbgrader.api import Gradebook

    report = _collect(course, _export("canvas", "zip", tmp_path))
    assert {"22222", "33333"} <= set(report.students)
    assert _owner(course, "22222") == "john-22222"
    assert _owner(course, "33333") == "john-33333"
    assert not (course.root / "submitted" / "smithjohn").exists()
    with Gradebook(course.db_url, course.course_id()) as gradebook:
        ids = {s.id: s.lms_user_id for s in gradebook.students}
    assert ids["22222"] == "22222" and ids["33333"] == "33333"
    assert "smithjohn" not in ids and "requirements" not in ids


def test_wrong_assignment_is_refused_naming_its_assignment(course: Any, tmp_path: Path) -> None:
    report = _collect(course, _export("moodle", "folder", tmp_path))
    dana = [e for e in report.entries if e.student == "100006"]
    assert [e.action for e in dana] == ["refused"]
    assert re.search(r"notebook of requirements-\w+, not guards-toaster", dana[0].message)
    assert not (course.root / "submitted" / "100006").exists()


def test_submission_time_and_late_marker_from_the_lms(course: Any, tmp_path: Path) -> None:
    from nbgrader.utils import parse_utc

    report = _collect(course, _export("gradescope", "zip", tmp_path))
    stamp = course.root / "submitted" / "1001" / ASSIGNMENT / "timestamp.txt"
    assert stamp.read_text() == "2026-01-05 15:00:00.123456 UTC"  # -05:00 in the metadata
    assert parse_utc(stamp.read_text()) == datetime(2026, 1, 5, 15, 0, 0, 123456)
    assert {e.student for e in report.entries if e.file == "submission_90005/"} == {
        "1005",
        "1007",
    }  # a group submission: each member gets it
    canvas = _collect(course, _export("canvas", "zip", tmp_path))
    late = {e.student: e.late for e in canvas.entries if e.action == "added"}
    assert late["55555"] is True and late["11111"] is False


def test_blackboard_times_in_the_server_zone(course: Any, tmp_path: Path) -> None:
    _collect(course, _export("blackboard", "zip", tmp_path), zone="America/New_York")
    stamp = course.root / "submitted" / "alice" / ASSIGNMENT / "timestamp.txt"
    assert stamp.read_text() == "2026-01-05 15:00:00.000000 UTC"
    with pytest.raises(UsageError, match="time zone"):
        _collect(course, _export("blackboard", "zip", tmp_path), zone="Mars/Olympus")


def test_a_wrapping_folder_is_looked_through(course: Any, tmp_path: Path) -> None:
    source = _zip_tree(EXPORTS / "gradescope", tmp_path / "g.zip", prefix="assignment_7_export/")
    report = _collect(course, source)
    assert report.export_format == "gradescope"
    assert "1001" in report.students


def test_unclear_format_is_refused_and_format_forces(course: Any, tmp_path: Path) -> None:
    notebook = (EXPORTS / "canvas" / "doealice_11111_900001_guards.ipynb").read_bytes()
    source = tmp_path / "mixed.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("doealice_11111_900001_guards.ipynb", notebook)
        archive.writestr("Bob Lee_100005_assignsubmission_file_/guards.ipynb", notebook)
    with pytest.raises(UsageError, match=r"several formats \(moodle, canvas\).*--format"):
        _collect(course, source)
    report = _collect(course, source, export_format="canvas")
    assert report.students == ("11111",)
    assert [e.action for e in report.entries if e.student == "?"] == ["refused"]
    with pytest.raises(UsageError, match="unknown format"):
        _collect(course, source, export_format="sakai")


def test_collected_facts_merge_across_collects(course: Any, tmp_path: Path) -> None:
    from mlip_autograder.collect import collected_path

    _collect(course, _export("gradescope", "zip", tmp_path))
    later = tmp_path / "later"
    (later / "submission_90009").mkdir(parents=True)
    shutil.copy(
        EXPORTS / "gradescope" / "submission_90001" / "guards.ipynb", later / "submission_90009"
    )
    (later / "submission_metadata.yml").write_text(
        "submission_90009:\n  :submitters:\n  - :name: Alice Doe\n    :sid: '1001'\n"
        "  :created_at: 2026-01-09 10:00:00 +00:00\n"
    )
    report = _collect(course, later)
    assert [e.action for e in report.entries] == ["replaced"]
    facts = json.loads(collected_path(course, ASSIGNMENT).read_text())
    assert facts["schema"] == 1 and facts["assignment"] == ASSIGNMENT
    assert facts["students"]["1001"]["submitted_at"] == "2026-01-09T10:00:00+00:00"
    assert facts["students"]["1001"]["file"] == "submission_90009/"
    assert facts["students"]["1002"]["submitted_at"] == "2026-01-05T16:00:00+00:00"  # kept
    assert facts["students"]["1002"]["time_source"] == "lms"
    older = _collect(course, _export("gradescope", "zip", tmp_path))
    alice = [e for e in older.entries if e.student == "1001"]
    assert [(e.action, e.message) for e in alice] == [
        ("kept", "an existing newer submission is kept")
    ]


def test_moodle_flat_download_and_plain_tree_of_another_assignment(
    course: Any, tmp_path: Path
) -> None:
    notebook = (EXPORTS / "folder" / "carol_guards.ipynb").read_bytes()
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "Erin Kim_100004_assignsubmission_file_guards.ipynb").write_bytes(notebook)
    report = _collect(course, flat)
    assert (report.export_format, report.students) == ("moodle", ("100004",))
    tree = tmp_path / "tree"
    (tree / "gus" / "requirements-tax").mkdir(parents=True)
    (tree / "gus" / "requirements-tax" / "guards.ipynb").write_bytes(notebook)
    report = _collect(course, tree)
    assert [(e.student, e.action) for e in report.entries] == [("gus", "refused")]
    assert "guards-toaster/" in report.entries[0].message


def test_gradescope_metadata_problems(course: Any, tmp_path: Path) -> None:
    export = _export("gradescope", "folder", tmp_path)
    (export / "submission_metadata.yml").write_text(": [unclosed\n")
    with pytest.raises(InputError, match="not readable YAML"):
        _collect(course, export)
    (export / "submission_metadata.yml").write_text(
        "submission_90001:\n  :submitters:\n  - :name: Alice Doe\n    :sid: '1001'\n"
    )
    report = _collect(course, export)
    assert report.students == ("1001",)
    assert {e.file for e in report.refused} >= {"submission_90002/", "submission_90006/"}
    assert all("no submitters" in e.message for e in report.refused)


def test_extra_and_older_notebooks_in_a_submission_are_reported(
    course: Any, tmp_path: Path
) -> None:
    guards = (EXPORTS / "canvas" / "doealice_11111_900001_guards.ipynb").read_bytes()
    wrong = (EXPORTS / "canvas" / "wudana_66666_900006_requirements.ipynb").read_bytes()
    scratch = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("guards-toaster/guards.ipynb", guards)
        archive.writestr("guards-toaster/scratch.ipynb", scratch)
        archive.writestr("guards-toaster/requirements.ipynb", wrong)
    source = tmp_path / "canvas.zip"
    newer = json.loads(guards)
    newer["metadata"]["golden"] = "alice-again"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("leebob_55555_800001_guards-toaster-submission.zip", inner.read_bytes())
        archive.writestr(zipfile.ZipInfo("doealice_11111_800002_guards.ipynb", WHEN), guards)
        later = zipfile.ZipInfo("doealice_11111_800003_guards-1.ipynb", (2026, 1, 6, 0, 0, 0))
        archive.writestr(later, json.dumps(newer))
    report = _collect(course, source)
    assert report.students == ("11111", "55555")
    actions = {(e.student, e.file): e.action for e in report.entries}
    bob = "leebob_55555_800001_guards-toaster-submission.zip"
    assert actions[("55555", f"{bob}:guards-toaster/requirements.ipynb")] == "refused"
    assert actions[("55555", f"{bob}:guards-toaster/scratch.ipynb")] == "ignored"
    assert actions[("11111", "doealice_11111_800002_guards.ipynb")] == "ignored"
    assert _owner(course, "11111") == "alice-again"


# --- roster -----------------------------------------------------------------------------------

CANVAS_ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section,Guards (1234)
    Points Possible,,,,,28
"Doe, Alice",11111,S-1,adoe,Section A,
"Smith, John",22222,S-2,jsmith,Section A,
"Smith, John",33333,S-3,jsmith3,Section B,
"Student, Test",99999,,,Section A,
"""


def test_roster_import_list_and_unknown_students(course: Any, tmp_path: Path) -> None:
    from mlip_autograder.roster import import_roster, list_roster
    from nbgrader.api import Gradebook

    csv_file = tmp_path / "grades.csv"
    csv_file.write_text(CANVAS_ROSTER, encoding="utf-8")
    imported = import_roster(course=course, csv_file=csv_file)
    assert imported.roster_format == "canvas"
    assert [s.id for s in imported.students] == ["11111", "22222", "33333"]
    assert len(imported.skipped) == 2  # Points Possible, Test Student
    assert [s.name for s in list_roster(course=course).students] == [
        "Alice Doe",
        "John Smith",
        "John Smith",
    ]
    report = _collect(course, _export("canvas", "zip", tmp_path))
    assert report.students == ("11111", "22222", "33333")
    unknown = {e.student: e.message for e in report.entries if "not in the roster" in e.message}
    assert set(unknown) == {"44444", "55555", "66666"}
    assert not (course.root / "submitted" / "44444").exists()
    with Gradebook(course.db_url, course.course_id()) as gradebook:
        alice = gradebook.find_student("11111")
        assert (alice.first_name, alice.last_name, alice.lms_user_id) == ("Alice", "Doe", "11111")
        assert {s.id for s in gradebook.students} == {"11111", "22222", "33333"}


@pytest.mark.parametrize(
    ("header", "row", "expected"),
    [
        (
            "Identifier,Full name,Email address,Status,Grade",
            "Participant 100004,Erin Kim,erin@uni.example,Submitted,",
            ("moodle", "100004", "Erin", "Kim", "erin@uni.example"),
        ),
        (
            "First name,Last name,ID number,Email address",
            "Erin,Kim,S-4,erin@uni.example",
            ("moodle", "S-4", "Erin", "Kim", "erin@uni.example"),
        ),
        (
            "First Name,Last Name,SID,Email,Role",
            "Erin,Kim,,erin@uni.example,Student",
            ("gradescope", "erin@uni.example", "Erin", "Kim", "erin@uni.example"),
        ),
        (
            '"Last Name","First Name","Username","Student ID","Last Access"',
            "Kim,Erin,ekim,S-4,",
            ("blackboard", "ekim", "Erin", "Kim", ""),
        ),
        (
            "id,name,email",
            "ekim,Erin Kim,erin@uni.example",
            ("generic", "ekim", "Erin", "Kim", "erin@uni.example"),
        ),
    ],
)
def test_roster_formats(tmp_path: Path, header: str, row: str, expected: tuple[str, ...]) -> None:
    from mlip_autograder.roster import read_roster_csv

    path = tmp_path / "roster.csv"
    path.write_text(f"\ufeff{header}\n{row}\n", encoding="utf-8")
    found, students, skipped = read_roster_csv(path)
    student = students[0]
    assert (found, student.id, student.first_name, student.last_name, student.email) == expected
    assert not skipped


def test_roster_that_is_not_one(tmp_path: Path) -> None:
    from mlip_autograder.roster import read_roster_csv

    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a roster"):
        read_roster_csv(path)


def test_roster_matches_other_lms_ids_and_emails(course: Any, tmp_path: Path) -> None:
    from mlip_autograder.roster import import_roster

    csv_file = tmp_path / "roster.csv"
    csv_file.write_text(
        "id,name,email\nu1,Alice Doe,alice@uni.example\nu4,Erin Kim,erin@uni.example\n"
    )
    import_roster(course=course, csv_file=csv_file)
    report = _collect(course, _export("gradescope", "zip", tmp_path))
    assert report.students == ("u1", "u4")  # Gradescope's SID 1001 / email -> roster ids


# --- robustness -------------------------------------------------------------------------------


def _patch_central(
    path: Path, member: str, *, flags: int | None = None, method: int | None = None
) -> None:
    """Edit a member's central-directory record, as a hostile or broken zip would have it."""
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    name = member.encode()
    while at != -1:
        length = struct.unpack("<H", data[at + 28 : at + 30])[0]
        if data[at + 46 : at + 46 + length] == name:
            if flags is not None:
                data[at + 8 : at + 10] = struct.pack("<H", flags)
            if method is not None:
                data[at + 10 : at + 12] = struct.pack("<H", method)
            path.write_bytes(bytes(data))
            return
        at = data.find(b"PK\x01\x02", at + 4)
    raise AssertionError(member)


def test_one_bad_entry_never_stops_the_collect(course: Any, tmp_path: Path) -> None:
    good = (EXPORTS / "folder" / "carol_guards.ipynb").read_bytes()
    deep = b'{"cells": [], "metadata": {"x": ' + b"[" * 5000 + b"]" * 5000 + b"}}"
    deepish = b'{"cells": [], "metadata": {"x": ' + b"[" * 100 + b"]" * 100 + b"}}"
    source = tmp_path / "lms.zip"
    with zipfile.ZipFile(source, "w") as archive:
        for name, content in [
            ("amy_guards.ipynb", good),
            ("ben_guards.ipynb", good),
            ("cat_guards.ipynb", good),
            ("dan_guards.ipynb", deep),
            ("eve_guards.ipynb", deepish),
            ("fay_guards.ipynb", good),
        ]:
            archive.writestr(zipfile.ZipInfo(name, WHEN), content)
    _patch_central(source, "ben_guards.ipynb", flags=0x1)  # password-protected
    _patch_central(source, "cat_guards.ipynb", method=99)  # AES: not supported
    data = bytearray(source.read_bytes())
    at = data.find(b"fay_guards.ipynb") + len("fay_guards.ipynb") + 10
    data[at] ^= 0xFF  # bad CRC (stored entry: flip a byte of its data)
    source.write_bytes(bytes(data))
    report = _collect(course, source)
    messages = {e.student: e.message for e in report.entries if e.action == "refused"}
    assert report.students == ("amy",)
    assert "encrypted" in messages["ben"]
    assert "unsupported compression" in messages["cat"]
    assert "nested too deeply" in messages["dan"] and "nested too deeply" in messages["eve"]
    assert "CRC" in messages["fay"]
    assert all("\n" not in m and "Traceback" not in m for m in messages.values())


def test_limits_on_entries_and_total_size(course: Any, tmp_path: Path) -> None:
    from mlip_autograder.collect import CollectLimits

    good = (EXPORTS / "folder" / "carol_guards.ipynb").read_bytes()
    source = tmp_path / "lms.zip"
    with zipfile.ZipFile(source, "w") as archive:
        for index in range(6):
            archive.writestr(zipfile.ZipInfo(f"s{index}_guards.ipynb", WHEN), good)
    report = _collect(course, source, limits=CollectLimits(max_entries=4))
    assert len(report.students) == 4
    assert any("more than 4 entries" in e.message for e in report.refused)
    report = _collect(course, source, limits=CollectLimits(max_total_bytes=len(good) * 5 // 2))
    assert any("total size limit" in e.message for e in report.refused)
    with pytest.raises(InputError, match="declares 6 entries, more than 4"):
        _collect(course, source, limits=CollectLimits(max_entries=1))


MEMORY_PROBE = """
import json, sys, tracemalloc
from pathlib import Path
from mlip_autograder.collect import collect
from mlip_autograder.course import Course
import nbgrader.api, nbgrader.utils, yaml, dateutil.parser  # imports are not the export's memory
tracemalloc.start()
report = collect(course=Course(Path(sys.argv[1])), assignment_id=sys.argv[2],
                 source=Path(sys.argv[3]))
print(json.dumps({"peak": tracemalloc.get_traced_memory()[1], "students": len(report.students),
                  "kept": sum(e.action == "kept" for e in report.entries)}))
"""


def test_ten_thousand_entries_in_bounded_memory(course: Any, tmp_path: Path) -> None:
    """10,000 notebooks of 8 KB (80 MB in all): peak traced memory stays far below that."""
    base = json.loads((EXPORTS / "folder" / "carol_guards.ipynb").read_text())
    source = tmp_path / "big.zip"
    with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as archive:
        for index in range(10_000):
            base["metadata"]["pad"] = f"{index:08d}" * 1000
            info = zipfile.ZipInfo(f"s{index % 10}_{index}_guards.ipynb", WHEN)
            archive.writestr(info, json.dumps(base), zipfile.ZIP_DEFLATED)
    run = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(course.root), ASSIGNMENT, str(source)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(run.stdout.splitlines()[-1])
    assert result["students"] == 10 and result["kept"] == 9_990
    assert result["peak"] < 40 * 1024 * 1024, result


# --- CLI --------------------------------------------------------------------------------------


def _mlip(*args: str) -> Any:
    from mlip.cli import main

    return main(list(args))


def test_cli_exit_codes(course: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = str(course.root)
    canvas = str(_export("canvas", "zip", tmp_path))
    assert _mlip("course", "collect", ASSIGNMENT, canvas, "--course", root, "--json") == 1
    report = json.loads(capsys.readouterr().out)
    assert report["format"] == "canvas" and report["refused"] == 1
    clean = tmp_path / "clean"
    clean.mkdir()
    shutil.copy(EXPORTS / "canvas" / "doealice_11111_900001_guards.ipynb", clean)
    assert _mlip("course", "collect", ASSIGNMENT, str(clean), "--course", root) == 0
    assert "1 submission(s) ready" in capsys.readouterr().out
    mixed = tmp_path / "mixed"
    (mixed / "Bob Lee_1_assignsubmission_file_").mkdir(parents=True)
    shutil.copy(EXPORTS / "canvas" / "doealice_11111_900001_guards.ipynb", mixed)
    shutil.copy(
        EXPORTS / "folder" / "carol_guards.ipynb", mixed / "Bob Lee_1_assignsubmission_file_"
    )
    assert _mlip("course", "collect", ASSIGNMENT, str(mixed), "--course", root) == 2
    error = capsys.readouterr().err
    assert "--format" in error and "Traceback" not in error
    roster = tmp_path / "grades.csv"
    roster.write_text(CANVAS_ROSTER)
    assert _mlip("course", "roster", "import", str(roster), "--course", root) == 0
    capsys.readouterr()
    assert _mlip("course", "roster", "list", "--course", root, "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [s["id"] for s in listed["students"]] == ["11111", "22222", "33333"]
