"""The check engine and the public checks students run with ``mlip check``.

Checks of an assignment ``TOPIC-SYSTEM`` live in ``mlip.checks.TOPIC_SYSTEM`` (a module defining
``CHECKS`` and ``EXTENSIONS``); hidden checks live in the instructor's autograder only. Importing
this package is cheap: systems and heavy libraries load when a check runs.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from mlip.checks._engine import (
    BoundedCache,
    Check,
    CheckContext,
    CheckResult,
    ExtensionSpec,
    Margin,
    RecordingExtension,
    Scenario,
    ScenarioOutcome,
    describe_scenario,
    plain,
    run_check,
)
from mlip.errors import UsageError

__all__ = [
    "BoundedCache",
    "Check",
    "CheckContext",
    "CheckResult",
    "ExtensionSpec",
    "Margin",
    "RecordingExtension",
    "Scenario",
    "ScenarioOutcome",
    "describe_scenario",
    "extension_specs",
    "get_check",
    "plain",
    "public_checks",
    "run_check",
]


def _module(assignment_id: str) -> ModuleType:
    from mlip.assignments import get_assignment

    assignment = get_assignment(assignment_id)
    return importlib.import_module(f"mlip.checks.{assignment.topic}_{assignment.system}")


def public_checks(assignment_id: str) -> tuple[Check, ...]:
    """Every public check of ``assignment_id``, in the order the notebook lists them."""
    checks: tuple[Check, ...] = _module(assignment_id).CHECKS
    return checks


def extension_specs(assignment_id: str) -> tuple[ExtensionSpec, ...]:
    """How each extension function of ``assignment_id`` is called and coerced."""
    specs: tuple[ExtensionSpec, ...] = _module(assignment_id).EXTENSIONS
    return specs


def get_check(assignment_id: str, name: str) -> Check:
    """The public check ``name`` of ``assignment_id``; unknown names list the known ones."""
    checks = public_checks(assignment_id)
    for check in checks:
        if check.name == name:
            return check
    known = ", ".join(check.name for check in checks)
    raise UsageError(f"{assignment_id} has no public check {name!r}; public checks: {known}")
