"""The interaction assignments end to end: scaffold, a blank notebook fails, the solution passes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlip.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "assignment_id", ["interaction-tax", "interaction-toaster", "interaction-transcription"]
)
def test_interaction_scaffolds_fails_blank_and_passes_solved(
    tmp_path: Path, assignment_id: str
) -> None:
    folder = tmp_path / assignment_id
    assert main(["new", assignment_id, "--dir", str(folder)]) == 0
    assert main(["check", str(folder)]) == 1
    shutil.copyfile(
        ROOT / "assignments" / assignment_id / "interaction.ipynb", folder / "interaction.ipynb"
    )
    assert main(["check", str(folder)]) == 0
