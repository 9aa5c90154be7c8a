"""Grades that mean something: wrong solutions lose points, right-but-different ones keep them.

Each data file under ``tests/validity/<assignment>/`` is a plausible solution (see
``validity_cases``). Wrong ones must lose points on the checks they name (public checks, or
hidden families drawn from a test secret); right ones, written differently from the reference,
must earn every public point and every hidden point on several secrets. Results are computed
once per process and shared by the tests.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
from validity_cases import SECRETS, case_paths, functions, hidden_scores, load_case, public_scores

CASES = case_paths()


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


@functools.cache
def _namespace(path: Path) -> dict[str, Any]:
    return functions(path.parent.name, load_case(path)["cells"])


@functools.cache
def _public(path: Path) -> dict[str, Any]:
    return public_scores(path.parent.name, _namespace(path))


@functools.cache
def _hidden(path: Path, secret: str) -> dict[str, Any]:
    return hidden_scores(path.parent.name, _namespace(path), secret)


def test_every_assignment_with_cases_has_four_wrong_and_two_right() -> None:
    by_assignment: dict[str, list[str]] = {}
    for path in CASES:
        by_assignment.setdefault(path.parent.name, []).append(load_case(path)["expect"])
    assert {
        "guards-toaster",
        "guards-tax",
        "guards-transcription",
        "monitoring-toaster",
        "monitoring-tax",
        "monitoring-transcription",
        "requirements-toaster",
        "requirements-tax",
        "requirements-transcription",
    } <= set(by_assignment)
    for assignment, expects in by_assignment.items():
        assert expects.count("loses") >= 4, assignment
        assert expects.count("full") >= 2, assignment
        assert set(expects) <= {"loses", "full"}, assignment


@pytest.mark.slow
@pytest.mark.parametrize("path", [p for p in CASES if load_case(p)["expect"] == "loses"], ids=_id)
def test_wrong_solution_loses_points_where_it_should(path: Path) -> None:
    case = load_case(path)
    assert case["caught_by"], "a wrong solution names the checks that must catch it"
    public = _public(path)
    for name in case["caught_by"]:
        result = public[name] if name in public else _hidden(path, SECRETS[0])[name]
        assert result.points < result.max_points, (name, result.message)
        assert result.hint, name  # a failure always says what to do
        # the hint follows from the failure seen, not from the check family
        expected = case.get("hints", {}).get(name)
        assert expected is None or expected in result.hint, (name, result.hint)


@pytest.mark.slow
@pytest.mark.parametrize("path", [p for p in CASES if load_case(p)["expect"] == "full"], ids=_id)
def test_right_but_different_solution_keeps_every_point(path: Path) -> None:
    for name, result in _public(path).items():
        assert result.passed, (name, result.message)
    for secret in SECRETS:
        for name, result in _hidden(path, secret).items():
            assert result.passed, (secret, name, result.message)
