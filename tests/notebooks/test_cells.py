"""``mlip.notebooks`` reading: one definition of which cell is what, one-line load errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlip.errors import InputError
from mlip.notebooks import cell_role, check_call, check_cells, load_notebook, unit_test_cells


def graded(source: str, **meta: object) -> dict[str, object]:
    return {
        "cell_type": "code",
        "source": source,
        "metadata": {"nbgrader": {"grade": True, **meta}},
    }


def test_one_rule_for_check_cells() -> None:
    assert check_call('system_check("guards-tax", "no-harm")') == (True, "guards-tax", "no-harm")
    assert check_call("hidden_check('guards-tax', 'drift')") == (False, "guards-tax", "drift")
    assert check_call("system_check(ASSIGNMENT, name)") is None  # not a literal: a unit test
    notebook = {
        "cells": [
            graded('system_check("a-b", "c")', grade_id="check-c", points=2),
            graded("assert f(1) == 2", grade_id="test-f", points=1),
            graded("def f(x): ...", grade_id="f", solution=True),
            {"cell_type": "markdown", "source": "text", "metadata": {}},
        ]
    }
    roles = [cell_role(cell) for cell in notebook["cells"]]  # type: ignore[arg-type]
    assert roles == ["check", "test", "code", "text"]
    (check,) = check_cells(notebook)
    assert (check.index, check.grade_id, check.check, check.public, check.points) == (
        0,
        "check-c",
        "c",
        True,
        2.0,
    )
    assert unit_test_cells(notebook) == [1]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"cells": [}', r"not valid notebook JSON \(line 1"),
        (b"\xff\xfe\x00", "not a text file"),
        (b'{"hello": 1}', "not a Jupyter notebook"),
        (b'{"cells": [{"cell_type": "weird"}]}', "not a Jupyter notebook"),
    ],
)
def test_unusable_notebooks_give_one_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "guards.ipynb"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as caught:
        load_notebook(path)
    assert "\n" not in str(caught.value)


def test_a_missing_notebook_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"notebook guards\.ipynb is missing"):
        load_notebook(tmp_path / "guards.ipynb")
