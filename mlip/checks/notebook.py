"""Helpers a student's notebook imports: load a system, look at example inputs, run checks.

``system_check`` runs a public check against the functions defined in the notebook and shows the
result; its value is the points earned, which nbgrader reads as partial credit when the cell is
an autograder-test cell. ``hidden_check`` only announces a check the autograder runs later.
Output goes to stdout only: nbgrader gives zero points to a test cell that writes to stderr.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from mlip.checks._engine import BoundedCache, CheckResult, plain

__all__ = ["example_calls", "hidden_check", "load_system", "system_check"]

#: Set by ``mlip check``'s runner: system-check cells are then only recorded, because the
#: runner runs every public check itself after the notebook's cells.
DEFERRED: list[tuple[str, str]] | None = None

#: Models and drift streams recorded for this kernel's check cells (bounded), so the second
#: monitoring check cell does not simulate the streams again.
RECORDINGS = BoundedCache()


def load_system(name: str) -> Any:
    """The running system ``name`` (``"toaster"``, ``"tax"``, ``"transcription"``)."""
    from mlip.systems import get_system

    return get_system(name)


def _namespace() -> Mapping[str, Any]:
    return vars(sys.modules["__main__"])


def example_calls(
    assignment_id: str, extension: str, *, n: int = 50, seed: int = 0, limit: int = 5
) -> list[list[Any]]:
    """Arguments the running system really passes to ``extension`` (plain data, first ``limit``).

    Handy for unit tests: you see the exact dict keys your function receives.
    """
    from mlip.checks import extension_specs
    from mlip.systems import get_system

    specs = {spec.name: spec for spec in extension_specs(assignment_id)}
    spec = specs[extension]
    calls: list[list[Any]] = []

    def recorder(*args: Any) -> Any:
        if len(calls) < limit:
            calls.append([plain(argument) for argument in args])
        return spec.fallback(*args)

    system = get_system(assignment_id.rsplit("-", 1)[1])
    system.run(n=n, seed=seed, extensions={extension: recorder})
    return calls


def report(result: CheckResult, *, title: str = "", replay_line: bool = True) -> None:
    """Print a check's result in a notebook: points, message, margins, hint and repro line.

    ``title`` follows the check's name (e.g. ", one scenario"); ``replay_line=False`` leaves out
    a repro line that would only replay what was just run.
    """
    mark = "PASS" if result.passed else "FAIL"
    print(f"[{mark}] {result.check}{title}: {result.points:g}/{result.max_points:g} points")
    print(f"       {result.message}")
    for line in result.margin_lines():
        print(f"       {line}")
    if not result.passed and result.hint:
        print(f"  hint: {result.hint}")
    replays = result.repro.startswith("from mlip.checks.repro")
    if not result.passed and result.repro and (replay_line or not replays):
        print(f"  repro: {result.repro}")


def system_check(
    assignment_id: str, check_name: str, *, namespace: Mapping[str, Any] | None = None
) -> float | None:
    """Run the public check ``check_name`` on this notebook's functions; returns the points."""
    from mlip.checks import get_check, run_check

    if DEFERRED is not None:
        DEFERRED.append((assignment_id, check_name))
        return None
    check = get_check(assignment_id, check_name)
    found = namespace if namespace is not None else _namespace()
    extensions = {spec.name: found.get(spec.name) for spec in check.extensions}
    result = run_check(check, extensions, recordings=RECORDINGS)  # type: ignore[arg-type]
    report(result)
    return result.points


def hidden_check(assignment_id: str, check_name: str) -> None:
    """Announce a hidden check: the autograder runs it on your submission, ``mlip check`` can't."""
    if DEFERRED is not None:
        return
    print(
        f"[HIDDEN] {check_name}: graded by the autograder when you submit {assignment_id} "
        "(its scenarios are secret; make your solution robust, not tuned to the public checks)."
    )
