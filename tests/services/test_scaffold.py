"""``mlip new`` as a service: project contents, refusing to clobber, unknown names."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from mlip import __version__
from mlip.assignments import release_dir
from mlip.errors import UsageError
from mlip.services._project import MARKER_NAME, load_project
from mlip.services.scaffold import new_project


def test_new_project_has_notebook_readme_and_marker(tmp_path: Path) -> None:
    result = new_project(topic="guards", system="toaster", directory=tmp_path / "p")
    folder = Path(result.directory)
    assert result.assignment == "guards-toaster"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["guards.ipynb", "README.md", MARKER_NAME]
    )
    marker = json.loads((folder / MARKER_NAME).read_text())
    assert marker["assignment"] == "guards-toaster" and marker["kit_version"] == __version__
    released = (release_dir("guards-toaster") / "guards.ipynb").read_bytes()
    assert marker["release"] == {"guards.ipynb": hashlib.sha256(released).hexdigest()[:16]}
    readme = (folder / "README.md").read_text()
    assert "heating_guard" in readme and "mlip check" in readme and "mlip submit" in readme
    assert "https://mlip-cmu.github.io/book/" in readme
    assert "BEGIN SOLUTION" not in (folder / "guards.ipynb").read_text()
    assert load_project(folder).assignment.id == "guards-toaster"


def test_default_folder_is_the_assignment_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = new_project(topic="guards", system="tax")
    assert Path(result.directory) == Path("guards-tax")
    assert (tmp_path / "guards-tax" / "guards.ipynb").is_file()


def test_refuses_a_non_empty_folder_without_force(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(UsageError, match=r"not empty.*--force"):
        new_project(topic="guards", system="toaster", directory=tmp_path)
    new_project(topic="guards", system="toaster", directory=tmp_path, force=True)
    assert (tmp_path / "mine.txt").read_text() == "keep me"
    assert (tmp_path / "guards.ipynb").is_file()


def test_unknown_topic_and_system_list_the_known_ones(tmp_path: Path) -> None:
    known = "feedback-loops, guards, interaction, monitoring, requirements"
    with pytest.raises(UsageError, match=f"unknown topic 'guard'; known topics: {known}"):
        new_project(topic="guard", system="toaster", directory=tmp_path)
    with pytest.raises(UsageError, match="known systems: tax, toaster, transcription"):
        new_project(topic="guards", system="fridge", directory=tmp_path)


def test_force_keeps_a_changed_notebook_as_a_named_backup(tmp_path: Path) -> None:
    new_project(topic="guards", system="tax", directory=tmp_path)
    notebook = tmp_path / "guards.ipynb"
    solved = notebook.read_text().replace("raise NotImplementedError", "return 0  # mine")
    notebook.write_text(solved)
    again = new_project(topic="guards", system="tax", directory=tmp_path, force=True)
    assert len(again.backups) == 1
    backup = Path(again.backups[0])
    assert backup.parent == tmp_path and backup.name.startswith("guards.ipynb.bak-")
    assert backup.read_text() == solved
    assert "return 0  # mine" not in notebook.read_text()
    assert again.to_dict()["backups"] == [str(backup)]
    # an unchanged notebook needs no backup, and a second backup never overwrites the first
    assert new_project(topic="guards", system="tax", directory=tmp_path, force=True).backups == ()
    notebook.write_text(solved + " ")
    third = new_project(topic="guards", system="tax", directory=tmp_path, force=True)
    assert len(third.backups) == 1 and Path(third.backups[0]) != backup and backup.is_file()


def test_an_assignment_id_is_accepted_as_the_topic(tmp_path: Path) -> None:
    result = new_project(topic="guards-tax", directory=tmp_path / "a")
    assert result.assignment == "guards-tax"
    assert new_project(topic="guards-tax", system="tax", directory=tmp_path / "b").assignment
    with pytest.raises(UsageError, match="guards-tax is the guards assignment for tax"):
        new_project(topic="guards-tax", system="toaster", directory=tmp_path / "c")
    with pytest.raises(UsageError, match="which system"):
        new_project(topic="guards", directory=tmp_path / "d")
