"""The validity cases through the real judge (sandboxed student code, hidden checks).

One representative wrong and one right solution per assignment: the wrong one must lose hidden
points (e.g. guards-tax: the None entries it crashes on must cross the sandbox boundary), the
right one, written differently from the reference, must keep every hidden point.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from validity_cases import CASES, ROOT, SECRETS, load_case

#: assignment -> (a wrong case, the hidden check that must catch it, a right case)
REPRESENTATIVES = {
    "guards-tax": ("crashes-on-missing-entry", "hidden-drift", "informational-only"),
    "guards-toaster": ("cap-600-smoke-only", "hidden-sensor-faults", "table-fallback-temperature"),
    "monitoring-toaster": ("alerts-at-public-onsets", "hidden-drift-seeds", "mean-shift-z"),
    "guards-transcription": ("lower-threshold", "hidden-new-voices", "float-parse"),
    "monitoring-tax": (
        "alerts-at-public-onsets",
        "hidden-drift-seeds",
        "z-test-and-new-categories",
    ),
    "requirements-tax": (
        "flat-or-of-every-fact",
        "hidden-hazard-paths",
        "one-and-gate-with-a-trigger",
    ),
    "requirements-toaster": (
        "within-one-shade-080-no-bread-assumption",
        "hidden-assumption-breaks",
        "within-one-shade-080",
    ),
    "requirements-transcription": (
        "assume-nothing-goes-wrong",
        "hidden-assumption-breaks",
        "two-explicit-paths",
    ),
}


def _notebook(assignment: str, case: str) -> dict[str, Any]:
    """The release notebook with the case's solution cells, without public check cells."""
    cells = load_case(CASES / assignment / f"{case}.json")["cells"]
    (path,) = (ROOT / "assignments" / assignment).glob("*.ipynb")
    source = json.loads(path.read_text(encoding="utf-8"))
    reference = {
        cell["metadata"]["nbgrader"]["grade_id"]: "".join(
            line
            for line in "".join(cell["source"]).splitlines(keepends=True)
            if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")
        )
        for cell in source["cells"]
        if cell["metadata"].get("nbgrader", {}).get("solution")
    }
    release = ROOT / "mlip" / "assignments" / "release" / assignment / path.name
    notebook: dict[str, Any] = json.loads(release.read_text(encoding="utf-8"))
    kept = []
    for cell in notebook["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("grade") and "system_check(" in "".join(cell["source"]):
            continue
        grade_id = meta.get("grade_id")
        if grade_id in reference:
            code = cells.get(grade_id, "{reference}")
            cell["source"] = code.replace("{reference}", reference[grade_id])
        kept.append(cell)
    notebook["cells"] = kept
    return notebook


def _hidden(assignment: str, case: str) -> dict[str, dict[str, Any]]:
    import sys

    sys.path.insert(0, str(ROOT / "tests" / "autograder"))
    from autograder_samples import benign_limits
    from mlip_autograder._sandbox import detect_isolation
    from mlip_autograder.judge import judge_notebook

    report = judge_notebook(
        _notebook(assignment, case),
        assignment_id=assignment,
        limits=benign_limits(),
        isolation=detect_isolation(),
        secret=SECRETS[0],
    )
    assert report.status == "graded", report.reason
    return {check["check"]: check for check in report.checks if not check["public"]}


@pytest.mark.slow
@pytest.mark.parametrize("assignment", sorted(REPRESENTATIVES))
def test_judge_takes_hidden_points_from_a_wrong_solution(assignment: str) -> None:
    wrong, catcher, _ = REPRESENTATIVES[assignment]
    check = _hidden(assignment, wrong)[catcher]
    assert check["cell_points_earned"] < check["cell_points"], check


@pytest.mark.slow
@pytest.mark.parametrize("assignment", sorted(REPRESENTATIVES))
def test_judge_gives_every_hidden_point_to_a_right_but_different_solution(
    assignment: str,
) -> None:
    _, _, right = REPRESENTATIVES[assignment]
    for name, check in _hidden(assignment, right).items():
        assert check["passed"], (name, check["message"])
        assert check["cell_points_earned"] == pytest.approx(check["cell_points"])
