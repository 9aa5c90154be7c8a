"""Regenerate the nbgrader source notebooks and the release copies shipped in ``mlip``.

Usage (from the repository root)::

    python assignments/build.py           # write assignments/<id>/*.ipynb and the release copies
    python assignments/build.py --check   # exit 1 if any committed file is stale
    python assignments/build.py --topic guards [--check]   # one topic only

Authoring (``docs/authoring-notebooks.md`` has the details): notebook sources are jupytext
*percent* files rendered by jinja2, so they read, diff and lint like Python:

- ``assignments/_templates/<topic>.py.j2`` holds what every system shares and declares
  ``{% block NAME %}`` slots; ``assignments/_templates/<id>.py.j2`` starts with
  ``{% extends "<topic>.py.j2" %}`` and fills the slots (context, tasks, solutions, tests);
- ``# %%`` starts a code cell, ``# %% [markdown]`` a Markdown cell (its text in triple quotes);
  options on that line: ``id="NAME"`` (nbgrader grade_id), ``locked=true``, ``solution=true``,
  ``test=true`` (graded, locked autograder test), ``answer=true`` (graded free-text answer),
  ``points=N``;
- ``{% include "_system_checks.py.j2" %}`` expands to one graded cell per catalogue check;
- ``{{ NAME }}`` is a catalogue value (``id``, ``title``, ``system``, ``chapter_*``,
  ``architecture``, ``tasks``, ``checks_table``, ``points``...). Undefined names fail the build
  (``StrictUndefined``); a literal ``{{`` in code is written ``{{ "{{" }}`` or inside
  ``{% raw %}``.

Release copies are made by nbgrader's own ``GenerateAssignment`` converter (solutions cleared,
cells locked, checksums computed), so a course's ``nbgrader generate_assignment`` gives the same.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "assignments"
TEMPLATES = SOURCES / "_templates"
RELEASE = ROOT / "mlip" / "assignments" / "release"

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "docs"))  # mlip_docs: the architecture diagram, safe tables

from mlip_docs._markdown import cell as table_text  # noqa: E402
from mlip_docs._markdown import code as table_code  # noqa: E402

from mlip.assignments import ASSIGNMENTS, Assignment  # noqa: E402
from mlip.assignments._points import notebook_points  # noqa: E402

TEMPLATE_SUFFIX = ".py.j2"
#: Cell options a template states in its ``# %%`` line, turned into nbgrader metadata.
CELL_FLAGS = ("locked", "solution", "test", "answer")
#: Layout notes jupytext keeps for a round trip (blank lines, quoting): not cell options.
JUPYTEXT_KEYS = frozenset({"cell_marker", "lines_to_next_cell", "lines_to_end_of_cell_marker"})
NBFORMAT_METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


class TemplateError(Exception):
    """A template that cannot become a notebook (unknown variable, bad cell option...)."""


#: A markdown cell showing ``![...](attachment:NAME)`` gets the attachment NAME (an SVG).
ARCHITECTURE_ATTACHMENT = "architecture.svg"


def _architecture(system_name: str) -> str:
    """The system's diagram (a cell attachment), components and extension points, vocabulary."""
    from mlip_docs.vocabulary import vocabulary_markdown

    from mlip.systems import get_system

    system = get_system(system_name)
    diagram = f"![Architecture of the {system.title}](attachment:{ARCHITECTURE_ATTACHMENT})"
    rows = ["| component | kind | what it does |", "| --- | --- | --- |"]
    for component in system.components():
        kind = "**ML**" if component.kind.value == "ml" else "non-ML"
        rows.append(
            f"| {table_code(component.name)} | {kind} | {table_text(component.description)} |"
        )
    points = ["| extension point | kind | signature |", "| --- | --- | --- |"]
    for point in system.extension_points():
        points.append(
            f"| {table_code(point.name)} | {table_text(point.kind)} | "
            f"{table_code(point.signature)} |"
        )
    text = diagram + "\n\n" + "\n".join(rows) + "\n\nExtension points:\n\n" + "\n".join(points)
    vocabulary = vocabulary_markdown(system_name)
    return text + ("\n\n" + vocabulary.strip() if vocabulary else "")


def _attachments(system_name: str) -> dict[str, dict[str, str]]:
    """Cell attachments the templates may show, base64 as nbformat stores them."""
    import base64

    from mlip_docs.architecture import architecture_svg

    from mlip.systems import get_system

    system = get_system(system_name)
    svg = architecture_svg(system.title, system.components())
    encoded = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return {ARCHITECTURE_ATTACHMENT: {"image/svg+xml": encoded}}


def _extensions(assignment: Assignment) -> str:
    """``{"name": name, ...}``: the assignment's functions that plug into the system."""
    from mlip.systems import get_system

    points = {point.name for point in get_system(assignment.system).extension_points()}
    names = [task.extension for task in assignment.tasks if task.extension in points]
    return "{" + ", ".join(f'"{name}": {name}' for name in names) + "}"


def _variables(assignment: Assignment) -> dict[str, Any]:
    chapter = assignment.chapter
    tasks = "\n".join(f"- `{task.signature}`: {task.goal}." for task in assignment.tasks)
    checks = "\n".join(
        f"| {table_code(check.name)} | {check.points:g} | {table_text(check.summary)} | "
        f"{'public (`mlip check`)' if check.public else 'hidden (autograder)'} |"
        for check in assignment.checks
    )
    return {
        "id": assignment.id,
        "title": assignment.title,
        "system": assignment.system,
        "topic": assignment.topic,
        "chapter_number": str(chapter.number),
        "chapter_title": chapter.title,
        "chapter_url": chapter.url,
        "architecture": _architecture(assignment.system),
        "tasks": tasks,
        "checks": assignment.checks,
        "extensions": _extensions(assignment),
        "checks_table": "| check | points | what it asks | run by |\n| --- | --- | --- | --- |\n"
        + checks,
    }


def _environment(root: Path) -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(root),
        undefined=jinja2.StrictUndefined,  # a misspelt variable fails the build
        trim_blocks=True,  # a block tag on its own line leaves no blank line
        keep_trailing_newline=True,
        autoescape=False,  # the output is Python and Markdown, not HTML
    )


def render_template(name: str, variables: dict[str, Any], *, root: Path = TEMPLATES) -> str:
    """The jupytext text of template ``name``; :class:`TemplateError` names what is wrong."""
    import jinja2

    try:
        return str(_environment(root).get_template(name).render(**variables))
    except jinja2.TemplateError as error:
        where = ""
        if isinstance(error, jinja2.TemplateSyntaxError):
            where = f"{error.filename}:{error.lineno}: "
        raise TemplateError(f"{name}: {where}{error}") from error


def _nbgrader_cell(cell: Any, number: int) -> dict[str, Any]:
    """One jupytext cell as nbgrader source JSON: its ``# %%`` options become metadata."""
    options = {key: value for key, value in cell.metadata.items() if key not in JUPYTEXT_KEYS}
    grade_id = options.pop("id", None)
    flags = {flag for flag in CELL_FLAGS if options.pop(flag, False)}
    points = options.pop("points", None)
    if options:
        raise TemplateError(f"cell {grade_id or number}: unknown option(s) {sorted(options)}")
    metadata: dict[str, Any] = {}
    if flags:
        if grade_id is None:
            raise TemplateError(f"cell {number}: {sorted(flags)} needs an id")
        grade = bool(flags & {"test", "answer"})
        nbgrader: dict[str, Any] = {
            "grade": grade,
            "grade_id": grade_id,
            "locked": bool(flags & {"locked", "test"}),
            "schema_version": 3,
            "solution": bool(flags & {"solution", "answer"}),
        }
        if grade:
            nbgrader["points"] = float(1 if points is None else points)
        metadata["nbgrader"] = nbgrader
    result: dict[str, Any] = {
        "cell_type": cell.cell_type,
        "id": grade_id or f"cell-{number}",
        "metadata": metadata,
        "source": cell.source.strip("\n"),
    }
    if cell.cell_type == "code":
        result.update({"execution_count": None, "outputs": []})
    return result


def notebook_cells(text: str) -> list[dict[str, Any]]:
    """The nbgrader source cells of a rendered jupytext percent text."""
    import jupytext

    notebook = jupytext.reads(text, fmt="py:percent")
    return [_nbgrader_cell(cell, number) for number, cell in enumerate(notebook.cells, start=1)]


def render_source(assignment: Assignment) -> dict[str, Any]:
    """The nbgrader source notebook of ``assignment`` as notebook JSON."""
    variables = _variables(assignment)
    # the header states the total the notebook's own cells carry (the one points story)
    name = f"{assignment.id}{TEMPLATE_SUFFIX}"
    draft = notebook_cells(render_template(name, {**variables, "points": ""}))
    points = notebook_points({"cells": draft}).describe()
    cells = notebook_cells(render_template(name, {**variables, "points": points}))
    attachments = _attachments(assignment.system)
    for cell in cells:
        shown = {
            key: value
            for key, value in attachments.items()
            if f"attachment:{key}" in cell["source"]
        }
        if shown and cell["cell_type"] == "markdown":
            cell["attachments"] = shown
    return {"cells": cells, "metadata": NBFORMAT_METADATA, "nbformat": 4, "nbformat_minor": 5}


def _dump(notebook: dict[str, Any]) -> str:
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _generate_release(source_root: Path, assignment_id: str, out: Path) -> None:
    """Run nbgrader's GenerateAssignment on one assignment of a scratch course."""
    import logging

    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    # nbgrader's gradebook runs the `alembic` script that sits next to this interpreter.
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    config = Config()
    config.CourseDirectory.root = str(source_root)
    config.CourseDirectory.assignment_id = assignment_id
    config.GenerateAssignment.create_assignment = True  # in the scratch gradebook only
    coursedir = CourseDirectory(config=config)
    converter = GenerateAssignment(coursedir=coursedir, config=config)
    converter.log.setLevel(logging.WARNING)
    converter.start()
    produced = source_root / "release" / assignment_id
    out.mkdir(parents=True, exist_ok=True)
    for notebook in sorted(produced.glob("*.ipynb")):
        data = json.loads(notebook.read_text(encoding="utf-8"))
        (out / notebook.name).write_text(_dump(data), encoding="utf-8")


def _chosen(topic: str | None) -> list[Assignment]:
    return [a for a in ASSIGNMENTS if topic is None or a.topic == topic]


def build(sources: Path, release: Path, *, topic: str | None = None) -> list[Path]:
    """Write every source notebook under ``sources`` and release copy under ``release``."""
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="mlip-build-") as scratch:
        course = Path(scratch)
        for assignment in _chosen(topic):
            notebook = _dump(render_source(assignment))
            for name in assignment.notebooks:
                target = sources / assignment.id / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(notebook, encoding="utf-8")
                staged = course / "source" / assignment.id / name
                staged.parent.mkdir(parents=True, exist_ok=True)
                staged.write_text(notebook, encoding="utf-8")
                written.append(target)
            _generate_release(course, assignment.id, release / assignment.id)
            written += sorted((release / assignment.id).glob("*.ipynb"))
    return written


def stale_files(*, topic: str | None = None) -> list[str]:
    """Committed sources / release copies that differ from a fresh build (relative paths)."""
    stale: list[str] = []
    with tempfile.TemporaryDirectory(prefix="mlip-build-check-") as scratch:
        fresh_sources, fresh_release = Path(scratch) / "sources", Path(scratch) / "release"
        build(fresh_sources, fresh_release, topic=topic)
        pairs = [(fresh_sources, SOURCES), (fresh_release, RELEASE)]
        for fresh_root, committed_root in pairs:
            for fresh in sorted(fresh_root.rglob("*.ipynb")):
                committed = committed_root / fresh.relative_to(fresh_root)
                if not committed.is_file() or committed.read_bytes() != fresh.read_bytes():
                    stale.append(str(committed.relative_to(ROOT)))
    return stale


def main(argv: list[str] | None = None) -> int:
    """Build, or with ``--check`` verify, the sources and release copies."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only verify; exit 1 when stale")
    parser.add_argument("--topic", help="only this topic's assignments (default: all)")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files(topic=args.topic)
        for path in stale:
            print(f"stale: {path} (run `python assignments/build.py`)")
        return 1 if stale else 0
    # Build everything in scratch first: a template error must not leave half-deleted copies.
    with tempfile.TemporaryDirectory(prefix="mlip-build-out-") as scratch:
        fresh_sources, fresh_release = Path(scratch) / "sources", Path(scratch) / "release"
        build(fresh_sources, fresh_release, topic=args.topic)
        for assignment in _chosen(args.topic):
            for fresh_root, target_root in ((fresh_sources, SOURCES), (fresh_release, RELEASE)):
                shutil.rmtree(target_root / assignment.id, ignore_errors=True)
                shutil.copytree(fresh_root / assignment.id, target_root / assignment.id)
                for written in sorted((target_root / assignment.id).glob("*.ipynb")):
                    print(f"wrote {written.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
