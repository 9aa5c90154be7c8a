"""One error hierarchy for the whole kit.

Every error a user can cause (bad input, unknown names, unusable files) is an
:class:`MlipError`. The CLI has exactly one handler that turns it into a one-line message on
stderr and the error's exit code, so no traceback ever reaches a user for bad input.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = [
    "ExitCode",
    "InputError",
    "MlipError",
    "UnknownAssignmentError",
    "UnknownSystemError",
    "UsageError",
]


class ExitCode(IntEnum):
    """Exit codes shared by every command."""

    OK = 0
    CHECKS_FAILED = 1
    USAGE = 2


class MlipError(Exception):
    """Base class: an error whose message is meant for the user, not a developer."""

    exit_code: ExitCode = ExitCode.USAGE


class UsageError(MlipError):
    """The command was called with arguments that cannot work (e.g. ``--n 0``)."""


class InputError(MlipError):
    """A file or other input is missing, unreadable or malformed."""


class UnknownSystemError(UsageError):
    """A system name that no installed entry point provides."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        listing = ", ".join(known) if known else "none installed"
        super().__init__(f"unknown system {name!r}; known systems: {listing}")


class UnknownAssignmentError(UsageError):
    """An assignment id (``TOPIC-SYSTEM``) that the kit does not ship."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        listing = ", ".join(known) if known else "none"
        super().__init__(f"unknown assignment {name!r}; known assignments: {listing}")
