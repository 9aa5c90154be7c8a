"""``mkdocs build --strict`` succeeds and every generated page is there, made from the code."""

from __future__ import annotations

import re
from pathlib import Path

from mlip.assignments import ASSIGNMENTS
from mlip.systems import get_system, system_names

REPO = Path(__file__).resolve().parents[2]


def _text(site: Path, page: str) -> str:
    return (site / page / "index.html").read_text(encoding="utf-8")


def test_hand_written_pages_are_built(built_site: Path) -> None:
    home = (built_site / "index.html").read_text(encoding="utf-8")
    assert "unreliable" in home  # the course's idea is on the home page
    assert "mlip check" in _text(built_site, "student-guide")
    guide = _text(built_site, "instructor-guide")
    for word in ("autograde", "sandbox", "secret seed", "--workers", "mlip course doctor"):
        assert word in guide


def test_every_system_has_a_generated_page_with_its_diagram(built_site: Path) -> None:
    for name in system_names():
        system = get_system(name)
        html = _text(built_site, f"systems/{name}")
        svg = (built_site / "systems" / f"{name}-architecture.svg").read_text(encoding="utf-8")
        for component in system.components():
            assert component.name in svg
            assert component.name in html
        for point in system.extension_points():
            assert point.name in html
        for schema in system.telemetry_schema():
            assert schema.event in html
        for condition in system.conditions():
            assert condition.name in html
        assert "Model quality and system quality" in html


def test_every_assignment_has_a_page_listing_its_checks(built_site: Path) -> None:
    index = _text(built_site, "assignments")
    for assignment in ASSIGNMENTS:
        assert assignment.id in index
        html = _text(built_site, f"assignments/{assignment.id}")
        for check in assignment.checks:
            assert check.name in html
        for task in assignment.tasks:
            assert task.extension in html
        assert "BEGIN SOLUTION" not in html


def test_chapter_pages_include_lab_and_figures(built_site: Path) -> None:
    for folder in sorted((REPO / "chapters").glob("[0-9][0-9]-*")):
        html = _text(built_site, f"chapters/{folder.name}")
        assert "Lab" in html and "mlip-cmu.github.io/book/" in html
        for figure in re.findall(r"\]\(([\w-]+\.png)\)", (folder / "index.md").read_text()):
            path = built_site / "chapters" / folder.name / figure
            assert path.stat().st_size > 5_000, f"{figure} missing or empty"


def test_changelog_is_the_repositorys(built_site: Path) -> None:
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    first_entry = next(line for line in changelog.splitlines() if line.startswith("- "))
    words = first_entry[2:30].split("`")[0]
    assert words.strip() in _text(built_site, "changelog")


def test_search_index_covers_the_generated_pages(built_site: Path) -> None:
    index = (built_site / "search" / "search_index.json").read_text(encoding="utf-8")
    assert "systems/toaster/" in index
    assert "cli/" in index
