"""The ``mlip.assignments`` registry: entry points, points stated once, broken plugins."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from points_agreement import disagreements

from mlip.assignments import ASSIGNMENTS, Assignment, assignment_ids, get_assignment
from mlip.assignments._registry import _assignments_of

ROOT = Path(__file__).resolve().parents[2]


def test_the_kit_registers_its_assignments_through_entry_points() -> None:
    from importlib.metadata import entry_points

    names = {ep.name for ep in entry_points(group="mlip.assignments")}
    assert {"guards", "interaction", "monitoring", "requirements", "feedback-loops"} <= names
    assert len([a for a in ASSIGNMENTS if a.release.startswith("mlip.assignments:")]) == 15
    # the kit's entry points load by name, each topic's assignments in the topic's own order
    guards = [name for name in assignment_ids() if name.startswith("guards-")]
    assert guards == ["guards-toaster", "guards-tax", "guards-transcription"]


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.id)
def test_catalogue_checks_notebooks_and_hidden_families_agree(assignment: Assignment) -> None:
    assert disagreements(assignment.id) == []


def test_disagreement_is_noticed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A notebook cell whose points drifted from the check object is reported."""
    import mlip.checks

    assignment = get_assignment("guards-toaster")
    real = mlip.checks.public_checks

    def drifted(assignment_id: str) -> tuple[mlip.checks.Check, ...]:
        from dataclasses import replace

        first, *rest = real(assignment_id)
        return (replace(first, max_points=first.max_points + 1), *rest)

    monkeypatch.setattr(mlip.checks, "public_checks", drifted)
    problems = disagreements(assignment.id)
    assert any("check objects" in problem for problem in problems)


def test_an_entry_point_must_name_assignments() -> None:
    kit = get_assignment("guards-tax")
    assert _assignments_of(kit) == (kit,)
    assert _assignments_of([kit, kit]) == (kit, kit)
    assert _assignments_of("guards-tax") is None
    assert _assignments_of(()) is None
    assert _assignments_of([kit, 3]) is None


def _broken_package(root: Path, name: str, target: str) -> Path:
    """A distribution (dist-info only) whose mlip.assignments entry point names ``target``."""
    info = root / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[mlip.assignments]\nbroken = {target}\n")
    return root


def _mlip(*args: str, path: Path) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": str(path), "PATH": "/usr/bin:/bin", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "mlip", *args], capture_output=True, text=True, env=env, cwd=path
    )


def test_a_broken_course_package_is_one_line_and_spares_the_kit(tmp_path: Path) -> None:
    path = _broken_package(tmp_path, "mlip-broken-course", "mlip_no_such_module:ASSIGNMENTS")
    listed = _mlip("assignments", "list", "--json", path=path)
    assert listed.returncode == 0, listed.stderr
    assert '"guards-toaster"' in listed.stdout
    assert "mlip-broken-course" in listed.stderr and "Traceback" not in listed.stderr
    asked = _mlip("new", "guards", "--system", "coffee", "--dir", "x", path=path)
    assert asked.returncode == 2
    assert "Traceback" not in asked.stderr
    assert "'mlip-broken-course' failed to load: ModuleNotFoundError" in asked.stderr
    assert len(asked.stderr.strip().splitlines()) <= 3  # one message (rich may wrap it)
    kit = _mlip("new", "guards-tax", "--dir", "tax", path=path)
    assert kit.returncode == 0, kit.stderr


def test_a_wrong_value_or_a_duplicate_id_is_refused(tmp_path: Path) -> None:
    wrong = _broken_package(tmp_path / "a", "mlip-wrong", "mlip.assignments:release_dir")
    listed = _mlip("assignments", "list", "--json", path=wrong)
    assert "names neither an mlip Assignment" in listed.stderr
    again = _broken_package(
        tmp_path / "b", "mlip-again", "mlip.assignments._guards:GUARDS_ASSIGNMENTS"
    )
    listed = _mlip("assignments", "list", "--json", path=again)
    assert listed.returncode == 0
    assert "already registered by 'mlip-kit'" in listed.stderr
    assert listed.stdout.count('"id": "guards-toaster"') == 1


def test_a_broken_checks_module_is_named_and_the_rest_listed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dataclasses import replace

    import mlip.services.assignments as service

    broken = replace(get_assignment("guards-tax"), id="guards-x", checks_module="no_such.checks")
    monkeypatch.setattr(service, "ASSIGNMENTS", (*ASSIGNMENTS, broken))
    listing = service.list_assignments()
    assert [a.id for a in listing.assignments] == assignment_ids()
    assert any("no_such.checks" in problem for problem in listing.problems)
