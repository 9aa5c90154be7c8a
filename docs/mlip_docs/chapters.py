"""Chapter guides: ``chapters/NN-slug/index.md`` plus a runnable ``lab.py`` each.

Labs are standalone scripts in the style of scikit-learn's examples: a docstring, then cells
separated by ``# %%`` lines, each opening with comment lines of prose. The docs build runs every
lab (in parallel child processes, like a student would run it), shows its code cell by cell with
the prose in between, shows what it printed, and publishes the PNG figures it saved into the
folder named by the ``MLIP_LAB_OUTPUT`` environment variable.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ._markdown import cell, table

__all__ = [
    "BOOK_URL",
    "Chapter",
    "LabRun",
    "chapter_index",
    "chapter_page",
    "find_chapters",
    "lab_markdown",
    "run_lab",
    "start_labs",
]

BOOK_URL = "https://mlip-cmu.github.io/book/"
LAB_TIMEOUT_SECONDS = 180
_FOLDER = re.compile(r"^(\d\d)-([a-z0-9-]+)$")


@dataclass(frozen=True)
class Chapter:
    """One chapter guide folder."""

    number: int
    slug: str  # folder name, e.g. "02-from-models-to-systems"; also the book's page name
    title: str
    folder: Path

    @property
    def book_url(self) -> str:
        """The matching chapter of the online book (we link to it, never copy it)."""
        return f"{BOOK_URL}{self.slug}.html"

    @property
    def lab(self) -> Path:
        return self.folder / "lab.py"


@dataclass(frozen=True)
class LabRun:
    """What running one lab produced."""

    returncode: int
    output: str
    seconds: float
    figures: dict[str, bytes] = field(default_factory=dict)


def find_chapters(root: Path) -> list[Chapter]:
    """Every ``chapters/NN-slug/`` folder with an ``index.md``, in chapter order."""
    chapters = []
    for folder in sorted((root / "chapters").iterdir()):
        match = _FOLDER.match(folder.name)
        if not (folder.is_dir() and match and (folder / "index.md").is_file()):
            continue
        first_line = (folder / "index.md").read_text(encoding="utf-8").lstrip().splitlines()[0]
        title = first_line.lstrip("#").strip()
        chapters.append(Chapter(int(match.group(1)), folder.name, title, folder))
    return chapters


def run_lab(lab: Path, *, output_dir: Path, timeout: float = LAB_TIMEOUT_SECONDS) -> LabRun:
    """Run one lab as a student would (``python lab.py``) and collect its output and figures."""
    env = {
        **os.environ,
        "MLIP_LAB_OUTPUT": str(output_dir),
        "MPLBACKEND": "Agg",
        "PYTHONHASHSEED": "0",
    }
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, str(lab)],
            cwd=output_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        returncode, output = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired:
        returncode, output = -1, f"timed out after {timeout:.0f} s"
    figures = {
        path.name: path.read_bytes() for path in sorted(output_dir.glob("*.png")) if path.is_file()
    }
    return LabRun(returncode, output, time.perf_counter() - started, figures)


def start_labs(chapters: list[Chapter], *, jobs: int | None = None) -> dict[str, Future[LabRun]]:
    """Start every chapter's lab in parallel; results arrive as futures keyed by slug."""
    workers = jobs or max(1, min(len(chapters), os.cpu_count() or 1))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lab")
    futures = {}
    for chapter in chapters:
        output_dir = Path(tempfile.mkdtemp(prefix=f"mlip-lab-{chapter.slug}-"))
        futures[chapter.slug] = pool.submit(run_lab, chapter.lab, output_dir=output_dir)
    pool.shutdown(wait=False)
    return futures


def _split_cells(source: str) -> tuple[str, list[tuple[str, str]]]:
    """The lab's docstring and its ``(prose, code)`` cells."""
    docstring = ""
    body = source
    match = re.match(r'\s*(?:"""|\'\'\')(.*?)(?:"""|\'\'\')\s*\n', source, re.S)
    if match:
        docstring, body = match.group(1).strip(), source[match.end() :]
    cells = []
    for chunk in re.split(r"^# %%.*$", body, flags=re.M):
        lines = chunk.strip("\n").splitlines()
        prose_lines = []
        while lines and (lines[0].startswith("# ") or lines[0] == "#"):
            prose_lines.append(lines.pop(0)[2:])
        prose = "\n".join(prose_lines).strip()
        code = "\n".join(lines).strip()
        if prose or code:
            cells.append((prose, code))
    return docstring, cells


def lab_markdown(chapter: Chapter, run: LabRun | None) -> str:
    """The lab section of a chapter page: cells with prose, then what the lab printed."""
    docstring, cells = _split_cells(chapter.lab.read_text(encoding="utf-8"))
    lines = docstring.splitlines()
    title = ""
    if len(lines) > 1 and lines[1] and set(lines[1]) <= {"=", "-"}:  # an underlined title
        title, lines = lines[0].strip(), lines[2:]
    intro = "\n".join(lines).strip()
    parts = [
        "## Lab\n",
        f"Run it yourself: `python chapters/{chapter.slug}/lab.py` (a few seconds; figures go "
        "to `./lab-output/` or the folder in `MLIP_LAB_OUTPUT`).\n",
    ]
    if title:
        parts.append(f"### {title}\n")
    if intro:
        parts.append(intro + "\n")
    for prose, code in cells:
        if prose:
            parts.append(prose + "\n")
        if code:
            parts.append(f"```python\n{code}\n```\n")
    if run is not None:
        parts.append(
            f'??? example "What the lab printed during this build ({run.seconds:.1f} s)"\n\n'
            + "    ```text\n"
            + "".join(f"    {line}\n" for line in run.output.rstrip().splitlines())
            + "    ```\n"
        )
    return "\n".join(parts)


def chapter_page(chapter: Chapter, run: LabRun | None) -> str:
    """The full chapter page: the hand-written guide, the book link, then the lab."""
    guide = (chapter.folder / "index.md").read_text(encoding="utf-8").rstrip()
    book = (
        f'!!! note "Read the chapter"\n'
        f"    This guide accompanies chapter {chapter.number}, "
        f"[*{chapter.title}*]({chapter.book_url}), of the book *Machine Learning in "
        "Production*. The guide is our own; read the book for the full treatment.\n"
    )
    return f"{guide}\n\n{book}\n{lab_markdown(chapter, run)}"


def chapter_index(chapters: list[Chapter]) -> str:
    """Overview of the chapter guides."""
    rows = [
        [
            str(c.number),
            f"[{cell(c.title)}]({c.slug}/index.md)",
            f"[book chapter]({c.book_url})",
            f"`chapters/{c.slug}/lab.py`",
        ]
        for c in chapters
    ]
    return "\n".join(
        [
            "# Chapter guides\n",
            "Short guides to chapters of *Machine Learning in Production*, written for this kit: "
            "learning goals, the ideas in our own words, where the running systems show them, "
            "a lab you can run in seconds, a summary and exercises. Each links to the book's "
            "chapter for the full text.\n",
            table(["#", "guide", "book", "lab"], rows),
        ]
    )
