"""``mlip check`` as a service: unusable notebooks give one clear message, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from mlip.errors import InputError
from mlip.services.check import check_project
from mlip.services.scaffold import new_project

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return Path(new_project(topic="guards", system="tax", directory=tmp_path / "p").directory)


def edit(folder: Path, change: Callable[[dict], None]) -> None:
    path = folder / "guards.ipynb"
    notebook = json.loads(path.read_text())
    change(notebook)
    path.write_text(json.dumps(notebook))


def cell(notebook: dict, grade_id: str) -> dict:
    return next(
        c
        for c in notebook["cells"]
        if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id
    )


def test_corrupt_notebook_json(project: Path) -> None:
    (project / "guards.ipynb").write_text('{"cells": [}')
    with pytest.raises(InputError, match=r"guards.ipynb is not valid notebook JSON \(line 1"):
        check_project(directory=project)


def test_json_that_is_not_a_notebook(project: Path) -> None:
    (project / "guards.ipynb").write_text('{"hello": 1}')
    with pytest.raises(InputError, match="not a Jupyter notebook"):
        check_project(directory=project)


def test_deleted_locked_cell(project: Path) -> None:
    edit(project, lambda nb: nb["cells"].remove(cell(nb, "check-prompts-bounded")))
    with pytest.raises(InputError, match="locked cell 'check-prompts-bounded' was deleted"):
        check_project(directory=project)


def test_edited_locked_cell(project: Path) -> None:
    edit(project, lambda nb: cell(nb, "test-prompt-policy").update(source="assert True"))
    with pytest.raises(InputError, match=r"'test-prompt-policy' of guards\.ipynb was edited"):
        check_project(directory=project)


def test_syntax_error_names_the_cell_and_line(project: Path) -> None:
    edit(project, lambda nb: cell(nb, "advice-guard").update(source="def advice_guard(:\n"))
    with pytest.raises(InputError, match=r"syntax error in cell \d+ \('advice-guard'\), line 1"):
        check_project(directory=project)


def test_infinite_loop_times_out_with_the_cell_named(project: Path) -> None:
    edit(project, lambda nb: cell(nb, "advice-guard").update(source="while True:\n    pass\n"))
    with pytest.raises(
        InputError,
        match=r"timed out after 3 s while running cell \d+ "
        r"\('advice-guard'\).*--timeout",
    ):
        check_project(directory=project, timeout=3)


def test_a_cell_that_raises(project: Path) -> None:
    edit(project, lambda nb: cell(nb, "advice-guard").update(source="x = 1\nundefined_name\n"))
    with pytest.raises(InputError, match=r"\('advice-guard'\), line 2 raised NameError"):
        check_project(directory=project)


def test_fresh_release_fails_every_check_with_a_message(project: Path) -> None:
    report = check_project(directory=project)
    assert not report.passed and report.points == 0
    assert {r.check for r in report.results} >= {"test-advice-guard", "keeps-revenue"}
    assert all(r.message for r in report.results)
    assert report.hidden_checks == ("hidden-chaos-seeds", "hidden-drift")


def test_solution_passes_every_check(project: Path) -> None:
    source = ROOT / "assignments" / "guards-tax" / "guards.ipynb"
    (project / "guards.ipynb").write_text(source.read_text())
    report = check_project(directory=project)
    assert report.passed, [r.message for r in report.results if not r.passed]
    assert report.points == report.max_points == 22
    json.dumps(report.to_dict())


def test_not_a_project(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not an mlip assignment project"):
        check_project(directory=tmp_path)
