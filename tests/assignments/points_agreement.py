"""Names and points stated once: what disagrees between an assignment's four views of them.

The catalogue (``Assignment.checks``: public checks from the checks module, hidden ones
declared), the public ``Check`` objects, the cells of the release notebooks and, when the
autograder is installed, the registered hidden families. Public API only, so the worked example
(``examples/mlip-coffee``) runs the same function in a process that has it installed.
"""

from __future__ import annotations

import json
from collections.abc import Callable


def disagreements(assignment_id: str) -> list[str]:
    """Every way the views of ``assignment_id``'s checks disagree (empty: they agree)."""
    from mlip.assignments import cell_kind, get_assignment, release_dir
    from mlip.checks import public_checks

    assignment = get_assignment(assignment_id)
    problems: list[str] = []
    catalogue = {check.name: (check.points, check.public) for check in assignment.checks}
    if len(catalogue) != len(assignment.checks):
        problems.append("a check name appears twice")
    checks = {check.name: (check.max_points, True) for check in public_checks(assignment_id)}
    for check in public_checks(assignment_id):
        if check.assignment != assignment_id:
            problems.append(f"check {check.name} says it belongs to {check.assignment}")
    public = {name: value for name, value in catalogue.items() if value[1]}
    if public != checks:
        problems.append(f"catalogue public checks {public} != check objects {checks}")
    cells: dict[str, tuple[float, bool]] = {}
    for name in assignment.notebooks:
        notebook = json.loads((release_dir(assignment_id) / name).read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            kind = cell_kind(cell)
            if kind not in ("public_checks", "hidden_checks"):
                continue
            source = "".join(cell["source"])
            named = source.rsplit('", "', 1)[1].split('"', 1)[0]
            points = float(cell["metadata"]["nbgrader"]["points"])
            cells[named] = (points, kind == "public_checks")
    if cells != {name: (float(points), public) for name, (points, public) in catalogue.items()}:
        problems.append(f"notebook check cells {cells} != catalogue {catalogue}")
    families = _hidden_family_names()
    if families is not None:
        hidden = {name for name, (_, public) in catalogue.items() if not public}
        found = set(families(assignment_id))
        if found != hidden:
            problems.append(f"hidden families {sorted(found)} != declared {sorted(hidden)}")
    return problems


def _hidden_family_names() -> Callable[[str], list[str]] | None:
    try:
        from mlip_autograder.hidden import families_of
    except ImportError:  # a student-only install: no hidden families to compare
        return None
    return lambda assignment_id: [family.name for family in families_of(assignment_id)]
