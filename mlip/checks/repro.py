"""Run one scenario of a public check again, in the notebook: the repro line of a failure.

``mlip check`` prints, for a failing check, one line to paste into a notebook cell below your
functions: the failing call of your function when it raised, or otherwise
``from mlip.checks.repro import replay; replay("guards-toaster", "no-fire-under-chaos", {...})``,
which runs just that scenario with the functions the notebook defines and prints what the check
saw. Add ``print`` calls to your function and run it again to watch it work.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from mlip.checks._engine import CheckResult, python_literal

__all__ = ["replay", "replay_line"]


def replay_line(assignment_id: str, check_name: str, scenario: Mapping[str, Any]) -> str:
    """The one line of Python that replays ``scenario`` of a public check in the notebook."""
    arguments = f"{assignment_id!r}, {check_name!r}, {python_literal(dict(scenario))}"
    return f"from mlip.checks.repro import replay; replay({arguments})"


def replay(
    assignment_id: str,
    check_name: str,
    scenario: Mapping[str, Any],
    *,
    namespace: Mapping[str, Any] | None = None,
) -> CheckResult:
    """Run ``scenario`` of the public check ``check_name`` with the notebook's functions (or
    those in ``namespace``), print what happened and return the result."""
    from mlip.checks import get_check, run_check
    from mlip.checks.notebook import report

    check = get_check(assignment_id, check_name)
    one = replace(check, scenarios=lambda system: [dict(scenario)])
    found = namespace if namespace is not None else vars(sys.modules["__main__"])
    extensions = {spec.name: found.get(spec.name) for spec in check.extensions}
    result = run_check(one, extensions)  # type: ignore[arg-type]
    report(result, title=", one scenario", replay_line=False)
    return result
