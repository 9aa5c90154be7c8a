"""Regenerate the nbgrader source notebooks and the release copies shipped in ``mlip``.

Usage (from the repository root)::

    python assignments/build.py           # write assignments/<id>/*.ipynb and the release copies
    python assignments/build.py --check   # exit 1 if any committed file is stale
    python assignments/build.py --topic guards [--check]   # one topic only

Authoring: a topic template (``assignments/_templates/<topic>.cells``) holds the parts every
system shares; a per-assignment part (``assignments/_templates/<id>.cells``) holds the system's
context, tasks, solutions and unit tests. Both use a small cell format:

- ``#%% markdown`` / ``#%% code`` starts a cell; options after it: ``id=NAME`` (nbgrader
  grade_id), ``locked`` (read-only), ``solution`` (student writes it), ``test`` (graded, locked
  autograder test), ``answer`` (graded free-text answer), ``points=N``;
- ``#%% include NAME`` inserts the cells of section ``NAME`` of the per-assignment part;
- ``#%% system-checks`` expands to one graded cell per check of the catalogue;
- ``#%%% NAME`` starts a section in a per-assignment part; ``{{NAME}}`` substitutes a section's
  text or a catalogue value (``id``, ``title``, ``system``, ``chapter_*``, ``architecture``...).

Release copies are made by nbgrader's own ``GenerateAssignment`` converter (solutions cleared,
cells locked, checksums computed), so a course's ``nbgrader generate_assignment`` gives the same.
"""

from __future__ import annotations

import argparse
import json
import os
import re
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

from mlip.assignments import ASSIGNMENTS, Assignment  # noqa: E402
from mlip.assignments._points import notebook_points  # noqa: E402

CELL_MARK = "#%% "
SECTION_MARK = "#%%% "
NBFORMAT_METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def _sections(text: str) -> dict[str, str]:
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith(SECTION_MARK):
            current = sections.setdefault(line[len(SECTION_MARK) :].strip(), [])
        elif current is not None:
            current.append(line)
    return {name: "\n".join(lines).strip("\n") for name, lines in sections.items()}


def _architecture(system_name: str) -> str:
    from mlip.systems import get_system

    system = get_system(system_name)
    rows = ["| component | kind | what it does |", "| --- | --- | --- |"]
    for component in system.components():
        kind = "**ML**" if component.kind.value == "ml" else "non-ML"
        rows.append(f"| `{component.name}` | {kind} | {component.description} |")
    points = ["| extension point | kind | signature |", "| --- | --- | --- |"]
    for point in system.extension_points():
        points.append(f"| `{point.name}` | {point.kind} | `{point.signature}` |")
    return "\n".join(rows) + "\n\nExtension points:\n\n" + "\n".join(points)


def _variables(assignment: Assignment, sections: dict[str, str]) -> dict[str, str]:
    chapter = assignment.chapter
    tasks = "\n".join(f"- `{task.signature}`: {task.goal}." for task in assignment.tasks)
    checks = "\n".join(
        f"| `{check.name}` | {check.points:g} | {check.summary} | "
        f"{'public (`mlip check`)' if check.public else 'hidden (autograder)'} |"
        for check in assignment.checks
    )
    values = {
        "id": assignment.id,
        "title": assignment.title,
        "system": assignment.system,
        "topic": assignment.topic,
        "chapter_number": str(chapter.number),
        "chapter_title": chapter.title,
        "chapter_url": chapter.url,
        "architecture": _architecture(assignment.system),
        "tasks": tasks,
        "checks_table": "| check | points | what it asks | run by |\n| --- | --- | --- | --- |\n"
        + checks,
    }
    return {**sections, **values}


def _substitute(text: str, variables: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in variables:
            raise KeyError(f"template uses {{{{{name}}}}} but nothing defines it")
        return variables[name]

    for _ in range(3):  # sections may use catalogue values themselves
        text = re.sub(r"\{\{([a-z_]+)\}\}", replace, text)
    return text


def _check_cells(assignment: Assignment) -> list[str]:
    lines: list[str] = []
    for check in assignment.checks:
        helper = "system_check" if check.public else "hidden_check"
        lines += [
            f"#%% code id=check-{check.name} test points={check.points:g}",
            f"# {check.summary}",
            f'{helper}("{assignment.id}", "{check.name}")',
        ]
    return lines


def _expand(template: str, sections: dict[str, str], assignment: Assignment) -> list[str]:
    lines: list[str] = []
    for line in template.splitlines():
        if line.startswith("#%% include "):
            name = line[len("#%% include ") :].strip()
            if name not in sections:
                raise KeyError(f"template includes section {name!r}, missing for {assignment.id}")
            lines += _expand(sections[name], sections, assignment)
        elif line.strip() == "#%% system-checks":
            lines += _check_cells(assignment)
        else:
            lines.append(line)
    return lines


def _metadata(options: dict[str, str], flags: set[str]) -> dict[str, Any]:
    if not flags & {"locked", "solution", "test", "answer"}:
        return {}
    grade = bool(flags & {"test", "answer"})
    meta: dict[str, Any] = {
        "grade": grade,
        "grade_id": options["id"],
        "locked": bool(flags & {"locked", "test"}),
        "schema_version": 3,
        "solution": bool(flags & {"solution", "answer"}),
    }
    if grade:
        meta["points"] = float(options.get("points", "1"))
    return {"nbgrader": meta}


def _cells(lines: list[str]) -> list[dict[str, Any]]:
    cells: list[dict[str, Any]] = []
    header: list[str] | None = None
    body: list[str] = []

    def flush() -> None:
        if header is None:
            return
        kind, *rest = header
        options = dict(item.split("=", 1) for item in rest if "=" in item)
        flags = {item for item in rest if "=" not in item}
        source = "\n".join(body).strip("\n")
        cell_id = options.get("id", f"cell-{len(cells) + 1}")
        cell: dict[str, Any] = {
            "cell_type": kind,
            "id": cell_id,
            "metadata": _metadata(options, flags),
            "source": source,
        }
        if kind == "code":
            cell.update({"execution_count": None, "outputs": []})
        cells.append(cell)

    for line in lines:
        if line.startswith(CELL_MARK):
            flush()
            header = line[len(CELL_MARK) :].split()
            body = []
        else:
            body.append(line)
    flush()
    return cells


def render_source(assignment: Assignment) -> dict[str, Any]:
    """The nbgrader source notebook of ``assignment`` as notebook JSON."""
    template = (TEMPLATES / f"{assignment.topic}.cells").read_text(encoding="utf-8")
    sections = _sections((TEMPLATES / f"{assignment.id}.cells").read_text(encoding="utf-8"))
    variables = _variables(assignment, sections)
    lines = _expand(template, sections, assignment)
    # the header states the total the notebook's own cells carry (the one points story)
    draft = _cells(_substitute("\n".join(lines), {**variables, "points": ""}).splitlines())
    points = notebook_points({"cells": draft}).describe()
    cells = _cells(_substitute("\n".join(lines), {**variables, "points": points}).splitlines())
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
