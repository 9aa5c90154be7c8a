"""Chapter guides: the required chapters exist with their sections, and every lab runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mlip_docs.chapters import Chapter, LabRun, find_chapters, lab_markdown, run_lab

#: One pytest-xdist worker for the whole module: each lab runs once per process (_RUNS).
pytestmark = pytest.mark.xdist_group("test_docs_chapters")

REPO = Path(__file__).resolve().parents[2]
CHAPTERS = find_chapters(REPO)
REQUIRED = {2, 5, 6, 7, 13, 16, 19, 27}
#: Chapters whose guide must quote numbers from its lab (the rest may).
QUOTING = {2}
#: A paragraph that starts with this comment quotes numbers the lab prints.
LAB_QUOTE = re.compile(r"^<!-- quotes the lab\b[^\n]*-->\n(.+?)(?:\n\s*\n|\Z)", re.S | re.M)
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.]*\d)")
_RUNS: dict[str, LabRun] = {}


def lab_run(chapter: Chapter, tmp_path_factory: pytest.TempPathFactory) -> LabRun:
    """Each lab runs once per session, however many tests read its output."""
    if chapter.slug not in _RUNS:
        output = tmp_path_factory.mktemp(f"lab-{chapter.slug}")
        _RUNS[chapter.slug] = run_lab(chapter.lab, output_dir=output, timeout=120)
    return _RUNS[chapter.slug]


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
    chapter: Chapter, tmp_path_factory: pytest.TempPathFactory
) -> None:
    run = lab_run(chapter, tmp_path_factory)
    assert run.returncode == 0, run.output
    guide = (chapter.folder / "index.md").read_text(encoding="utf-8")
    for figure in re.findall(r"\]\(([\w-]+\.png)\)", guide):
        assert figure in run.figures, f"{chapter.slug}: lab did not save {figure}"
    rendered = lab_markdown(chapter, run)
    assert "```python" in rendered


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.slug)
def test_numbers_a_guide_quotes_are_what_its_lab_prints(
    chapter: Chapter, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Prose that quotes the lab cannot drift from it: every number must be in the output."""
    guide = (chapter.folder / "index.md").read_text(encoding="utf-8")
    paragraphs = LAB_QUOTE.findall(guide)
    if chapter.number in QUOTING:
        assert paragraphs, f"{chapter.slug}: mark the paragraph quoting the lab"
    if not paragraphs:
        return
    run = lab_run(chapter, tmp_path_factory)
    assert run.returncode == 0, run.output
    printed = set(NUMBER.findall(run.output))
    for paragraph in paragraphs:
        quoted = NUMBER.findall(paragraph)
        assert quoted, f"{chapter.slug}: a quoting paragraph without numbers"
        missing = [number for number in quoted if number not in printed]
        assert not missing, f"{chapter.slug}: {missing} are not in the lab's output:\n{run.output}"


def test_chapter_02_claim_holds_in_its_lab(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The smaller average error (everyday noise) sets more fires and makes worse toast."""
    chapter = next(c for c in CHAPTERS if c.number == 2)
    run = lab_run(chapter, tmp_path_factory)
    rows = {
        (kind, level): (float(mae), float(good), int(fires))
        for kind, level, mae, good, fires in re.findall(
            r"(\w+)\s+([\d.]+) \| model MAE\s+([\d.]+) s \| good toast ([\d.]+) "
            r"\| fires: naive\s+(\d+)",
            run.output,
        )
    }
    noise, blunders = rows[("EverydayNoise", "20")], rows[("RareBlunders", "0.03")]
    assert noise[0] < blunders[0] and noise[2] > blunders[2] and noise[1] < blunders[1]
    guide = (chapter.folder / "index.md").read_text(encoding="utf-8")
    assert "has a *smaller* average error than one that is always a" not in guide
