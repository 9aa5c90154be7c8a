"""Every registered system passes the conformance suite (scikit-learn ``check_estimator`` style)."""

from __future__ import annotations

import pytest

from mlip.systems import get_system, system_names
from mlip.systems.conformance import CHECKS, Check


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__ for c in CHECKS])
@pytest.mark.parametrize("name", system_names())
def test_system_conforms(name: str, check: Check) -> None:
    check(get_system(name))


def test_the_three_example_systems_are_registered() -> None:
    assert {"toaster", "tax", "transcription"} <= set(system_names())
