"""The registry finds systems by entry point and explains unknown names."""

from __future__ import annotations

import pytest

from mlip.errors import ExitCode, UnknownSystemError
from mlip.systems import get_system, system_names


def test_unknown_system_lists_the_known_ones() -> None:
    with pytest.raises(UnknownSystemError) as info:
        get_system("coffee-machine")
    message = str(info.value)
    assert "coffee-machine" in message
    for name in system_names():
        assert name in message
    assert info.value.exit_code == ExitCode.USAGE


def test_system_names_are_sorted() -> None:
    names = system_names()
    assert names == sorted(names)
