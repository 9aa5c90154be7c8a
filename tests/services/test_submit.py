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
    result = submit_project(directory=project, run_checks=False)
    assert Path(result.zip_path) == project / "guards-tax-submission.zip"
    with zipfile.ZipFile(result.zip_path) as archive:
        assert archive.namelist() == ["guards.ipynb"]
    assert any("advice-guard" in warning for warning in result.warnings)  # still a stub


def test_a_second_submission_is_numbered_unless_forced(project: Path) -> None:
    first = submit_project(directory=project, run_checks=False).zip_path
    second = submit_project(directory=project, run_checks=False).zip_path
    assert Path(second).name == "guards-tax-submission-2.zip" and Path(first).is_file()
    forced = submit_project(directory=project, force=True, run_checks=False).zip_path
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
    assert submit_project(directory=project, run_checks=False).warnings == ()


def test_a_notebook_without_nbgrader_checksums_is_refused(project: Path) -> None:
    (project / "guards.ipynb").write_text(SOURCE.read_text())  # the instructor's source
    with pytest.raises(InputError, match="was edited"):
        submit_project(directory=project, run_checks=False)


def test_an_edited_locked_cell_is_refused(project: Path) -> None:
    _edit(project, lambda nb: _cell(nb, "test-advice-guard").update(source="pass"))
    with pytest.raises(
        InputError, match=r"locked cell 'test-advice-guard' of guards\.ipynb was edited"
    ):
        submit_project(directory=project, run_checks=False)
    assert not list(project.glob("*.zip"))


def test_tampered_points_are_refused(project: Path) -> None:
    _edit(
        project,
        lambda nb: _cell(nb, "check-keeps-revenue")["metadata"]["nbgrader"].update(points=100.0),
    )
    with pytest.raises(InputError, match="check-keeps-revenue"):
        submit_project(directory=project, run_checks=False)


def test_a_deleted_locked_cell_is_refused(project: Path) -> None:
    _edit(project, lambda nb: nb["cells"].remove(_cell(nb, "setup")))
    with pytest.raises(InputError, match="locked cell 'setup' was deleted"):
        submit_project(directory=project, run_checks=False)


def test_corrupt_notebook_and_missing_marker(project: Path, tmp_path: Path) -> None:
    (project / "guards.ipynb").write_text('{"cells": [')
    with pytest.raises(InputError, match="not valid notebook JSON"):
        submit_project(directory=project, run_checks=False)
    with pytest.raises(InputError, match="not an mlip assignment project"):
        submit_project(directory=tmp_path, run_checks=False)


def test_a_second_submission_says_which_zip_is_new(project: Path) -> None:
    first = submit_project(directory=project, run_checks=False)
    assert first.earlier == ()
    second = submit_project(directory=project, run_checks=False)
    assert second.earlier == (first.zip_path,)
    notice = [w for w in second.warnings if "earlier submission" in w]
    assert notice and "guards-tax-submission.zip" in notice[0]
    assert "guards-tax-submission-2.zip" in notice[0] and "--force" in notice[0]
    assert second.to_dict()["earlier"] == [first.zip_path]


def test_failing_public_checks_warn_but_the_zip_is_written(project: Path) -> None:
    result = submit_project(directory=project)  # the fresh release: every check fails
    assert Path(result.zip_path).is_file()
    assert result.checks_passed is False
    assert any(
        w.startswith("public checks fail (0/") and "mlip check" in w for w in result.warnings
    )


def test_a_folder_of_projects_lists_them(tmp_path: Path) -> None:
    for topic in ("guards-tax", "monitoring-tax"):
        new_project(topic=topic, directory=tmp_path / topic)
    with pytest.raises(
        InputError, match=r"holds 2 projects: .*guards-tax, .*monitoring-tax; pass one"
    ):
        submit_project(directory=tmp_path, run_checks=False)
