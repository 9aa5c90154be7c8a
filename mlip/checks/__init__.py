"""The check engine and the public checks students run with ``mlip check``.

Checks of an assignment live in the module its catalogue entry names (``checks_module``, e.g.
``mlip.checks.guards_toaster`` or a course's own package), defining ``CHECKS`` and
``EXTENSIONS``; hidden checks live in the instructor's autograder only. The scenario families
(chaos models, conditions) and coercions below are public so a course's checks reuse them. Importing
this package is cheap: systems and heavy libraries load when a check runs.
"""

from __future__ import annotations

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
from mlip.checks._families import (
    chaos_scenarios,
    condition_scenarios,
    healthy_model,
    metric,
    run_scenario,
    to_bool,
    to_float,
)
from mlip.checks._monitoring import scenario_stream
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
    "chaos_scenarios",
    "condition_scenarios",
    "describe_scenario",
    "extension_specs",
    "get_check",
    "healthy_model",
    "metric",
    "plain",
    "public_checks",
    "run_check",
    "run_scenario",
    "scenario_stream",
    "to_bool",
    "to_float",
]


def _module(assignment_id: str) -> ModuleType:
    from mlip.assignments import get_assignment
    from mlip.assignments._registry import checks_module

    return checks_module(get_assignment(assignment_id))


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
