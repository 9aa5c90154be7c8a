"""mkdocs hooks that generate the site's pages from the kit's code at build time.

Registered in ``mkdocs.yml`` under ``hooks:``. ``on_config`` starts the chapter labs in
background processes and expands the navigation with one entry per system, assignment and
chapter; ``on_files`` adds the generated pages and figures (nothing is written into the source
tree). Anything that cannot be generated is logged as a warning, which ``--strict`` turns into
a failed build: a stale or broken page never ships silently.
"""

from __future__ import annotations

import logging
import sys
from concurrent.futures import Future
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# The import below needs the sys.path entry above (mkdocs loads this file by path).
from mlip_docs.chapters import (
    Chapter,
    LabRun,
    chapter_index,
    chapter_page,
    find_chapters,
    start_labs,
)

log = logging.getLogger("mkdocs.plugins.mlip_docs")

_state: dict[str, Any] = {}


def _repo_root(config: Any) -> Path:
    return Path(config.config_file_path).resolve().parent


def _systems() -> list[tuple[str, str]]:
    """``(name, title)`` of every installed system; a broken one is a build warning."""
    from mlip.systems import get_system, system_names

    found = []
    for name in system_names():
        try:
            found.append((name, get_system(name).title))
        except Exception as error:
            log.warning("system %r cannot be documented: %s", name, error)
    return found


def _assignments() -> list[tuple[str, str]]:
    try:
        from mlip.assignments import ASSIGNMENTS
    except Exception as error:
        log.warning("the assignment catalogue cannot be loaded: %s", error)
        return []
    return [(a.id, a.id) for a in ASSIGNMENTS]


def _expand_nav(nav: list[Any], sections: dict[str, list[Any]]) -> list[Any]:
    """Replace entries pointing at a generated section's index with the whole section."""
    expanded = []
    for entry in nav:
        if isinstance(entry, dict) and len(entry) == 1:
            ((title, target),) = entry.items()
            if isinstance(target, str) and target in sections:
                expanded.append({title: [target, *sections[target]]})
                continue
        expanded.append(entry)
    return expanded


def on_config(config: Any) -> Any:
    root = _repo_root(config)
    chapters = find_chapters(root)
    systems = _systems()
    assignments = _assignments()
    _state.update(
        root=root,
        chapters=chapters,
        systems=systems,
        assignments=assignments,
        labs=start_labs(chapters),
    )
    sections = {
        "systems/index.md": [{title: f"systems/{name}.md"} for name, title in systems],
        "assignments/index.md": [{aid: f"assignments/{aid}.md"} for aid, _ in assignments],
        "chapters/index.md": [
            {f"{c.number}. {c.title}": f"chapters/{c.slug}/index.md"} for c in chapters
        ],
    }
    if config.nav:
        config.nav = _expand_nav(config.nav, sections)
    return config


def _add(files: Any, config: Any, path: str, content: str | bytes) -> None:
    from mkdocs.structure.files import File

    files.append(File.generated(config, path, content=content))


def _generate_systems(files: Any, config: Any) -> None:
    from mlip_docs.system_pages import system_page

    for name, _title in _state["systems"]:
        try:
            page = system_page(name)
        except Exception as error:
            log.warning("system %r page failed: %s: %s", name, type(error).__name__, error)
            continue
        log.info("generated systems/%s.md in %.1f s", name, page.seconds)
        _add(files, config, f"systems/{name}.md", page.markdown)
        _add(files, config, f"systems/{name}-architecture.svg", page.svg)


def _generate_assignments(files: Any, config: Any) -> None:
    from mlip_docs.assignment_pages import assignment_index, assignment_pages

    try:
        pages = assignment_pages()
        index = assignment_index()
    except Exception as error:
        log.warning("assignment pages failed: %s: %s", type(error).__name__, error)
        return
    _add(files, config, "assignments/index.md", index)
    for page in pages:
        _add(files, config, f"assignments/{page.id}.md", page.markdown)


def _generate_cli(files: Any, config: Any) -> None:
    from mlip_docs.cli_reference import cli_reference

    _add(files, config, "cli.md", cli_reference())


def _generate_changelog(files: Any, config: Any) -> None:
    changelog = _state["root"] / "CHANGELOG.md"
    _add(files, config, "changelog.md", changelog.read_text(encoding="utf-8"))


def _generate_chapters(files: Any, config: Any) -> None:
    chapters: list[Chapter] = _state["chapters"]
    labs: dict[str, Future[LabRun]] = _state["labs"]
    _add(files, config, "chapters/index.md", chapter_index(chapters))
    for chapter in chapters:
        run = labs[chapter.slug].result()
        if run.returncode != 0:
            log.warning(
                "lab of chapter %s failed (exit %s):\n%s",
                chapter.slug,
                run.returncode,
                run.output[-3000:],
            )
        log.info("ran chapters/%s/lab.py in %.1f s", chapter.slug, run.seconds)
        _add(files, config, f"chapters/{chapter.slug}/index.md", chapter_page(chapter, run))
        for name, data in run.figures.items():
            _add(files, config, f"chapters/{chapter.slug}/{name}", data)


def on_files(files: Any, config: Any) -> Any:
    _generate_changelog(files, config)
    _generate_cli(files, config)
    _generate_assignments(files, config)
    _generate_systems(files, config)
    _generate_chapters(files, config)
    return files
