"""``mlip check`` as a service: unusable notebooks give one clear message, never a traceback."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from mlip.errors import InputError
from mlip.services._project import MARKER_NAME
from mlip.services.check import check_project
from mlip.services.scaffold import new_project

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return Path(new_project(topic="guards", system="tax", directory=tmp_path / "p").directory)


def edit(folder: Path, change: Callable[[dict], None]) -> None:
    path = folder / "guards.ipynb"
    notebook = json.loads(path.read_text())
    change(notebook)
    path.write_text(json.dumps(notebook))


def code_cell(source: str) -> dict:
    return {
        "cell_type": "code",
        "metadata": {},
        "source": source,
        "outputs": [],
        "execution_count": None,
    }


def cell(notebook: dict, grade_id: str) -> dict:
    return next(
        c
        for c in notebook["cells"]
        if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id
    )


def own_problems(folder: Path, problems: tuple[str, ...]) -> list[str]:
    """The problems of cells other than the try-it cell: it plugs the student's functions into
    the running system, so it fails as well whenever they are missing or unfinished."""
    notebook = json.loads((folder / "guards.ipynb").read_text())
    number = next(i for i, c in enumerate(notebook["cells"], start=1) if c.get("id") == "try-it")
    return [problem for problem in problems if not problem.startswith(f"cell {number},")]


def test_corrupt_notebook_json(project: Path) -> None:
    (project / "guards.ipynb").write_text('{"cells": [}')
    with pytest.raises(InputError, match=r"guards.ipynb is not valid notebook JSON \(line 1"):
        check_project(directory=project)


def test_json_that_is_not_a_notebook(project: Path) -> None:
    (project / "guards.ipynb").write_text('{"hello": 1}')
    with pytest.raises(InputError, match="not a Jupyter notebook"):
        check_project(directory=project)


def test_deleted_locked_cell(project: Path) -> None:
    edit(project, lambda nb: nb["cells"].remove(cell(nb, "check-prompts-bounded")))
    with pytest.raises(InputError, match="locked cell 'check-prompts-bounded' was deleted"):
        check_project(directory=project)


def test_project_from_an_older_release_is_told_so(project: Path) -> None:
    # what the kit shipped then: the release notebook had another digest and no try-it cells
    marker = project / MARKER_NAME
    data = json.loads(marker.read_text())
    marker.write_text(json.dumps({**data, "kit_version": "0.0.9", "release": {"x": "old"}}))
    edit(project, lambda nb: nb["cells"].remove(cell(nb, "try-it-intro")))
    with pytest.raises(
        InputError, match=r"copied from an older release of guards-tax \(mlip 0\.0\.9\)"
    ):
        check_project(directory=project)


def test_edited_locked_cell(project: Path) -> None:
    edit(project, lambda nb: cell(nb, "test-prompt-policy").update(source="assert True"))
    with pytest.raises(InputError, match=r"'test-prompt-policy' of guards\.ipynb was edited"):
        check_project(directory=project)


def test_syntax_error_names_the_cell_and_line_and_the_rest_still_runs(project: Path) -> None:
    edit(project, lambda nb: cell(nb, "advice-guard").update(source="def advice_guard(:\n"))
    report = check_project(directory=project)
    (problem,) = own_problems(project, report.problems)
    assert re.search(r"syntax error in cell \d+ \('advice-guard'\), line 1", problem)
    assert not report.passed
    assert {o.status for o in report.outcomes} <= {"pass", "fail"}  # every check ran
    assert "keeps-revenue" in {r.check for r in report.results}


def test_infinite_loop_in_a_cell_is_stopped_and_named(project: Path) -> None:
    edit(project, lambda nb: cell(nb, "advice-guard").update(source="while True:\n    pass\n"))
    report = check_project(directory=project, timeout=2)
    (problem,) = own_problems(project, report.problems)
    assert re.search(r"cell \d+ \('advice-guard'\) stopped after 2 s of CPU time", problem)
    assert "slow machine or a loop" in problem and "--timeout" in problem
    assert {r.check for r in report.results} >= {"keeps-revenue", "prompts-bounded"}


def test_a_cell_that_raises_is_a_problem_not_the_end(project: Path) -> None:
    edit(project, lambda nb: cell(nb, "advice-guard").update(source="x = 1\nundefined_name\n"))
    report = check_project(directory=project)
    (problem,) = own_problems(project, report.problems)
    assert re.search(r"\('advice-guard'\), line 2 raised NameError", problem)
    assert report.results and not report.passed


def test_a_check_that_loops_times_out_and_the_others_finish(project: Path) -> None:
    """Partial results: the table keeps every check that finished; the slow one is named."""
    source = (ROOT / "assignments" / "guards-tax" / "guards.ipynb").read_text()
    (project / "guards.ipynb").write_text(source)
    looping = (
        "import itertools\n"
        "def prompt_policy(*args, **kwargs):\n"
        "    for _ in itertools.count():\n"
        "        pass\n"
    )
    edit(project, lambda nb: nb["cells"].append(code_cell(looping)))
    report = check_project(directory=project, timeout=2)
    statuses = {o.result.check: o.status for o in report.outcomes}
    timed_out = [name for name, status in statuses.items() if status == "timeout"]
    assert timed_out, statuses
    assert any(status == "pass" for status in statuses.values())
    for outcome in report.outcomes:
        if outcome.status == "timeout":
            message = outcome.result.message
            assert f"check {outcome.result.check!r} stopped after 2 s of CPU time" in message
            assert "slow machine or a loop" in message
            assert outcome.result.points == 0
    assert not report.passed and not report.complete
    data = report.to_dict()
    assert data["complete"] is False
    assert {item["status"] for item in data["results"]} >= {"pass", "timeout"}


def test_budgets_are_per_check_cpu_seconds_from_measurement() -> None:
    from mlip.assignments import get_assignment
    from mlip.checks._budgets import MEASURED_CELL_CPU_SECONDS, MEASURED_CPU_SECONDS
    from mlip.services.check import BUDGET_FACTOR, MIN_CHECK_SECONDS, check_budgets

    for assignment_id, measured in MEASURED_CPU_SECONDS.items():
        assignment = get_assignment(assignment_id)
        assert set(measured) == {check.name for check in assignment.public_checks}
        budgets = check_budgets(assignment)
        for name, seconds in measured.items():
            assert budgets["checks"][name] == max(MIN_CHECK_SECONDS, BUDGET_FACTOR * seconds)
    from mlip.assignments import ASSIGNMENTS

    assert set(MEASURED_CPU_SECONDS) == {assignment.id for assignment in ASSIGNMENTS}
    assert set(MEASURED_CELL_CPU_SECONDS) == set(MEASURED_CPU_SECONDS)
    overridden = check_budgets(get_assignment("guards-tax"), timeout=5)
    assert overridden["cell"] == 5 and set(overridden["checks"].values()) == {5}


def test_fresh_release_fails_every_check_with_a_message(project: Path) -> None:
    report = check_project(directory=project)
    assert not report.passed and report.points == 0
    assert {r.check for r in report.results} >= {"test-advice-guard", "keeps-revenue"}
    assert all(r.message for r in report.results)
    assert report.hidden_checks == ("hidden-chaos-seeds", "hidden-drift")


def test_solution_passes_every_check(project: Path) -> None:
    source = ROOT / "assignments" / "guards-tax" / "guards.ipynb"
    (project / "guards.ipynb").write_text(source.read_text())
    report = check_project(directory=project)
    assert report.passed, [r.message for r in report.results if not r.passed]
    assert report.points == report.max_points == 22
    json.dumps(report.to_dict())


def test_not_a_project(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not an mlip assignment project"):
        check_project(directory=tmp_path)


def test_progress_names_each_check_and_counts_its_scenarios(project: Path) -> None:
    seen: list[tuple[int, int, str]] = []
    report = check_project(directory=project, progress=lambda *step: seen.append(step))
    descriptions = [text for _, _, text in seen]
    for check in ("keeps-revenue", "prompts-bounded"):
        assert any(
            re.fullmatch(rf"running check '{check}', scenario \d+/\d+", d) for d in descriptions
        ), descriptions
    assert any(d.startswith("running cell ") for d in descriptions)
    assert all(0 <= done <= total for done, total, _ in seen)
    assert report.results


def test_waiting_is_not_charged_to_the_cpu_budget_but_a_wait_forever_is_stopped(
    project: Path,
) -> None:
    """A busy machine stretches wall time, not CPU time: only the wall limit (10x) applies."""
    edit(project, lambda nb: nb["cells"].insert(1, code_cell("import time\ntime.sleep(1.5)\n")))
    edit(project, lambda nb: nb["cells"].insert(2, code_cell("import time\ntime.sleep(1000)\n")))
    report = check_project(directory=project, timeout=0.5)
    (problem,) = own_problems(project, report.problems)  # only the endless wait
    assert "stopped after 5 s of wall time" in problem
    assert "slow machine or a loop" in problem


def test_a_process_that_dies_keeps_what_finished(project: Path) -> None:
    edit(project, lambda nb: nb["cells"].append(code_cell("import os\nos._exit(3)\n")))
    report = check_project(directory=project)
    assert any("process died while running cell" in problem for problem in report.problems)
    statuses = {outcome.status for outcome in report.outcomes}
    assert "not run" in statuses and not report.passed
    assert any(o.result.check.startswith("test-") for o in report.outcomes)  # tests that ran
