"""Requirements checks: a solution passes; cycles, unknown fields and trivial bounds lose points."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mlip.checks import run_check
from mlip.checks.requirements_toaster import CHECKS
from mlip.cli import app
from mlip.requirements import (
    Assumption,
    BasicEvent,
    FaultTree,
    Goal,
    Mitigation,
    Requirement,
    Specification,
    and_gate,
    or_gate,
)

ROOT = Path(__file__).resolve().parents[2]


def _fire(**overrides: Any) -> Requirement:
    fields: dict[str, Any] = dict(
        id="REQ1", text="no fire", event="outcome", field="fire", aggregate="rate", bound="<=",
        threshold=0.0,
    )  # fmt: skip
    fields.update(overrides)
    return Requirement(**fields)


def _solution(**replace: Any) -> dict[str, Any]:
    statements = [
        _fire(),
        Specification("SPEC1", "plan <= 300 s", "prediction", "planned_seconds", "max", "<=", 300),
        Assumption("ASM1", "smoke sensor works", rules_out={"sensor_fault": ("smoke_dead",)}),
    ]
    tree = FaultTree(
        "fire",
        (and_gate("fire", "too_long", "no_stop"), or_gate("too_long", "failed", "over"),
         or_gate("no_stop", "no_cutoff", "smoke_dead")),
        (BasicEvent("failed", observed_as="model_failed"),
         BasicEvent("over", observed_as="model_overestimated"),
         BasicEvent("no_cutoff", observed_as="no_thermal_cutoff"),
         BasicEvent("smoke_dead", observed_as="smoke_sensor_dead")),
    )  # fmt: skip
    functions = {
        "goals": lambda: [
            Goal("system", "no fire", "fire_rate"),
            Goal("user", "good toast", "doneness_within_1"),
            Goal("model", "good times", "prediction.predicted_seconds"),
        ],
        "requirements": lambda: statements,
        "fault_tree": lambda: tree,
        "mitigations": lambda: [
            Mitigation("cutoff", ("no_cutoff",)),
            Mitigation("second sensor", ("smoke_dead",)),
        ],
    }
    functions.update(replace)
    return functions


def _result(name: str, functions: dict[str, Any]) -> Any:
    check = next(check for check in CHECKS if check.name == name)
    return run_check(check, functions)


def test_reference_answer_passes_the_tree_and_requirement_checks() -> None:
    for name in ("requirements-hold-and-matter", "fault-tree-covers-hazards"):
        assert _result(name, _solution()).passed, name


def test_a_fault_tree_with_a_cycle_loses_points() -> None:
    cyclic = FaultTree(
        "fire", (and_gate("fire", "loop", "a"), or_gate("loop", "fire", "b")),
        (BasicEvent("a"), BasicEvent("b")),
    )  # fmt: skip
    result = _result("fault-tree-well-formed", _solution(fault_tree=lambda: cyclic))
    assert result.points < result.max_points
    assert "cycle: fire -> loop -> fire" in result.message


def test_a_requirement_on_a_missing_field_loses_points() -> None:
    broken = [_fire(field="flames"), *_solution()["requirements"]()[1:]]
    result = _result("requirements-measurable", _solution(requirements=lambda: broken))
    assert result.points < result.max_points
    assert "no field 'flames'" in json.dumps(result.to_dict())


def test_a_trivially_true_requirement_loses_points() -> None:
    trivial = [_fire(threshold=1.0), *_solution()["requirements"]()[1:]]
    result = _result("requirements-hold-and-matter", _solution(requirements=lambda: trivial))
    assert result.points < result.max_points
    assert "trivially true" in result.message


@pytest.mark.parametrize("system", ["toaster", "tax"])
def test_cli_fresh_release_fails_and_solution_passes(system: str, tmp_path: Path) -> None:
    runner = CliRunner()
    project = tmp_path / "project"
    created = runner.invoke(app, ["new", "requirements", "--system", system, "--dir", str(project)])
    assert created.exit_code == 0, created.output
    assert runner.invoke(app, ["check", str(project)]).exit_code == 1
    source = ROOT / "assignments" / f"requirements-{system}" / "requirements.ipynb"
    shutil.copy(source, project / "requirements.ipynb")
    solved = runner.invoke(app, ["check", str(project)])
    assert solved.exit_code == 0, solved.output
