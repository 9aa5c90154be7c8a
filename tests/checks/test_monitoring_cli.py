"""``mlip new monitoring`` / ``mlip check`` end to end: fresh release fails, solution passes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlip.cli import app, main

ROOT = Path(__file__).resolve().parents[2]
IDS = ["monitoring-toaster", "monitoring-tax", "monitoring-transcription"]


def test_monitoring_assignments_are_listed() -> None:
    result = CliRunner().invoke(app, ["assignments", "list", "--json"])
    assert result.exit_code == 0
    listed = {item["id"]: item for item in json.loads(result.stdout)["assignments"]}
    for assignment_id in IDS:
        assert assignment_id in listed
        assert "hidden-drift-seeds" in listed[assignment_id]["hidden_checks"]


@pytest.mark.parametrize("assignment_id", IDS)
def test_release_copy_has_no_solution(assignment_id: str) -> None:
    release = ROOT / "mlip" / "assignments" / "release" / assignment_id / "monitoring.ipynb"
    text = release.read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "ks_drift(values" not in text
    assert "def monitor(event: dict)" in text and "raise NotImplementedError" in text


def test_fresh_release_fails_and_solution_passes(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    assert main(["new", "monitoring", "--system", "tax", "--dir", str(folder)]) == 0
    assert main(["check", str(folder)]) == 1
    shutil.copyfile(
        ROOT / "assignments" / "monitoring-tax" / "monitoring.ipynb", folder / "monitoring.ipynb"
    )
    assert main(["check", str(folder)]) == 0


@pytest.mark.parametrize("system", ["toaster", "transcription"])
def test_solution_passes_on_other_systems(tmp_path: Path, system: str) -> None:
    from mlip.systems import get_system

    if not get_system(system).checkpoint_path().is_file():
        pytest.skip(f"{system} has no committed checkpoint yet")
    folder = tmp_path / system
    assert main(["new", "monitoring", "--system", system, "--dir", str(folder)]) == 0
    shutil.copyfile(
        ROOT / "assignments" / f"monitoring-{system}" / "monitoring.ipynb",
        folder / "monitoring.ipynb",
    )
    assert main(["check", str(folder)]) == 0
