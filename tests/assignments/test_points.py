"""One points story: the catalogue, the release notebooks, `assignments list`, `mlip check`
and the docs pages all show the same total, split the same way."""

from __future__ import annotations

import json

import pytest

from mlip.assignments import ASSIGNMENTS, Assignment, PointsBreakdown, assignment_points
from mlip.assignments._points import notebook_points


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.id)
def test_notebook_checks_match_the_catalogue(assignment: Assignment) -> None:
    points = assignment_points(assignment.id)
    public = sum(c.points for c in assignment.public_checks)
    hidden = sum(c.points for c in assignment.hidden_checks)
    assert (points.public_checks, points.hidden_checks) == (public, hidden)
    assert points.total == public + hidden + points.unit_tests + points.hand_graded


def test_guards_toaster_breakdown() -> None:
    points = assignment_points("guards-toaster")
    assert points == PointsBreakdown(16, 6, 4, 2)
    assert (
        points.describe()
        == "28 = 16 public checks + 6 hidden checks + 4 unit tests + 2 hand-graded"
    )


def test_cell_kinds() -> None:
    def cell(source: str, kind: str = "code", **meta: object) -> dict[str, object]:
        return {"cell_type": kind, "source": source, "metadata": {"nbgrader": meta}}

    notebook = {
        "cells": [
            cell('system_check("a-b", "c")', grade=True, points=3),
            cell('hidden_check("a-b", "d")', grade=True, points=2),
            cell("assert f(1) == 2", grade=True, points=1.5),
            cell("YOUR ANSWER HERE", "markdown", grade=True, solution=True, points=2),
            cell("def f(x): ...", solution=True),  # an answer cell carries no points itself
            cell("Describe it", "markdown", task=True, points=4),
            cell("print(1)"),
        ]
    }
    assert notebook_points(notebook) == PointsBreakdown(3, 2, 1.5, 6)


def test_assignments_list_shows_the_total(capsys: pytest.CaptureFixture[str]) -> None:
    from mlip.cli import main

    assert main(["assignments", "list", "--json"]) == 0
    listed = {a["id"]: a for a in json.loads(capsys.readouterr().out)["assignments"]}
    assert listed["guards-toaster"]["points"] == 28
    assert listed["guards-toaster"]["points_breakdown"]["hand_graded"] == 2


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda a: a.id)
def test_notebook_header_states_the_total(assignment: Assignment) -> None:
    from mlip.assignments import release_dir

    for name in assignment.notebooks:
        notebook = json.loads((release_dir(assignment.id) / name).read_text(encoding="utf-8"))
        header = "".join(notebook["cells"][0]["source"])
        assert f"Points: **{assignment_points(assignment.id).describe()}**" in header
