"""``mlip.notebooks.CellRunner``: one way to run a cell, in ``mlip check`` and in the jail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlip.notebooks import SHELL_SKIPPED, CellRunner

#: A student's cells using magics, shell commands and IPython syntax. Exactly one of them fails
#: (an unknown magic), wherever the notebook runs.
MAGIC_CELLS = (
    "%time answer = 41",
    "answer += 1\nanswer",
    "!pip install a-package-we-never-install\nlisting = !ls\nassert listing == []",
    "%%capture captured\nprint('quiet')",
    "assert captured.stdout == 'quiet\\n'",
    "answer?",
    "%%bash\ntouch /tmp/mlip-shell-ran",
    "%pip install another-package",
    "%not_a_magic_anywhere",
    "def helper(x):\n    return x + answer",
)
FAILING = {8: "UsageError"}  # position in MAGIC_CELLS -> the error it raises


def test_magics_run_and_ipython_syntax_works() -> None:
    runner = CellRunner()
    assert runner.run("%time x = 2").error is None
    assert runner.run("x + 1").value == 3
    assert "Type:" in runner.run("x?").stdout
    assert runner.run("%%capture out\nprint('hidden')").stdout == ""
    assert runner.run("out.stdout").value == "hidden\n"


def test_shell_commands_are_skipped_with_one_message(tmp_path: Path) -> None:
    runner = CellRunner()
    marker = tmp_path / "ran"
    for source in (f"!touch {marker}", f"%%bash\ntouch {marker}", f"%sx touch {marker}"):
        ran = runner.run(source)
        assert ran.error is None and ran.stdout.startswith("[mlip] skipped shell command")
    assert not marker.exists()
    ran = runner.run("files = !ls\nfiles")
    assert ran.value == [] and SHELL_SKIPPED.format(command="!ls") in ran.stdout
    assert "%pip install x" in runner.run("%pip install x").stdout


def test_errors_are_returned_with_the_cell_name() -> None:
    runner = CellRunner()
    syntax = runner.run("def f(:\n    pass", filename="<cell 3>").error
    assert isinstance(syntax, SyntaxError) and syntax.filename == "<cell 3>"
    assert isinstance(runner.run("1 / 0").error, ZeroDivisionError)
    assert type(runner.run("%not_a_magic").error).__name__ == "UsageError"
    assert runner.run("print('still here')").stdout == "still here\n"


def test_plain_cells_do_not_start_an_ipython_shell() -> None:
    runner = CellRunner()
    runner.run("import math\nvalue = math.sqrt(4)")
    assert runner._shell is None and runner.namespace["value"] == 2.0


def _jail_errors() -> tuple[dict[int, str], dict[int, str], Any]:
    from mlip_autograder._config import Limits
    from mlip_autograder._sandbox import SandboxedNotebook, detect_isolation

    notebook = {"cells": [{"cell_type": "code", "source": s, "metadata": {}} for s in MAGIC_CELLS]}
    limits = Limits(wall_seconds=120.0, cell_seconds=60.0, call_seconds=30.0)
    with SandboxedNotebook(notebook, limits, detect_isolation()) as sandbox:
        sandbox.start()
        outputs = dict(sandbox.outputs)
        helper = sandbox.call("helper", [1])
    errors = {
        index: output["ename"]
        for index, cell_outputs in outputs.items()
        for output in cell_outputs
        if output.get("output_type") == "error"
    }
    printed = {
        index: "".join(o.get("text", "") for o in cell_outputs if o.get("name") == "stdout")
        for index, cell_outputs in outputs.items()
    }
    return errors, printed, helper


def test_the_same_notebook_runs_the_same_in_mlip_check_and_in_the_jail(tmp_path: Path) -> None:
    """Magics, ``!`` lines and IPython syntax: the same cells fail, the same names exist."""
    pytest.importorskip("mlip_autograder")
    from mlip.services.check import check_project
    from mlip.services.scaffold import new_project

    errors, printed, helper = _jail_errors()
    assert errors == FAILING
    assert helper == 43  # `answer` went 41 -> 42 through a line magic and a plain cell
    assert printed[2].startswith("[mlip] skipped shell command '!pip install")
    assert "skipped shell command '%%bash: touch" in printed[6]
    assert not Path("/tmp/mlip-shell-ran").exists()

    project = Path(new_project(topic="guards", system="tax", directory=tmp_path / "p").directory)
    path = project / "guards.ipynb"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    first = len(notebook["cells"]) + 1  # `mlip check` numbers cells from 1
    notebook["cells"] += [
        {"cell_type": "code", "source": s, "metadata": {}, "outputs": [], "execution_count": None}
        for s in MAGIC_CELLS
    ]
    path.write_text(json.dumps(notebook), encoding="utf-8")
    report = check_project(directory=project)
    ours = [
        problem
        for problem in report.problems
        if any(f"cell {first + position}" in problem for position in range(len(MAGIC_CELLS)))
    ]
    assert len(ours) == len(FAILING), report.problems
    position, name = next(iter(FAILING.items()))
    assert ours[0].startswith(f"cell {first + position}") and name in ours[0]
