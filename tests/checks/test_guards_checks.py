"""Public guards checks: consistent with the catalogue, passed by the reference solutions, failed
by the naive system (identity guards) — so the assignments are solvable and not trivial."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlip.assignments import ASSIGNMENTS, get_assignment
from mlip.checks import extension_specs, get_check, public_checks, run_check
from mlip.errors import UsageError
from mlip.systems import get_system

ROOT = Path(__file__).resolve().parents[2]
IDS = [assignment.id for assignment in ASSIGNMENTS if assignment.topic == "guards"]


def solution_functions(assignment_id: str) -> dict[str, Any]:
    """The reference solution's extension functions, taken from the nbgrader source notebook."""
    notebook = json.loads((ROOT / "assignments" / assignment_id / "guards.ipynb").read_text())
    namespace: dict[str, Any] = {}
    for cell in notebook["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("solution") and cell["cell_type"] == "code":
            exec(cell["source"], namespace)
    return {name: namespace[name] for name in get_assignment(assignment_id).extension_names}


def require_model(system_name: str) -> None:
    if not get_system(system_name).checkpoint_path().is_file():
        pytest.skip(f"{system_name} has no committed checkpoint yet")


@pytest.mark.parametrize("assignment_id", IDS)
def test_public_checks_match_the_catalogue(assignment_id: str) -> None:
    assignment = get_assignment(assignment_id)
    checks = public_checks(assignment_id)
    assert [(c.name, c.max_points) for c in checks] == [
        (d.name, d.points) for d in assignment.public_checks
    ]
    assert {spec.name for spec in extension_specs(assignment_id)} == set(assignment.extension_names)
    for point in get_system(assignment.system).extension_points():
        if point.name in assignment.extension_names:
            assert point.kind in {"guard", "policy"}
    assert all(check.assignment == assignment_id for check in checks)


def test_unknown_check_lists_the_known_ones() -> None:
    with pytest.raises(UsageError, match="public checks: no-fire-under-chaos"):
        get_check("guards-toaster", "no-such-check")


def test_tax_solution_passes_and_naive_system_fails() -> None:
    solution = solution_functions("guards-tax")
    naive = {
        "advice_guard": lambda advice, tax_return, risk: advice,
        "prompt_policy": lambda risk, shown, step: risk >= 0.05,
    }
    never_offer = {**solution, "prompt_policy": lambda risk, shown, step: False}
    for check in public_checks("guards-tax"):
        assert run_check(check, solution).passed, check.name
    assert not run_check(get_check("guards-tax", "no-harmful-advice-under-chaos"), naive).passed
    assert not run_check(get_check("guards-tax", "prompts-bounded"), naive).passed
    assert not run_check(get_check("guards-tax", "keeps-revenue"), never_offer).passed


def test_toaster_solution_passes_and_naive_system_fails() -> None:
    require_model("toaster")
    solution = solution_functions("guards-toaster")
    chaos = get_check("guards-toaster", "no-fire-under-chaos")
    good_toast = get_check("guards-toaster", "keeps-good-toast")
    assert run_check(chaos, solution).passed
    assert run_check(good_toast, solution).passed
    naive = run_check(chaos, {"heating_guard": lambda p, r: p, "thermal_cutoff": lambda s: False})
    assert not naive.passed and 0 < naive.points < chaos.max_points  # partial credit
    refuse: dict[str, Any] = {"heating_guard": lambda p, r: 0.0, "thermal_cutoff": lambda s: True}
    assert run_check(chaos, refuse).passed and not run_check(good_toast, refuse).passed


def test_transcription_solution_passes_and_naive_system_fails() -> None:
    require_model("transcription")
    solution = solution_functions("guards-transcription")
    for check in public_checks("guards-transcription"):
        assert run_check(check, solution).passed, check.name
    publish_all = {"publish_guard": lambda word: "publish"}
    review_all = {"publish_guard": lambda word: "review"}
    chaos = get_check("guards-transcription", "no-doubtful-word-published-under-chaos")
    useful = get_check("guards-transcription", "keeps-transcripts-useful")
    assert not run_check(chaos, publish_all).passed
    assert not run_check(useful, review_all).passed
