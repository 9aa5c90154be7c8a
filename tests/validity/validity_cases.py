"""Helpers of the validity suite: solutions as data files, run in-process through the checks.

A case is ``tests/validity/<assignment>/<name>.json``: the code of each solution cell by nbgrader
``grade_id`` (``{reference}`` stands for the reference solution of that cell, as in the golden
autograder samples), a description, and what it must earn:

- ``"expect": "full"``: a correct solution written differently from the reference; it must get
  every public point and every hidden point on the test secrets;
- ``"expect": "loses"`` with ``"caught_by"``: a plausible wrong solution; each named check (public
  or hidden) must take points off it; optional ``"hints"`` (check -> text) says what the hint
  of that check's failure must mention (hints follow from the failure observed).

Cases run in-process (trusted test code executes the cells, as the instructor's reference is
executed in ``tests/autograder/test_hidden_topics.py``); the autograder path is covered by the
golden samples.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlip.checks import BoundedCache

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).parent
#: Secrets on which right-but-different cases must earn every hidden point.
SECRETS = ("validity-one", "validity-two", "validity-three")


def case_paths(assignment: str | None = None) -> list[Path]:
    """Every case file (of one assignment), sorted."""
    pattern = f"{assignment}/*.json" if assignment else "*/*.json"
    return sorted(CASES.glob(pattern))


def load_case(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _source(assignment: str) -> dict[str, Any]:
    (path,) = (ROOT / "assignments" / assignment).glob("*.ipynb")
    notebook: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return notebook


def _reference_code(text: str) -> str:
    return "".join(
        line
        for line in text.splitlines(keepends=True)
        if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")
    )


def functions(assignment: str, cells: dict[str, str]) -> dict[str, Callable[..., Any]]:
    """The notebook's namespace after its setup and solution cells ran with ``cells`` swapped in.

    Explore cells (no nbgrader metadata) and graded cells (tests, checks) are skipped.
    """
    namespace: dict[str, Any] = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in _source(assignment)["cells"]:
            meta = cell["metadata"].get("nbgrader")
            if cell["cell_type"] != "code" or not meta or meta.get("grade"):
                continue
            reference = _reference_code("".join(cell["source"]))
            code = cells.get(str(meta.get("grade_id")), "{reference}")
            exec(code.replace("{reference}", reference), namespace)  # trusted test data
    return namespace


#: Models and recorded streams shared by every case of the session (only kit code fills it).
RECORDINGS = BoundedCache()


def public_scores(assignment: str, namespace: dict[str, Any]) -> dict[str, Any]:
    """check name -> CheckResult of every public check."""
    from mlip.checks import public_checks, run_check

    results = {}
    for check in public_checks(assignment):
        extensions = {spec.name: namespace.get(spec.name) for spec in check.extensions}
        results[check.name] = run_check(check, extensions, recordings=RECORDINGS)  # type: ignore[arg-type]
    return results


def hidden_scores(assignment: str, namespace: dict[str, Any], secret: str) -> dict[str, Any]:
    """check name -> CheckResult of every hidden family drawn from ``secret``."""
    from mlip_autograder.hidden import HIDDEN_FAMILIES, hidden_check

    from mlip.checks import run_check

    results = {}
    for family in (f for f in HIDDEN_FAMILIES if f.assignment == assignment):
        check = hidden_check(assignment, family.name, secret=secret)
        extensions = {spec.name: namespace.get(spec.name) for spec in check.extensions}
        results[family.name] = run_check(check, extensions, recordings=RECORDINGS)  # type: ignore[arg-type]
    return results
