"""Chapter guides: the required chapters exist with their sections, and every lab runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mlip_docs.chapters import Chapter, find_chapters, lab_markdown, run_lab

REPO = Path(__file__).resolve().parents[2]
CHAPTERS = find_chapters(REPO)
REQUIRED = {2, 5, 6, 7, 13, 16, 19, 27}


def test_the_required_chapters_exist() -> None:
    assert {chapter.number for chapter in CHAPTERS} >= REQUIRED


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.slug)
def test_each_guide_has_goals_summary_exercises_and_a_figure(chapter: Chapter) -> None:
    text = (chapter.folder / "index.md").read_text(encoding="utf-8")
    for heading in ("## Learning goals", "## Summary", "## Exercises"):
        assert heading in text, f"{chapter.slug} lacks {heading!r}"
    assert re.search(r"!\[[^\]]+\]\([\w-]+\.png\)", text), "a figure made by the lab"
    assert chapter.book_url.startswith("https://mlip-cmu.github.io/book/")
    assert chapter.lab.is_file()


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.slug)
def test_each_lab_runs_and_makes_the_figures_its_guide_shows(
    chapter: Chapter, tmp_path: Path
) -> None:
    run = run_lab(chapter.lab, output_dir=tmp_path, timeout=120)
    assert run.returncode == 0, run.output
    guide = (chapter.folder / "index.md").read_text(encoding="utf-8")
    for figure in re.findall(r"\]\(([\w-]+\.png)\)", guide):
        assert figure in run.figures, f"{chapter.slug}: lab did not save {figure}"
    rendered = lab_markdown(chapter, run)
    assert "```python" in rendered
