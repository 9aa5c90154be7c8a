"""Helpers of the autograder tests: build a small course from the golden sample data files.

The course uses a cut-down copy of ``guards-toaster`` (``data/sources``): two tasks, their unit
tests, one public and one hidden system check, so the whole class grades in well under a minute.
Sample submissions are data files (``data/samples/NAME.json``): the code of each solution cell
(``{reference}`` stands for the reference solution, ``{course}`` for the course folder) and the
expected result. Tampering samples may also ``duplicate`` or ``delete`` cells (by grade_id),
``move_to_end`` some, and add ``extra_cells`` (e.g. a markdown cell with a script).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
SOURCES = DATA / "sources"
SAMPLES = DATA / "samples"
#: Samples graded only in their own small class (a CPU hog would slow the shared fixture).
NEIGHBOURS = DATA / "neighbours"
ASSIGNMENT = "guards-toaster"

#: Small limits keep hostile samples quick.
TEST_TOML = """[sandbox]
wall_seconds = 60
cell_seconds = 4
call_seconds = 2
cpu_seconds = 120
memory_mb = 1024
processes = 32
output_kb = 1024
disk_mb = 64

[autograde]
workers = 2
"""


def benign_limits() -> Any:
    """The sandbox limits for judging benign notebooks (releases, solutions, validity cases):
    generous enough for a busy machine, where another test runs beside this one (the golden
    class tests the tight ``TEST_TOML`` limits against hostile samples)."""
    import tomllib

    from mlip_autograder._config import Limits

    sandbox = tomllib.loads(TEST_TOML)["sandbox"]
    sandbox.update(wall_seconds=900, cell_seconds=120, call_seconds=30, cpu_seconds=900)
    return Limits(**sandbox)


#: The golden course's secret seed. Fixed, so each sample's hidden-check score is the same in
#: every run: a random one made a sample's partial credit depend on the draw (the partial sample
#: earned nothing on some secrets, a fraction on most).
GOLDEN_SECRET = "0123456789abcdef0123456789abcdef"


def sample_names() -> list[str]:
    return sorted(path.stem for path in SAMPLES.glob("*.json"))


def load_sample(name: str) -> dict[str, Any]:
    path = SAMPLES / f"{name}.json"
    if not path.exists():
        path = NEIGHBOURS / f"{name}.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def reference_code(source: dict[str, Any]) -> dict[str, str]:
    """grade_id -> solution code of the source notebook, without the solution markers."""
    code = {}
    for cell in source["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and cell["cell_type"] == "code":
            text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            lines = [
                line
                for line in text.splitlines(keepends=True)
                if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")
            ]
            code[str(meta["grade_id"])] = "".join(lines)
    return code


def build_submission(
    name: str, release: dict[str, Any], source: dict[str, Any], course: Path
) -> dict[str, Any]:
    """The notebook a student would hand in for sample ``name``."""
    sample = load_sample(name)
    reference = reference_code(source)
    notebook = json.loads(json.dumps(release))
    for cell in notebook["cells"]:
        grade_id = str(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", ""))
        if grade_id in sample["cells"]:
            text = sample["cells"][grade_id]
            text = text.replace("{reference}", reference.get(grade_id, ""))
            cell["source"] = text.replace("{course}", str(course))
    notebook["cells"] = _rearranged(notebook["cells"], sample)
    return notebook


def _grade_id(cell: dict[str, Any]) -> str:
    return str(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", ""))


def _rearranged(cells: list[dict[str, Any]], sample: dict[str, Any]) -> list[dict[str, Any]]:
    """The cells after the sample's tampering: duplicated, deleted, moved, added."""
    result: list[dict[str, Any]] = []
    for cell in cells:
        if _grade_id(cell) in sample.get("delete", []):
            continue
        result.append(cell)
        if _grade_id(cell) in sample.get("duplicate", []):
            result.append(json.loads(json.dumps(cell)))
    moved = [cell for cell in result if _grade_id(cell) in sample.get("move_to_end", [])]
    result = [cell for cell in result if cell not in moved] + moved
    for extra in sample.get("extra_cells", []):
        result.append({"cell_type": extra["cell_type"], "metadata": {}, "source": extra["source"]})
    return result


def make_course(root: Path, samples: list[str], toml: str = TEST_TOML) -> Any:
    """Init + release + collect ``samples`` in ``root``; returns the Course."""
    from mlip_autograder.collect import collect
    from mlip_autograder.course import Course, init_course, release_assignment

    init_course(directory=root, sources=SOURCES)
    course = Course(root.resolve())
    course.secret_path.write_text(GOLDEN_SECRET + "\n", encoding="utf-8")
    (course.root / "mlip_course.toml").write_text(toml, encoding="utf-8")
    release_assignment(course=course, assignment_id=ASSIGNMENT)
    release = json.loads((course.root / "release" / ASSIGNMENT / "guards.ipynb").read_text())
    source = json.loads((course.source / ASSIGNMENT / "guards.ipynb").read_text())
    inbox = root.parent / f"{root.name}-inbox"
    inbox.mkdir()
    for name in samples:
        notebook = build_submission(name, release, source, course.root)
        (inbox / f"{name}_guards.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    collect(course=course, assignment_id=ASSIGNMENT, source=inbox)
    return course
