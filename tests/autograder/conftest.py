"""Shared fixture: the golden samples, autograded once per test session (2 workers)."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from autograder_samples import ASSIGNMENT, make_course, sample_names


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    """Every sample, autograded once with 2 workers: ``(course, report)``."""
    from mlip_autograder.autograde import autograde

    root = tmp_path_factory.mktemp("class") / "course"
    course = make_course(root, sample_names())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        report = autograde(course=course, assignment_id=ASSIGNMENT, workers=2)
    return course, report
