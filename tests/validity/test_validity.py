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


def _cases(paths: list[Path]) -> list[Any]:
    """Each case on one pytest-xdist worker: its scores are computed once there and shared."""
    return [
        pytest.param(path, marks=pytest.mark.xdist_group(_id(path)), id=_id(path)) for path in paths
    ]


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
        "feedback-loops-tax",
        "feedback-loops-toaster",
        "feedback-loops-transcription",
        "interaction-tax",
        "interaction-toaster",
        "interaction-transcription",
    } <= set(by_assignment)
    for assignment, expects in by_assignment.items():
        assert expects.count("loses") >= 4, assignment
        assert expects.count("full") >= 2, assignment
        assert set(expects) <= {"loses", "full"}, assignment


@pytest.mark.slow
@pytest.mark.parametrize("path", _cases([p for p in CASES if load_case(p)["expect"] == "loses"]))
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
@pytest.mark.parametrize("path", _cases([p for p in CASES if load_case(p)["expect"] == "full"]))
def test_right_but_different_solution_keeps_every_point(path: Path) -> None:
    for name, result in _public(path).items():
        assert result.passed, (name, result.message)
    for secret in SECRETS:
        for name, result in _hidden(path, secret).items():
            assert result.passed, (secret, name, result.message)


#: Every case's points per check (public, and hidden on the first test secret), pinned so that a
#: change in how checks score (e.g. monitoring tiers becoming credit) cannot move a grade
#: unnoticed. Regenerate with ``MLIP_PIN_POINTS=1 pytest tests/validity/test_validity.py -k pinned``
#: only when a grade was wrong, and say so in the CHANGELOG.
PINNED = Path(__file__).parent / "pinned_points.json"


def _points(path: Path) -> dict[str, float]:
    results = {**_public(path), **_hidden(path, SECRETS[0])}
    return {name: result.points for name, result in sorted(results.items())}


@pytest.mark.slow
@pytest.mark.parametrize("path", _cases(CASES))
def test_points_per_check_are_pinned(path: Path) -> None:
    import json
    import os

    pinned = json.loads(PINNED.read_text(encoding="utf-8")) if PINNED.exists() else {}
    if os.environ.get("MLIP_PIN_POINTS"):
        pinned[_id(path)] = _points(path)
        PINNED.write_text(json.dumps(pinned, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    assert _points(path) == pinned[_id(path)]


@pytest.mark.slow
@pytest.mark.parametrize(
    "path", _cases([p for p in CASES if load_case(p).get("at_most_share") is not None])
)
def test_monitor_that_ignores_the_data_earns_at_most_half(path: Path) -> None:
    """A monitor that reads no data (silent, a timer, alerts at fixed positions) cannot pass
    more than half of the points, public and hidden together."""
    results = {**_public(path), **_hidden(path, SECRETS[0])}
    earned = sum(result.points for result in results.values())
    available = sum(result.max_points for result in results.values())
    assert earned <= load_case(path)["at_most_share"] * available, {
        name: result.points for name, result in results.items()
    }
