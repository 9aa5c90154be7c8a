"""The student wheel ships release copies, but no solution and no hidden check implementation."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from mlip.assignments import ASSIGNMENTS

ROOT = Path(__file__).resolve().parents[2]

#: The requirements topic checks requirements against a *guarded* reference system, so its check
#: modules ship simple reference guards that may share a line with a guards solution. Known and
#: accepted (see CHANGELOG); every other shipped file must not contain a solution line.
REFERENCE_SYSTEMS = ("mlip/checks/requirements_",)


def _solution_lines() -> set[str]:
    lines: set[str] = set()
    for source in sorted((ROOT / "assignments").glob("*/*.ipynb")):
        if source.parent.name.startswith("_"):
            continue
        for cell in json.loads(source.read_text())["cells"]:
            inside = False
            for line in cell["source"].splitlines():
                inside = ("BEGIN SOLUTION" in line) or (inside and "END SOLUTION" not in line)
                if inside and len(line.strip()) > 12 and "BEGIN SOLUTION" not in line:
                    lines.add(line.strip())
    return lines


@pytest.mark.slow
def test_wheel_has_release_copies_and_no_solutions(built_wheels: dict[str, Path]) -> None:
    wheel = built_wheels["mlip_kit"]
    solution = _solution_lines()
    hidden = {check.name for a in ASSIGNMENTS for check in a.hidden_checks}
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        for assignment in ASSIGNMENTS:
            for notebook in assignment.notebooks:
                assert f"mlip/assignments/release/{assignment.id}/{notebook}" in names
        assert not [n for n in names if n.startswith("assignments/") or "autograder" in n]
        for name in names:
            text = archive.read(name).decode("utf-8", errors="ignore")
            assert "BEGIN SOLUTION" not in text, name
            if name.endswith(".ipynb"):  # a released notebook must not contain any solution line
                assert not [line for line in solution if line in text], name
            elif not name.startswith(REFERENCE_SYSTEMS):  # no whole solution line in code
                shipped = {line.strip() for line in text.splitlines()}
                assert not [line for line in solution if len(line) > 32 and line in shipped], name
            if name.startswith("mlip/checks/"):
                assert not [h for h in hidden if f'name="{h}"' in text], name
