"""From wheels, outside the checkout: the README's install blocks, run exactly as written.

Builds both wheels, makes a fresh virtual environment in a temporary folder (the README's
preface), and runs the "For students" and "For instructors" blocks of README.md line by line in
one shell, so a README that drifts from what works fails here. The instructor block grades a
three-student class (the reference, a blank notebook, and one with a cell that hunts for the
course's secret seed) in the jail, and the secret must appear in no output, export or feedback.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "guards-toaster"
#: The hostile student's extra cell: look for the seed wherever it might be.
HUNT_THE_SEED = """import glob, os
for pattern in ("../", "../../", "/**/"):
    for path in glob.glob(pattern + "mlip_secret_seed.txt", recursive=True):
        try:
            print("SEED:", open(path).read())
        except OSError as error:
            print("no:", error)
print(os.listdir(".."), os.listdir("/"))
"""


def readme_block(heading: str) -> list[str]:
    """The command lines of the first ```bash block under ``## heading`` in README.md."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def _find_links(dist: Path) -> str:
    """Our wheels first, then whatever local wheel folders pip is already configured with."""
    configured = os.environ.get("PIP_FIND_LINKS")
    if configured is None:
        asked = subprocess.run(
            [sys.executable, "-m", "pip", "config", "get", "global.find-links"],
            capture_output=True,
            text=True,
        )
        configured = asked.stdout.strip() if asked.returncode == 0 else ""
    return " ".join(part for part in (str(dist), configured) if part)


def _class_export(path: Path) -> None:
    """A Canvas-style bulk download: the reference, a blank copy and a seed hunter."""
    sys.path.insert(0, str(ROOT / "tests" / "autograder"))
    from autograder_samples import reference_code

    release = json.loads(
        (ROOT / "mlip" / "assignments" / "release" / ASSIGNMENT / "guards.ipynb").read_text()
    )
    source = json.loads((ROOT / "assignments" / ASSIGNMENT / "guards.ipynb").read_text())
    solutions = reference_code(source)
    reference = json.loads(json.dumps(release))
    for cell in reference["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            cell["source"] = solutions[grade_id]
    hostile = json.loads(json.dumps(release))
    hostile["cells"].append(
        {
            "cell_type": "code",
            "metadata": {},
            "source": HUNT_THE_SEED,
            "outputs": [],
            "execution_count": None,
        }
    )
    with zipfile.ZipFile(path, "w") as archive:
        for entry, notebook in (
            ("doealice_1001_50001_guards.ipynb", reference),
            ("roebob_1002_50002_guards.ipynb", release),
            ("evilmallory_1003_50003_guards.ipynb", hostile),
        ):
            archive.writestr(entry, json.dumps(notebook))


_LAB = """_lab() {
  ( "$@" > lab.log 2>&1 & echo $! > lab.pid )
  for _ in $(seq 240); do
    if grep -Eq "http://(127\\.0\\.0\\.1|localhost):[0-9]+/lab" lab.log; then
      kill "$(cat lab.pid)"; return 0
    fi
    sleep 0.5
  done
  kill "$(cat lab.pid)"; cat lab.log; return 1
}
"""


def _run_block(lines: list[str], cwd: Path, env: dict[str, str]) -> tuple[list[int], str]:
    """Run ``lines`` in one bash, in order; each line's exit code and the whole transcript.

    ``jupyter lab`` starts the server for real and stops it once it serves the lab page.
    """
    script = [_LAB]
    for number, line in enumerate(lines):
        command = f"_lab {line}" if line.split("#")[0].split() == ["jupyter", "lab"] else line
        script += [command, f'echo "::rc {number} $?"']
    done = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    transcript = done.stdout + done.stderr
    codes = [int(code) for code in re.findall(r"^::rc \d+ (\d+)$", done.stdout, re.M)]
    assert len(codes) == len(lines), transcript[-4000:]
    return codes, transcript


@pytest.fixture(scope="session")
def installed(
    tmp_path_factory: pytest.TempPathFactory, built_wheels: dict[str, Path]
) -> dict[str, Any]:
    """A fresh venv outside the checkout, both README blocks run in it with our wheels."""
    scratch = tmp_path_factory.mktemp("install")
    wheels = sorted(built_wheels.values())
    dist = wheels[0].parent
    venv = scratch / "venv"
    base_python = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base_python, "-m", "venv", str(venv)], check=True)
    work = scratch / "work"
    work.mkdir()
    # CI runs as root, where Jupyter wants --allow-root; a config file says so, not the command.
    jupyter_config = scratch / "jupyter-config"
    jupyter_config.mkdir()
    (jupyter_config / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"allow_root": True, "open_browser": False}})
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("VIRTUAL_ENV", "PYTHON", "MLIP_"))
    }
    env.update(
        VIRTUAL_ENV=str(venv),  # what `. venv/bin/activate` does
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        PIP_FIND_LINKS=_find_links(dist),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        JUPYTER_CONFIG_DIR=str(jupyter_config),
    )
    students = readme_block("For students")
    student_codes, student_log = _run_block(students, work, env)
    _class_export(work / "submissions.zip")
    instructors = readme_block("For instructors")
    instructor_codes, instructor_log = _run_block(instructors, work, env)
    course = work / "my-course"
    grades = subprocess.run(
        ["mlip", "course", "grades", "--json"],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    where = subprocess.run(
        [
            "python",
            "-c",
            "import mlip, mlip_autograder; print(mlip.__file__, mlip_autograder.__file__)",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    return {
        "wheels": wheels,
        "venv": venv,
        "work": work,
        "course": course,
        "students": (students, student_codes, student_log),
        "instructors": (instructors, instructor_codes, instructor_log),
        "grades": grades,
        "where": where.stdout,
    }


@pytest.mark.slow
def test_wheels_install_outside_the_checkout(installed: dict[str, Any]) -> None:
    names = sorted(path.name.split("-")[0] for path in installed["wheels"])
    assert names == ["mlip_autograder", "mlip_kit"]
    for path in installed["where"].split():
        assert Path(path).is_relative_to(installed["venv"]), path
        assert not Path(path).is_relative_to(ROOT), path
    (autograder_wheel,) = [p for p in installed["wheels"] if p.name.startswith("mlip_autograder")]
    with zipfile.ZipFile(autograder_wheel) as archive:
        sources = [n for n in archive.namelist() if n.startswith("mlip_autograder/sources/")]
    kit = sorted(p.parent.name for p in (ROOT / "assignments").glob("*/*.ipynb"))
    assert sorted(name.split("/")[2] for name in sources) == kit


@pytest.mark.slow
def test_student_block_works_as_written(installed: dict[str, Any]) -> None:
    lines, codes, log = installed["students"]
    for line, code in zip(lines, codes, strict=True):
        expected = 1 if line.split("#")[0].split() == ["mlip", "check"] else 0  # blank: fails
        assert code == expected, f"{line!r} exited {code}\n{log[-4000:]}"
    project = installed["work"] / ASSIGNMENT
    assert (project / "guards.ipynb").exists()
    assert list(project.glob("*.zip")), "mlip submit wrote no zip"


@pytest.mark.slow
def test_instructor_block_grades_a_class_in_the_jail(installed: dict[str, Any]) -> None:
    lines, codes, log = installed["instructors"]
    for line, code in zip(lines, codes, strict=True):
        assert code == 0, f"{line!r} exited {code}\n{log[-4000:]}"
    assert "bubblewrap" in log and "graded without isolation" not in log
    report = json.loads(installed["grades"].stdout)
    scores = {row["student"]: row for row in report["grades"]}
    assert len(scores) == 3, scores

    def score(*ids: str) -> float:
        (row,) = [scores[i] for i in ids if i in scores]
        return float(row["score"])

    reference = score("doealice", "1001")
    blank = score("roebob", "1002")
    hunter = score("evilmallory", "1003")
    maximum = max(float(row["max_score"]) for row in scores.values())
    assert reference >= maximum - 2  # only the hand-graded reflection is left
    assert blank == 0 and hunter == 0
    assert not report["graded_without_isolation"]


@pytest.mark.slow
def test_the_secret_appears_nowhere_a_person_reads(installed: dict[str, Any]) -> None:
    course = installed["course"]
    secret = (course / "mlip_secret_seed.txt").read_text().strip()
    assert len(secret) >= 16
    texts = {
        "student transcript": installed["students"][2],
        "instructor transcript": installed["instructors"][2],
        "grades --json": installed["grades"].stdout + installed["grades"].stderr,
    }
    for folder in ("feedback", "autograded"):
        for path in (course / folder).rglob("*"):
            if path.is_file():
                texts[str(path.relative_to(course))] = path.read_text(errors="ignore")
    for path in course.glob("*.csv"):
        texts[path.name] = path.read_text()
    assert any(name.startswith("feedback/") for name in texts), sorted(texts)
    leaks = [name for name, text in texts.items() if secret in text]
    assert not leaks, leaks
