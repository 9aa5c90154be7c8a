"""``collect``: LMS zips and folders in, nbgrader layout out; unsafe entries refused per student."""

from __future__ import annotations

import json
import os
import shutil
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest
from autograder_samples import ASSIGNMENT, SOURCES

from mlip.errors import InputError, UsageError

NOTEBOOK = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mlip_autograder.course import init_course

    root = tmp_path_factory.mktemp("template") / "course"
    init_course(directory=root, sources=SOURCES)  # slow-ish (nbgrader's alembic): once
    return root


@pytest.fixture
def course(template: Path, tmp_path: Path) -> Any:
    from mlip_autograder.course import Course

    shutil.copytree(template, tmp_path / "course")
    return Course((tmp_path / "course").resolve())


def _collect(course: Any, source: Path) -> Any:
    from mlip_autograder.collect import collect

    return collect(course=course, assignment_id=ASSIGNMENT, source=source)


def _actions(report: Any) -> dict[str, str]:
    return {entry.file: entry.action for entry in report.entries}


def _zip(
    path: Path,
    members: dict[str, bytes],
    *,
    when: tuple[int, int, int, int, int, int] = (2026, 1, 1, 0, 0, 0),
    links: tuple[str, ...] = (),
) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=when)
            if name in links:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, data)
    return path


def test_lms_zip_of_notebooks_and_student_zips(course: Any, tmp_path: Path) -> None:
    inner = tmp_path / "inner.zip"
    _zip(inner, {"guards.ipynb": NOTEBOOK.encode()})
    source = _zip(
        tmp_path / "lms.zip",
        {
            "alice_123_guards.ipynb": NOTEBOOK.encode(),
            "bob_456_guards-toaster-submission.zip": inner.read_bytes(),
        },
    )
    report = _collect(course, source)
    assert report.students == ("alice", "bob")
    for student in ("alice", "bob"):
        folder = course.root / "submitted" / student / ASSIGNMENT
        assert (folder / "guards.ipynb").read_text() == NOTEBOOK
        assert (folder / "timestamp.txt").exists()


def test_unsafe_and_unusable_entries_are_refused(course: Any, tmp_path: Path) -> None:
    big = b'{"cells": [], "pad": "' + b"x" * (6 * 1024 * 1024) + b'"}'
    source = _zip(
        tmp_path / "lms.zip",
        {
            "../evil_guards.ipynb": NOTEBOOK.encode(),
            "/abs_guards.ipynb": NOTEBOOK.encode(),
            "link_guards.ipynb": b"/etc/passwd",
            "big_guards.ipynb": big,
            "notes_readme.txt": b"hello",
            "broken_guards.ipynb": b"{not json",
            "carol_guards.ipynb": NOTEBOOK.encode(),
        },
        links=("link_guards.ipynb",),
    )
    report = _collect(course, source)
    actions = _actions(report)
    assert actions["carol_guards.ipynb"] == "added"
    for name in (
        "../evil_guards.ipynb",
        "/abs_guards.ipynb",
        "link_guards.ipynb",
        "big_guards.ipynb",
        "notes_readme.txt",
        "broken_guards.ipynb",
    ):
        assert actions[name] == "refused", name
    messages = " ".join(entry.message for entry in report.entries)
    assert "zip-slip" in messages and "symbolic link" in messages and "too large" in messages
    assert not (course.root.parent / "evil_guards.ipynb").exists()
    assert report.students == ("carol",)


def test_zip_slip_inside_a_student_zip(course: Any, tmp_path: Path) -> None:
    inner = _zip(tmp_path / "inner.zip", {"../../escape.ipynb": NOTEBOOK.encode()})
    report = _collect(course, _zip(tmp_path / "lms.zip", {"dave_x.zip": inner.read_bytes()}))
    assert _actions(report)["dave_x.zip"] == "refused"
    assert not list(tmp_path.rglob("escape.ipynb"))


def test_folder_with_symlink_and_nbgrader_layout(course: Any, tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    (folder / "erin" / ASSIGNMENT).mkdir(parents=True)
    (folder / "erin" / ASSIGNMENT / "guards.ipynb").write_text(NOTEBOOK)
    os.symlink(course.root / "mlip_secret_seed.txt", folder / "frank_guards.ipynb")
    report = _collect(course, folder)
    assert _actions(report) == {"erin": "added", "frank_guards.ipynb": "refused"}


def test_newest_submission_wins_and_replacement_is_reported(course: Any, tmp_path: Path) -> None:
    old = json.dumps({"cells": [], "metadata": {"v": "old"}})
    new = json.dumps({"cells": [], "metadata": {"v": "new"}})
    first = _zip(
        tmp_path / "first.zip", {"gina_1_guards.ipynb": old.encode()}, when=(2026, 1, 1, 0, 0, 0)
    )
    assert _actions(_collect(course, first))["gina_1_guards.ipynb"] == "added"
    second = tmp_path / "second.zip"
    with zipfile.ZipFile(second, "w") as archive:
        archive.writestr(zipfile.ZipInfo("gina_2_guards.ipynb", (2026, 1, 3, 0, 0, 0)), new)
        archive.writestr(zipfile.ZipInfo("gina_3_guards.ipynb", (2026, 1, 2, 0, 0, 0)), old)
    report = _collect(course, second)
    actions = _actions(report)
    assert actions["gina_2_guards.ipynb"] == "replaced"
    assert actions["gina_3_guards.ipynb"] == "kept"
    saved = course.root / "submitted" / "gina" / ASSIGNMENT / "guards.ipynb"
    assert json.loads(saved.read_text())["metadata"]["v"] == "new"


def test_unknown_assignment_and_missing_source(course: Any, tmp_path: Path) -> None:
    from mlip_autograder.collect import collect

    with pytest.raises(UsageError, match="no assignment"):
        collect(course=course, assignment_id="nope", source=tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        _collect(course, tmp_path / "missing.zip")
