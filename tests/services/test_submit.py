"""``mlip submit`` as a service: validation against the release copy, zips never clobbered."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from mlip.errors import InputError
from mlip.services.scaffold import new_project
from mlip.services.submit import submit_project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return Path(new_project(topic="guards", system="tax", directory=tmp_path / "p").directory)


def _edit(folder: Path, change: object) -> None:
    path = folder / "guards.ipynb"
    notebook = json.loads(path.read_text())
    change(notebook)  # type: ignore[operator]
    path.write_text(json.dumps(notebook))


def _cell(notebook: dict, grade_id: str) -> dict:
    return next(
        c
        for c in notebook["cells"]
        if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id
    )


def test_submit_writes_a_zip_with_the_notebook(project: Path) -> None:
    result = submit_project(directory=project)
    assert Path(result.zip_path) == project / "guards-tax-submission.zip"
    with zipfile.ZipFile(result.zip_path) as archive:
        assert archive.namelist() == ["guards.ipynb"]
    assert any("advice-guard" in warning for warning in result.warnings)  # still a stub


def test_a_second_submission_is_numbered_unless_forced(project: Path) -> None:
    first = submit_project(directory=project).zip_path
    second = submit_project(directory=project).zip_path
    assert Path(second).name == "guards-tax-submission-2.zip" and Path(first).is_file()
    forced = submit_project(directory=project, force=True).zip_path
    assert forced == first


SOURCE = Path(__file__).resolve().parents[2] / "assignments" / "guards-tax" / "guards.ipynb"


def test_an_answered_notebook_has_no_warnings(project: Path) -> None:
    answers = {
        cell["metadata"]["nbgrader"]["grade_id"]: cell["source"]
        for cell in json.loads(SOURCE.read_text())["cells"]
        if cell["metadata"].get("nbgrader", {}).get("solution")
    }

    def answer(notebook: dict) -> None:
        for grade_id, source in answers.items():
            _cell(notebook, grade_id)["source"] = source.replace("### BEGIN SOLUTION", "")

    _edit(project, answer)
    assert submit_project(directory=project).warnings == ()


def test_a_notebook_without_nbgrader_checksums_is_refused(project: Path) -> None:
    (project / "guards.ipynb").write_text(SOURCE.read_text())  # the instructor's source
    with pytest.raises(InputError, match="was edited"):
        submit_project(directory=project)


def test_an_edited_locked_cell_is_refused(project: Path) -> None:
    _edit(project, lambda nb: _cell(nb, "test-advice-guard").update(source="pass"))
    with pytest.raises(
        InputError, match=r"locked cell 'test-advice-guard' of guards\.ipynb was edited"
    ):
        submit_project(directory=project)
    assert not list(project.glob("*.zip"))


def test_tampered_points_are_refused(project: Path) -> None:
    _edit(
        project,
        lambda nb: _cell(nb, "check-keeps-revenue")["metadata"]["nbgrader"].update(points=100.0),
    )
    with pytest.raises(InputError, match="check-keeps-revenue"):
        submit_project(directory=project)


def test_a_deleted_locked_cell_is_refused(project: Path) -> None:
    _edit(project, lambda nb: nb["cells"].remove(_cell(nb, "setup")))
    with pytest.raises(InputError, match="locked cell 'setup' was deleted"):
        submit_project(directory=project)


def test_corrupt_notebook_and_missing_marker(project: Path, tmp_path: Path) -> None:
    (project / "guards.ipynb").write_text('{"cells": [')
    with pytest.raises(InputError, match="not valid notebook JSON"):
        submit_project(directory=project)
    with pytest.raises(InputError, match="not an mlip assignment project"):
        submit_project(directory=tmp_path)
