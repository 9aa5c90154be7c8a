"""The worked example: a course adds a fourth system and an assignment on it, no kit change.

``examples/mlip-coffee`` (student side: the coffee machine, the guards-coffee checks and release
notebook) and ``examples/mlip-coffee-grading`` (instructor side: the hidden family and the
nbgrader source with its solution) are pip-installed for real into a folder once per session;
every command then runs as a course would run it, in a process with that folder on PYTHONPATH.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
ASSIGNMENT = "guards-coffee"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def coffee_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both example packages installed (no dependencies: the kit is already here)."""
    target = tmp_path_factory.mktemp("coffee-site")
    copies = tmp_path_factory.mktemp("coffee-src")  # pip builds in the tree: not in ours
    for name in ("mlip-coffee", "mlip-coffee-grading"):
        shutil.copytree(
            EXAMPLES / name,
            copies / name,
            ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"),
        )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(copies / "mlip-coffee"),
            str(copies / "mlip-coffee-grading"),
        ],
        check=True,
        capture_output=True,
    )
    return target


def _env(path: Path) -> dict[str, str]:
    scripts = str(Path(sys.executable).parent)
    return {**os.environ, "PYTHONPATH": str(path), "PATH": f"{scripts}:{os.environ['PATH']}"}


def mlip(path: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlip", *args],
        capture_output=True,
        text=True,
        env=_env(path),
        cwd=cwd,
    )


def python(path: Path, code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(path), cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def solved(notebook: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    """``notebook`` with the source's solution (markers removed) in each solution cell."""
    answers = {}
    for cell in source["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution") and cell["cell_type"] == "code":
            text = "".join(cell["source"])
            lines = [line for line in text.splitlines() if "### " not in line]
            answers[meta["grade_id"]] = "\n".join(lines)
    copy = json.loads(json.dumps(notebook))
    for cell in copy["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell["source"] = answers[grade_id]
    return copy


def source_notebook() -> dict[str, Any]:
    path = EXAMPLES / "mlip-coffee-grading" / "mlip_coffee_grading" / "sources" / ASSIGNMENT
    data: dict[str, Any] = json.loads((path / "guards.ipynb").read_text(encoding="utf-8"))
    return data


def test_the_coffee_machine_passes_the_conformance_suite(coffee_path: Path) -> None:
    out = python(
        coffee_path,
        "from mlip.systems import get_system\n"
        "from mlip.systems.conformance import system_checks\n"
        "system = get_system('coffee')\n"
        "for name, check in system_checks(system):\n"
        "    check(system); print(name)\n",
    )
    from mlip.systems.conformance import CHECKS

    assert len(out.split()) == len(CHECKS)  # every check of the suite ran and passed


def test_systems_and_assignments_list_it(coffee_path: Path, tmp_path: Path) -> None:
    systems = mlip(coffee_path, "systems", "list", "--json", cwd=tmp_path)
    assert systems.returncode == 0, systems.stderr
    assert "coffee" in systems.stdout
    listed = mlip(coffee_path, "assignments", "list", "--json", cwd=tmp_path)
    assert listed.returncode == 0 and not listed.stderr, listed.stderr
    entry = {a["id"]: a for a in json.loads(listed.stdout)["assignments"]}[ASSIGNMENT]
    assert entry["points"] == 9
    assert entry["public_checks"] == ["no-boil-over-under-chaos", "keeps-good-coffee"]
    assert entry["hidden_checks"] == ["hidden-chaos-seeds"]


def test_names_and_points_agree_everywhere(coffee_path: Path) -> None:
    out = python(
        coffee_path,
        f"import sys; sys.path.insert(0, {str(ROOT / 'tests' / 'assignments')!r})\n"
        "from points_agreement import disagreements\n"
        f"print(disagreements({ASSIGNMENT!r}))",
    )
    assert out.strip() == "[]"


def test_docs_pages_come_from_the_registry(coffee_path: Path) -> None:
    out = python(
        coffee_path,
        f"import sys; sys.path.insert(0, {str(ROOT / 'docs')!r})\n"
        "from mlip_docs.assignment_pages import assignment_index, assignment_page\n"
        "from mlip_docs.system_pages import system_page\n"
        "from mlip.assignments import get_assignment\n"
        f"print(assignment_page(get_assignment({ASSIGNMENT!r})).markdown)\n"
        "print(assignment_index())\n"
        "print(system_page('coffee').markdown)\n",
    )
    assert "Keep the coffee machine from boiling over" in out
    assert "9 = 6 public checks + 2 hidden checks + 1 unit tests" in out
    assert "no-boil-over-under-chaos" in out and "hidden-chaos-seeds" in out
    assert "temperature_guard" in out and "Smart coffee machine" in out


def test_new_then_check_fails_blank_and_passes_solved(coffee_path: Path, tmp_path: Path) -> None:
    created = mlip(coffee_path, "new", "guards", "--system", "coffee", "--dir", "p", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    project = tmp_path / "p"
    blank = mlip(coffee_path, "check", str(project), "--json", cwd=tmp_path)
    assert blank.returncode == 1, blank.stderr
    assert json.loads(blank.stdout)["points"] == 0
    notebook_path = project / "guards.ipynb"
    notebook = json.loads(notebook_path.read_text(encoding="utf-8"))
    notebook_path.write_text(json.dumps(solved(notebook, source_notebook())), encoding="utf-8")
    done = mlip(coffee_path, "check", str(project), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    report = json.loads(done.stdout)
    assert report["points"] == report["max_points"] == 7  # 6 public + 1 unit test


SNOOP = """\
import glob, os
print("SNOOPED", sorted(os.listdir("TARGET")))
for path in glob.glob("TARGET/**/*.ipynb", recursive=True):
    print(open(path).read())
"""

COURSE_TOML = """[sandbox]
wall_seconds = 300
cell_seconds = 60
call_seconds = 10
cpu_seconds = 300
memory_mb = 2048
processes = 32
output_kb = 1024
disk_mb = 64

[autograde]
workers = 1
"""


def test_the_course_autogrades_it_with_the_hidden_check_in_the_jail(
    coffee_path: Path, tmp_path: Path
) -> None:
    course = tmp_path / "course"
    init = mlip(coffee_path, "course", "init", str(course), "--json", cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    assert ASSIGNMENT in json.loads(init.stdout)["assignments"]
    (course / "mlip_course.toml").write_text(COURSE_TOML, encoding="utf-8")
    released = mlip(coffee_path, "course", "release", ASSIGNMENT, "--json", cwd=course)
    assert released.returncode == 0, released.stderr
    assert json.loads(released.stdout)["warnings"] == []
    release = json.loads((course / "release" / ASSIGNMENT / "guards.ipynb").read_text())
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    # the blank submission also looks for the solution where the course installed its packages
    snoop = json.loads(json.dumps(release))
    snoop["cells"].append(
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": SNOOP.replace("TARGET", str(coffee_path)),
        }
    )
    (inbox / "blank_guards.ipynb").write_text(json.dumps(snoop), encoding="utf-8")
    answer = solved(release, source_notebook())
    (inbox / "solved_guards.ipynb").write_text(json.dumps(answer), encoding="utf-8")
    collected = mlip(coffee_path, "course", "collect", ASSIGNMENT, str(inbox), cwd=course)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    graded = mlip(coffee_path, "course", "autograde", ASSIGNMENT, "--json", cwd=course)
    assert graded.returncode == 0, graded.stdout[-2000:] + graded.stderr[-2000:]
    report = json.loads(graded.stdout)
    assert report["isolation"] != "none"
    grades = {grade["student"]: grade for grade in report["grades"]}
    assert (grades["solved"]["status"], grades["solved"]["score"]) == ("graded", 9.0)
    assert (grades["blank"]["status"], grades["blank"]["score"]) == ("graded", 0.0)
    seen = (course / "autograded" / "blank" / ASSIGNMENT / "guards.ipynb").read_text()
    assert "SNOOPED" in seen and "mlip_coffee-0.1.0.dist-info" in seen  # the cell ran
    assert "mlip_coffee_grading" not in seen and "BEGIN SOLUTION" not in seen
    for student, earned in (("solved", 2.0), ("blank", 0.0)):
        stored = course / ".mlip" / "results" / ASSIGNMENT / student / "guards.json"
        checks = json.loads(stored.read_text(encoding="utf-8"))["report"]["checks"]
        hidden = {c["check"]: c["cell_points_earned"] for c in checks if not c["public"]}
        assert hidden == {"hidden-chaos-seeds": earned}
