"""Hidden checks of the monitoring, requirements, interaction and feedback-loops topics, graded
by the judge.

The solution notebook of one system per topic (tax: its simulator is the fastest) earns every
hidden point, the release notebook earns none. Public check cells are left out of those
notebooks: the public checks have their own tests, and leaving them out keeps these quick.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from autograder_samples import benign_limits, reference_code

ROOT = Path(__file__).resolve().parents[2]
SECRET = "test-secret-for-hidden-topics"
TOPIC_CASES = [
    ("monitoring-tax", "monitoring.ipynb", {"hidden-drift-seeds"}),
    ("requirements-tax", "requirements.ipynb", {"hidden-assumption-breaks", "hidden-hazard-paths"}),
    ("interaction-tax", "interaction.ipynb", {"hidden-secret-seeds", "hidden-user-populations"}),
    (
        "feedback-loops-tax",
        "feedback-loops.ipynb",
        {
            "hidden-more-rounds",
            "hidden-recovery-seeds",
            "hidden-budgets",
            "hidden-shifted-population",
        },
    ),
]
#: The requirements solution returns kit objects (Requirement, FaultTree...): they cross the
#: sandbox boundary as their ``to_dict()`` data and are rebuilt by the judge. The toaster's
#: interaction policy is graded there too (its release notebook's zero is the tax one's story),
#: as are the transcription service's interaction policies, and the transcription loop (its own
#: hidden families: a better model kept, shifted voices).
SOLUTION_CASES = [
    *TOPIC_CASES,
    *(
        (assignment_id, "interaction.ipynb", {"hidden-secret-seeds", "hidden-user-populations"})
        for assignment_id in ("interaction-toaster", "interaction-transcription")
    ),
    (
        "feedback-loops-transcription",
        "feedback-loops.ipynb",
        {
            "hidden-more-rounds",
            "hidden-better-model-seeds",
            "hidden-budgets",
            "hidden-shifted-voices",
        },
    ),
]


def _without_public_checks(notebook: dict[str, Any]) -> dict[str, Any]:
    trimmed = json.loads(json.dumps(notebook))
    trimmed["cells"] = [
        cell
        for cell in trimmed["cells"]
        if "system_check(" not in "".join(cell["source"])
        or not cell["metadata"].get("nbgrader", {}).get("grade")
    ]
    return trimmed


def _release(assignment_id: str, name: str) -> dict[str, Any]:
    path = ROOT / "mlip" / "assignments" / "release" / assignment_id / name
    notebook: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return notebook


def _solved(assignment_id: str, name: str) -> dict[str, Any]:
    """The release notebook with every solution cell filled in from the instructor's source."""
    source = json.loads((ROOT / "assignments" / assignment_id / name).read_text(encoding="utf-8"))
    solutions = reference_code(source)
    notebook = _release(assignment_id, name)
    for cell in notebook["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            cell["source"] = solutions[grade_id]
    return notebook


def _source(assignment_id: str, name: str) -> dict[str, Any]:
    notebook: dict[str, Any] = json.loads(
        (ROOT / "assignments" / assignment_id / name).read_text(encoding="utf-8")
    )
    return notebook


def _judge(notebook: dict[str, Any], assignment_id: str, name: str) -> Any:
    """The judge's report; unit-test cells run judge-side against the instructor's source."""
    from mlip_autograder._sandbox import detect_isolation
    from mlip_autograder.judge import judge_notebook

    return judge_notebook(
        _without_public_checks(notebook),
        assignment_id=assignment_id,
        limits=benign_limits(),  # release and solution notebooks are benign code
        isolation=detect_isolation(),
        secret=SECRET,
        source=_source(assignment_id, name),
    )


def _unit_test_errors(report: Any, notebook: dict[str, Any]) -> dict[int, list[str]]:
    """Unit-test cell index -> the errors the judge wrote into it."""
    from mlip_autograder._notebook import unit_test_cells

    tests = unit_test_cells(_without_public_checks(notebook))
    assert tests, "the topic has unit-test cells"
    return {
        index: [
            f"{output['ename']}: {output['evalue']}"
            for output in report.cells.get(index, [])
            if output["output_type"] == "error"
        ]
        for index in tests
    }


@pytest.mark.slow
@pytest.mark.parametrize(("assignment_id", "name", "hidden"), SOLUTION_CASES)
def test_solution_earns_every_hidden_point(assignment_id: str, name: str, hidden: set[str]) -> None:
    solved = _solved(assignment_id, name)
    report = _judge(solved, assignment_id, name)
    assert report.status == "graded", report.reason
    # the unit tests, run by the judge with the solution's functions as proxies, all pass
    assert not any(_unit_test_errors(report, solved).values()), _unit_test_errors(report, solved)
    checks = {check["check"]: check for check in report.checks}
    assert set(checks) == hidden
    for check in checks.values():
        assert not check["public"]
        assert check["passed"], check
        assert check["cell_points_earned"] == pytest.approx(check["cell_points"])
        assert check["cell_points"] > 0


@pytest.mark.slow
@pytest.mark.parametrize(("assignment_id", "name", "hidden"), TOPIC_CASES)
def test_release_earns_no_hidden_point(assignment_id: str, name: str, hidden: set[str]) -> None:
    release = _release(assignment_id, name)
    report = _judge(release, assignment_id, name)
    assert report.status == "graded", report.reason
    assert all(_unit_test_errors(report, release).values())  # every unit test fails
    checks = {check["check"]: check for check in report.checks}
    assert set(checks) == hidden
    for check in checks.values():
        assert check["cell_points_earned"] == 0.0
        assert check["scenario"] is None  # hidden scenarios are never shown
        assert check["repro"] == "" and check["margins"] == []  # nor their inputs or figures
        assert check["message"] == "hidden scenarios"


def test_every_declared_hidden_check_has_a_family() -> None:
    from mlip_autograder.course import _missing_hidden_families

    from mlip.assignments import assignment_ids

    for assignment_id in assignment_ids():
        assert _missing_hidden_families(assignment_id) == (), assignment_id


@pytest.mark.parametrize(
    ("assignment_id", "name"),
    [
        ("monitoring-toaster", "hidden-drift-seeds"),
        ("requirements-toaster", "hidden-assumption-breaks"),
        ("requirements-toaster", "hidden-hazard-paths"),
        ("interaction-tax", "hidden-user-populations"),
        ("interaction-transcription", "hidden-user-populations"),
    ],
)
def test_hidden_scenarios_come_from_the_secret(assignment_id: str, name: str) -> None:
    from mlip_autograder.hidden import HIDDEN_FAMILIES, hidden_check

    from mlip.checks import get_check
    from mlip.systems import get_system

    system = get_system("toaster")
    family = next(f for f in HIDDEN_FAMILIES if f.assignment == assignment_id and f.name == name)
    public = list(get_check(assignment_id, family.verdict_of).scenarios(system))
    drawn = hidden_check(assignment_id, name, secret="one").scenarios(system)
    assert drawn == hidden_check(assignment_id, name, secret="one").scenarios(system)
    assert drawn != hidden_check(assignment_id, name, secret="two").scenarios(system)
    public_seeds = {scenario.get("seed") for scenario in public}
    assert drawn and all(scenario["seed"] not in public_seeds for scenario in drawn)
    assert not any("part" in scenario for scenario in drawn)  # system runs only


def test_assumption_pairs_keep_each_break_whole() -> None:
    from mlip_autograder.hidden._families import _assumption_breaks

    from mlip.checks import get_check
    from mlip.systems import get_system

    system = get_system("toaster")
    public = list(get_check("requirements-toaster", "assumptions-that-matter").scenarios(system))
    drawn = _assumption_breaks(system, random.Random(7), public)
    singles = [scenario for scenario in public if "seed" in scenario]
    pairs = drawn[len(singles) :]
    assert len(pairs) == 2
    for pair in pairs:
        parts = [
            run
            for run in singles
            if dict(run.get("conditions", {})).items() <= pair["conditions"].items()
            and run.get("fault") in (None, pair.get("fault"))
        ]
        assert len(parts) >= 2  # two public breaks, both conditions and fault intact


def test_public_monitoring_streams_are_unchanged_without_seed_or_lead_in() -> None:
    from mlip.checks._monitoring import scenario_stream
    from mlip.checks.monitoring_tax import SUDDEN

    spec = SUDDEN[0]
    assert scenario_stream(spec, {"stream": spec.name, "episode": 1}) is spec
    moved = scenario_stream(spec, {"stream": spec.name, "seed": 4242, "lead_in": 1.5})
    assert moved.seed == 4242
    assert moved.segments[0].sessions == round(spec.segments[0].sessions * 1.5)
    assert moved.segments[1:] == spec.segments[1:]


#: Secrets on which a reference solution used to lose hidden points, found by drawing random
#: secrets: requirements-toaster's ASM3 did not cover a stuck infrared thermometer; the
#: guards-toaster heating guard trusted the model on far too thick slices and fell back to
#: long heating times when the model failed (a fire with a dead smoke sensor and unseen bread);
#: monitoring-tax drew streams whose new deduction showed too late in the budget (spread-15) or
#: whose normal season held too few advice events to learn the normal fields from (spread-12).
FORMER_LOSSES = [
    ("requirements-toaster", "6513270e269e0d37f2a74de452e6b438"),
    ("requirements-toaster", "d23f0824128b2f330c5c7fd0a6a3a450"),
    ("guards-toaster", "b2221a58008a05a6c4647159c324c985"),
    ("guards-toaster", "571d18df223c420d2811fc4aa374cfe9"),
    ("monitoring-tax", "spread-12"),
    ("monitoring-tax", "spread-15"),
]


@pytest.mark.parametrize(("assignment_id", "secret"), FORMER_LOSSES)
def test_reference_earns_hidden_points_on_other_secrets(assignment_id: str, secret: str) -> None:
    """The instructor's solution is the yardstick: a hidden check must not fail it."""
    import contextlib
    import io

    from mlip_autograder.hidden import HIDDEN_FAMILIES, hidden_check

    from mlip.checks import run_check
    from mlip.systems import get_system

    (path,) = (ROOT / "assignments" / assignment_id).glob("*.ipynb")
    source = json.loads(path.read_text())
    namespace: dict[str, Any] = {}
    with contextlib.redirect_stdout(io.StringIO()):  # the explore cells print their runs
        for cell in source["cells"]:
            graded = cell["metadata"].get("nbgrader", {}).get("grade")
            if cell["cell_type"] == "code" and not graded:
                exec("".join(cell["source"]), namespace)  # trusted: the instructor's source
    system = get_system(assignment_id.split("-", 1)[1])
    for family in (f for f in HIDDEN_FAMILIES if f.assignment == assignment_id):
        check = hidden_check(assignment_id, family.name, secret=secret)
        functions = {spec.name: namespace[spec.name] for spec in check.extensions}
        result = run_check(check, functions, system=system)
        assert result.passed, (family.name, result.message)
