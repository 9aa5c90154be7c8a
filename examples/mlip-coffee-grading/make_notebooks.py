"""Write the nbgrader source notebook of guards-coffee and, with nbgrader, its release copy.

    python examples/mlip-coffee-grading/make_notebooks.py

The source (with the solution) goes into this instructor package; the release copy (solution
removed by nbgrader's ``generate_assignment``) into the student package ``mlip-coffee``. Check
cells and the points header come from the assignment's catalogue entry and checks module, so
names and points are stated once (``mlip_coffee/checks.py`` and ``mlip_coffee/assignment.py``).
Run it with both example packages importable (e.g. ``PYTHONPATH=examples/mlip-coffee``).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "mlip_coffee_grading" / "sources" / "guards-coffee" / "guards.ipynb"
RELEASE = HERE.parent / "mlip-coffee" / "mlip_coffee" / "release" / "guards-coffee"
META = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}

SETUP = """\
# Run this cell first. It loads the running system and the helpers used below.
from mlip.checks.notebook import hidden_check, load_system, system_check

system = load_system("coffee")
print(system.title, "-", system.summary)"""

SOLUTION = """\
import math


def temperature_guard(predicted_celsius: float, order: dict) -> float:
    \"\"\"The water temperature the heater uses, whatever the model predicted.\"\"\"
    ### BEGIN SOLUTION
    # No bean wants water hotter than 95 °C or colder than 80 °C: anything else is the model
    # failing, and a middle-of-the-range temperature is a safe, drinkable fallback.
    if not math.isfinite(predicted_celsius) or not 80.0 <= predicted_celsius <= 95.0:
        return 90.0
    return predicted_celsius
    ### END SOLUTION"""

UNIT_TEST = """\
# Unit tests: absurd temperatures become safe ones; sensible ones pass through.
import math

order = {"roast": 0.5, "strength": 3}
for bad in [float("nan"), float("inf"), -90.0, 1e6, 97.5]:
    safe = temperature_guard(bad, order)
    assert math.isfinite(safe) and safe <= 96.0, (bad, safe)
assert temperature_guard(92.0, order) == 92.0"""


def _cell(kind: str, source: str, grade_id: str, **flags: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "grade": bool(flags.get("points")),
        "grade_id": grade_id,
        "locked": not flags.get("solution", False),
        "schema_version": 3,
        "solution": bool(flags.get("solution", False)),
    }
    if flags.get("points"):
        meta["points"] = float(flags["points"])
    cell: dict[str, Any] = {
        "cell_type": kind,
        "id": grade_id,
        "metadata": {"nbgrader": meta},
        "source": source,
    }
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def source_notebook(points: str = "") -> dict[str, Any]:
    from mlip.assignments import get_assignment

    assignment = get_assignment("guards-coffee")
    task = assignment.tasks[0]
    rows = "\n".join(
        f"| `{check.name}` | {check.points:g} | {check.summary} | "
        f"{'public (`mlip check`)' if check.public else 'hidden (autograder)'} |"
        for check in assignment.checks
    )
    intro = (
        f"# {assignment.title}\n\nAssignment `{assignment.id}` · book chapter "
        f"{assignment.chapter.number}, [*{assignment.chapter.title}*]({assignment.chapter.url})."
        f"\nPoints: **{points}**.\n\nThe smart coffee machine asks a model for the water "
        "temperature of each cup and heats to whatever it says. Water above 96 °C boils over."
    )
    cells = [
        _cell("markdown", intro, "intro"),
        _cell("code", SETUP, "setup"),
        _cell(
            "markdown", f"## Task: `{task.extension}`\n\n`{task.signature}`: {task.goal}.", "task"
        ),
        _cell("code", SOLUTION, "temperature-guard", solution=True),
        _cell("code", UNIT_TEST, "test-temperature-guard", points=1),
        _cell(
            "markdown",
            "## System checks\n\n| check | points | what it asks | run by |\n"
            "| --- | --- | --- | --- |\n" + rows,
            "checks-intro",
        ),
    ]
    for check in assignment.checks:
        helper = "system_check" if check.public else "hidden_check"
        code = f'# {check.summary}\n{helper}("{assignment.id}", "{check.name}")'
        cells.append(_cell("code", code, f"check-{check.name}", points=check.points))
    return {"cells": cells, "metadata": META, "nbformat": 4, "nbformat_minor": 5}


def _dump(notebook: dict[str, Any]) -> str:
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> int:
    from mlip.assignments import notebook_points

    draft = source_notebook()
    notebook = source_notebook(notebook_points(draft).describe())
    SOURCE.parent.mkdir(parents=True, exist_ok=True)
    SOURCE.write_text(_dump(notebook), encoding="utf-8")
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    with tempfile.TemporaryDirectory() as scratch:
        staged = Path(scratch) / "source" / "guards-coffee" / "guards.ipynb"
        staged.parent.mkdir(parents=True)
        staged.write_text(_dump(notebook), encoding="utf-8")
        config = Config()
        config.CourseDirectory.root = scratch
        config.CourseDirectory.assignment_id = "guards-coffee"
        config.GenerateAssignment.create_assignment = True
        GenerateAssignment(coursedir=CourseDirectory(config=config), config=config).start()
        produced = Path(scratch) / "release" / "guards-coffee" / "guards.ipynb"
        release = json.loads(produced.read_text(encoding="utf-8"))
    RELEASE.mkdir(parents=True, exist_ok=True)
    (RELEASE / "guards.ipynb").write_text(_dump(release), encoding="utf-8")
    print(f"wrote {SOURCE} and {RELEASE / 'guards.ipynb'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
