"""One page per assignment, generated from the assignment catalogue (``mlip.assignments``).

The pages show what students get and how they are graded: tasks with signatures, and every
check with its points. Hidden checks appear by name, points and one-line summary only — the
catalogue holds nothing more about them, and solutions live in ``assignments/`` sources that
these pages never read.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlip.assignments import ASSIGNMENTS, Assignment, assignment_points

from ._markdown import cell, code, table

__all__ = ["AssignmentPage", "assignment_index", "assignment_page", "assignment_pages"]


@dataclass(frozen=True)
class AssignmentPage:
    """Generated Markdown for one assignment."""

    id: str
    title: str
    markdown: str


def _extension_descriptions(system_name: str) -> dict[str, str]:
    """What the system itself says about each extension point (empty if it cannot load)."""
    from mlip.systems import get_system

    system = get_system(system_name)
    return {point.name: point.description for point in system.extension_points()}


def _points(value: float) -> str:
    return f"{value:g}"


def assignment_page(assignment: Assignment) -> AssignmentPage:
    """The page of one assignment."""
    topic, system = assignment.topic, assignment.system
    described = _extension_descriptions(system)
    points = assignment_points(assignment.id)
    parts = [
        f"# {cell(assignment.title)}\n",
        table(
            ["", ""],
            [
                ["id", code(assignment.id)],
                ["topic", cell(topic)],
                ["system", f"[{cell(system)}](../systems/{system}.md)"],
                [
                    "book chapter",
                    f"[{assignment.chapter.number}. {cell(assignment.chapter.title)}]"
                    f"({assignment.chapter.url})",
                ],
                ["notebooks", ", ".join(code(n) for n in assignment.notebooks)],
                ["points", points.describe()],
            ],
        ),
        "## Start\n",
        "```console\n"
        f"$ mlip new {topic} --system {system}\n"
        f"$ cd {assignment.id}\n"
        "$ jupyter lab            # write your code in the notebook\n"
        "$ mlip check             # run the public checks\n"
        "$ mlip submit            # make the zip you upload\n"
        "```\n",
        "## Tasks\n",
        "You write these functions in the notebook; the system calls them at its extension "
        "points while the checks run it through scenarios.\n",
    ]
    for task in assignment.tasks:
        parts.append(f"### `{task.extension}`\n")
        parts.append(f"```python\n{task.signature}\n```\n")
        parts.append(f"**Goal:** {task.goal}.\n")
        if task.extension in described:
            parts.append(f"**Where it plugs in:** {described[task.extension]}\n")
    parts += [
        "## How it is graded\n",
        "Checks grade what the *system* does with your code in place, over many scenarios — "
        "chaos models, broken sensors, drifting inputs — not only what your functions return. "
        "Public checks run on your machine with `mlip check`; hidden checks run only in the "
        "instructor's autograder, on scenarios drawn from a secret seed, so they reward "
        "guards that work in general rather than ones tuned to the public scenarios.\n",
        table(
            ["check", "points", "what it checks", "where it runs"],
            (
                [
                    code(check.name),
                    _points(check.points),
                    cell(check.summary),
                    "`mlip check` and autograder" if check.public else "autograder only (hidden)",
                ]
                for check in assignment.checks
            ),
        ),
    ]
    return AssignmentPage(assignment.id, assignment.title, "\n".join(parts))


def assignment_pages() -> list[AssignmentPage]:
    """Pages of every assignment in the catalogue, in catalogue order."""
    return [assignment_page(assignment) for assignment in ASSIGNMENTS]


def assignment_index() -> str:
    """The overview page listing every assignment."""
    rows = [
        [
            f"[{cell(a.id)}]({a.id}.md)",
            cell(a.title),
            f"[{cell(a.system)}](../systems/{a.system}.md)",
            f"[{a.chapter.number}. {cell(a.chapter.title)}]({a.chapter.url})",
            _points(assignment_points(a.id).total),
        ]
        for a in ASSIGNMENTS
    ]
    return "\n".join(
        [
            "# Assignments\n",
            "Each assignment applies one course topic to one running system; its id is "
            "`TOPIC-SYSTEM`. You extend the running system with non-ML code (guards, monitors, "
            "policies, requirements) and are graded on how the whole system behaves. "
            "`mlip assignments list` prints the same catalogue.\n",
            table(["id", "title", "system", "book chapter", "points"], rows),
        ]
    )
