"""The instructor side registers through ``mlip_autograder.grading`` like a course's own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mlip.assignments import ASSIGNMENTS


def test_every_kit_assignment_has_its_hidden_families_and_sources() -> None:
    from mlip_autograder.hidden import HIDDEN_FAMILIES, families_of, gradings, source_folders

    registered = gradings()
    assert registered.broken == ()
    folders = source_folders()
    for assignment in ASSIGNMENTS:
        declared = {check.name for check in assignment.hidden_checks}
        assert {family.name for family in families_of(assignment.id)} == declared
        assert any(folders[assignment.id].glob("*.ipynb"))
    assert len(HIDDEN_FAMILIES) == sum(len(a.hidden_checks) for a in ASSIGNMENTS)


def test_a_broken_grading_package_spares_the_kits_hidden_checks(tmp_path: Path) -> None:
    info = tmp_path / "mlip_broken_grading-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mlip-broken-grading\n")
    (info / "entry_points.txt").write_text(
        "[mlip_autograder.grading]\nbroken = mlip_no_such_grading:GRADING\n"
    )
    code = (
        "from mlip_autograder.hidden import gradings, hidden_check\n"
        "print(gradings().broken[0])\n"
        "print(hidden_check('guards-tax', 'hidden-drift', secret='s').max_points)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tmp_path)},
        check=True,
    )
    broken, points = done.stdout.splitlines()
    assert "'mlip-broken-grading' failed to load: ModuleNotFoundError" in broken
    assert float(points) == 3.0


def test_the_autograder_imports_only_public_mlip_names() -> None:
    """Like any course package: no ``mlip.x._y`` module, no ``_name`` imported from mlip."""
    import ast

    root = Path(__file__).resolve().parents[2] / "autograder" / "mlip_autograder"
    private = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "mlip":
                names = [alias.name for alias in node.names]
                parts = (node.module or "").split(".")
                if any(part.startswith("_") for part in parts + names):
                    private.append(f"{path.name}: from {node.module} import {', '.join(names)}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    parts = alias.name.split(".")
                    if parts[0] == "mlip" and any(part.startswith("_") for part in parts):
                        private.append(f"{path.name}: import {alias.name}")
    assert private == []
