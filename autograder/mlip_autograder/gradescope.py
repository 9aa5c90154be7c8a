"""Gradescope: an autograder zip that runs our judge and jail inside Gradescope's container.

``mlip course gradescope ID -o autograder.zip`` writes the zip Gradescope's "Configure
Autograder" page takes: ``setup.sh`` (runs once when Gradescope builds the image: Python 3.11,
the CPU build of torch, and the kit's wheels shipped in the zip), ``run_autograder`` (runs for
every submission), the assignment's nbgrader sources, the course's ``mlip_course.toml`` and its
**secret seed** — so the zip is for instructors only: never share it with students.

``run_autograder`` calls :func:`run` (``python -m mlip_autograder.gradescope``): the submitted
notebook in ``/autograder/submission`` is graded exactly as ``mlip course autograde`` grades it
(:func:`mlip_autograder.grading.grade_notebook`: locked cells restored from the source, student
code only in the jail, the judge's verdicts for system checks; ordinary nbgrader homework is
executed in the jail), the course's late policy is applied to the time in
``submission_metadata.json``, and ``/autograder/results/results.json`` gets one test per graded
cell in Gradescope's format. Hidden checks are ``after_published`` and never show a scenario.
``MLIP_GRADESCOPE_ROOT`` moves ``/`` (the tests run against a simulated ``/autograder`` tree).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from mlip.errors import InputError, UsageError
from mlip_autograder._config import COURSE_TOML, SECRET_FILE
from mlip_autograder.course import Course

__all__ = [
    "ROOT_ENV",
    "GradescopeZip",
    "build_autograder_zip",
    "results_for",
    "run",
]

#: Environment variable that moves the container's ``/`` (for tests).
ROOT_ENV = "MLIP_GRADESCOPE_ROOT"
#: Environment variable naming the Python that ``run_autograder`` uses (for tests).
PYTHON_ENV = "MLIP_GRADESCOPE_PYTHON"
#: The only student id inside the container.
_STUDENT = "gradescope"
#: Longest output shown for one test (the student's own error messages).
_MAX_OUTPUT = 4000

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu).
# Written by `mlip course gradescope`.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends python3.11 python3.11-venv
python3.11 -m venv /autograder/venv
/autograder/venv/bin/python -m pip install --upgrade pip
# the CPU build of torch, from PyTorch's own index (the default one is a multi-GB CUDA build)
/autograder/venv/bin/python -m pip install "torch=={torch}" \\
    --index-url https://download.pytorch.org/whl/cpu
/autograder/venv/bin/python -m pip install /autograder/source/wheels/*.whl
/autograder/venv/bin/mlip course doctor --course /autograder/source/course || true
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission: /autograder/submission -> results/results.json.
# Written by `mlip course gradescope`.
set -uo pipefail
PYTHON="${MLIP_GRADESCOPE_PYTHON:-/autograder/venv/bin/python}"
exec "$PYTHON" -m mlip_autograder.gradescope
"""


def _cell_dict(notebook: dict[str, Any], index: int) -> dict[str, Any]:
    cell: dict[str, Any] = notebook["cells"][index]
    return cell


def _truncate(text: str) -> str:
    return text if len(text) <= _MAX_OUTPUT else text[:_MAX_OUTPUT] + "\n... (cut)"


def _outputs_text(outputs: list[dict[str, Any]]) -> str:
    lines = []
    for output in outputs:
        if output.get("output_type") == "stream":
            lines.append(str(output.get("text", "")).rstrip())
        elif output.get("output_type") == "error":
            lines.append(f"{output.get('ename', 'Error')}: {output.get('evalue', '')}")
    return _truncate("\n".join(line for line in lines if line))


def results_for(
    notebook: dict[str, Any], report: Any, *, notebook_name: str, prefix: bool = False
) -> tuple[list[dict[str, Any]], float]:
    """Gradescope tests for one graded notebook, and its hand-graded points (left out).

    ``notebook`` is the submission with locked cells restored; ``report`` the judge's (or the
    jailed execution's) :class:`~mlip_autograder.judge.JudgeReport`. Scores come from nbgrader's
    own ``determine_grade`` on the cells with the report's outputs, as in the gradebook.
    """
    from nbformat import from_dict
    from nbgrader.utils import determine_grade

    from mlip.assignments import cell_kind

    checks = {int(check["cell"]): check for check in report.checks}
    tests: list[dict[str, Any]] = []
    hand_graded = 0.0
    for index, raw in enumerate(notebook.get("cells", [])):
        kind = cell_kind(raw)
        if kind is None:
            continue
        meta = raw.get("metadata", {}).get("nbgrader", {})
        points = float(meta.get("points", 0) or 0)
        grade_id = str(meta.get("grade_id", index))
        name = f"{notebook_name}: {grade_id}" if prefix else grade_id
        if kind == "hand_graded":
            hand_graded += points
            continue
        outputs = list(report.cells.get(index, []))
        cell = from_dict({**raw, "outputs": outputs})
        score, _ = determine_grade(cell)
        # an ungradable submission (not a notebook, missing) earns nothing, outputs or not
        earned = 0.0 if report.status == "invalid" else round(float(score or 0.0), 2)
        check = checks.get(index)
        if kind == "hidden_checks":
            name = f"{check['check'] if check else grade_id} (hidden check)"
            verdict = "passed" if check and check["passed"] else "failed"
            output = f"hidden check {verdict}: its scenarios are not shown"
            if check and not check["passed"] and check.get("hint"):
                output += f"\nhint: {check['hint']}"
            visibility = "after_published"
        elif kind == "public_checks":
            name = f"{check['check'] if check else grade_id} (public check)"
            output = _outputs_text(outputs)
            visibility = "visible"
        else:
            name = f"{name} (unit tests)"
            output = _outputs_text(outputs) or ("passed" if earned >= points else "")
            visibility = "visible"
        tests.append(
            {
                "name": name,
                "score": earned,
                "max_score": points,
                "status": "passed" if earned >= points else "failed",
                "visibility": visibility,
                "output": output,
            }
        )
    return tests, hand_graded


def _find_submitted(submission: Path, name: str, only: bool) -> Path | None:
    """The student's copy of notebook ``name``: at the top, anywhere below, or the only one."""
    if (submission / name).is_file():
        return submission / name
    found = sorted(
        path for path in submission.rglob("*.ipynb") if ".ipynb_checkpoints" not in str(path)
    )
    named = [path for path in found if path.name == name]
    if named:
        return named[0]
    return found[0] if only and len(found) == 1 else None


def _submitted_at(metadata: Path) -> datetime | None:
    try:
        data = json.loads(metadata.read_text(encoding="utf-8"))
        return datetime.fromisoformat(str(data["created_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def run(root: Path | None = None) -> dict[str, Any]:
    """Grade ``ROOT/autograder/submission`` and write ``ROOT/autograder/results/results.json``."""
    import time

    from mlip_autograder._config import late_policy
    from mlip_autograder._notebook import load_notebook, restore_locked_cells
    from mlip_autograder.grading import grade_notebook
    from mlip_autograder.judge import invalid_report
    from mlip_autograder.late import lateness

    started = time.monotonic()
    root = Path(root if root is not None else os.environ.get(ROOT_ENV) or "/")
    base = root / "autograder"
    packed = base / "source"
    settings = json.loads((packed / "mlip_gradescope.json").read_text(encoding="utf-8"))
    assignment = str(settings["assignment"])
    tests: list[dict[str, Any]] = []
    notes: list[str] = []
    hand_graded = 0.0
    with tempfile.TemporaryDirectory(prefix="mlip-gradescope-") as scratch:
        course = Path(scratch) / "course"
        shutil.copytree(packed / "course", course)
        sources = sorted((course / "source" / assignment).glob("*.ipynb"))
        folder = course / "submitted" / _STUDENT / assignment
        folder.mkdir(parents=True)
        isolation = ""
        for source_path in sources:
            source = load_notebook(source_path)
            found = _find_submitted(base / "submission", source_path.name, len(sources) == 1)
            if found is None:
                notes.append(f"{source_path.name} is missing from the submission: scored 0")
                report = invalid_report(f"{source_path.name} not submitted")
                notebook = source
            else:
                shutil.copyfile(found, folder / source_path.name)
                report = grade_notebook(
                    root=course,
                    assignment_id=assignment,
                    student=_STUDENT,
                    notebook_name=source_path.stem,
                )
                try:
                    notebook = restore_locked_cells(load_notebook(found), source)
                except InputError:
                    notebook = source
            isolation = report.isolation or isolation
            if report.status != "graded":
                notes.append(f"{source_path.name}: {report.status}: {report.reason}")
            found_tests, manual = results_for(
                notebook, report, notebook_name=source_path.stem, prefix=len(sources) > 1
            )
            tests += found_tests
            hand_graded += manual
        policy = late_policy(course, assignment)
    earned = round(sum(test["score"] for test in tests), 2)
    late = lateness(policy, _submitted_at(base / "submission_metadata.json"), earned)
    if late.seconds_late > 0:
        notes.append(f"Late submission: {late.note}.")
    if late.penalty:
        tests.append(
            {
                "name": "late penalty",
                "score": -late.penalty,
                "max_score": 0.0,
                "status": "failed",
                "visibility": "visible",
                "output": late.note,
            }
        )
    if isolation == "process":
        from mlip_autograder._sandbox import WITHOUT_ISOLATION

        notes.insert(0, f"This submission was {WITHOUT_ISOLATION}.")
    if hand_graded:
        notes.append(f"{hand_graded:g} point(s) are graded by hand: pending.")
    results = {
        "score": round(max(earned - late.penalty, 0.0), 2),
        "execution_time": round(time.monotonic() - started),
        "output": "\n".join(notes),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    target = base / "results" / "results.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return results


@dataclass(frozen=True)
class GradescopeZip:
    """What ``mlip course gradescope`` wrote."""

    assignment: str
    zip: str
    files: tuple[str, ...]
    wheels: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "assignment": self.assignment,
            "zip": self.zip,
            "files": list(self.files),
            "wheels": list(self.wheels),
            "secret_inside": True,
        }


def _build_wheels(target: Path) -> list[Path]:
    """Wheels of ``mlip-kit`` and ``mlip-autograder`` from the repository this kit runs from."""
    import mlip

    repository = Path(mlip.__file__).resolve().parent.parent
    projects = [repository, repository / "autograder"]
    if not all((project / "pyproject.toml").is_file() for project in projects):
        raise UsageError(
            "cannot find the kit's repository to build wheels from; pass --wheels DIR "
            "with the mlip-kit and mlip-autograder wheels"
        )
    for project in projects:
        done = subprocess.run(
            [
                *(sys.executable, "-m", "build", "--wheel", "--no-isolation"),
                *("--skip-dependency-check", "--outdir", str(target)),
            ],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            lines = (done.stderr + done.stdout).strip().splitlines()
            tail = [line for line in lines if "ERROR" in line or "Error" in line][-1:] or lines[-1:]
            raise UsageError(
                f"building the wheel of {project.name} failed ({' '.join(tail) or 'no output'}); "
                "install `build` or pass --wheels DIR"
            )
    return sorted(target.glob("*.whl"))


def build_autograder_zip(
    *, course: Course, assignment_id: str, output: Path, wheels: Path | None = None
) -> GradescopeZip:
    """Write Gradescope's autograder zip for ``assignment_id`` (see the module docstring)."""
    course.require_assignment(assignment_id)
    secret = course.secret()  # fails with one line when the secret is missing
    with tempfile.TemporaryDirectory(prefix="mlip-wheels-") as scratch:
        if wheels is not None:
            found = sorted(wheels.glob("*.whl"))
            if not found:
                raise UsageError(f"no wheels (*.whl) in {wheels}")
        else:
            found = _build_wheels(Path(scratch))
        output.parent.mkdir(parents=True, exist_ok=True)
        members: list[str] = []
        partial = output.with_name(f".{output.name}.part")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:

            def add(name: str, data: bytes | str, mode: int = 0o644) -> None:
                info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
                info.external_attr = (0o100000 | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data)
                members.append(name)

            add("setup.sh", SETUP_SH.replace("{torch}", _torch_version()), 0o755)
            add("run_autograder", RUN_AUTOGRADER, 0o755)
            add("mlip_gradescope.json", json.dumps({"assignment": assignment_id}, indent=1))
            for path in sorted((course.source / assignment_id).rglob("*")):
                if path.is_file() and ".ipynb_checkpoints" not in path.parts:
                    relative = path.relative_to(course.source / assignment_id).as_posix()
                    add(f"course/source/{assignment_id}/{relative}", path.read_bytes())
            toml = course.root / COURSE_TOML
            add(f"course/{COURSE_TOML}", toml.read_bytes() if toml.exists() else b"")
            add(f"course/{SECRET_FILE}", secret + "\n", 0o600)
            for wheel in found:
                add(f"wheels/{wheel.name}", wheel.read_bytes())
        partial.replace(output)
    return GradescopeZip(
        assignment_id, str(output), tuple(members), tuple(wheel.name for wheel in found)
    )


def _torch_version() -> str:
    """The torch version this machine grades with (the container installs the same)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("torch").split("+")[0]
    except PackageNotFoundError:
        return "2.13.0"


def main() -> None:
    """``python -m mlip_autograder.gradescope``: what ``run_autograder`` starts.

    A failure of ours still writes a results.json (score 0, the reason), so Gradescope shows
    the student something better than an autograder crash.
    """
    try:
        results = run()
    except Exception as error:  # report it in Gradescope's format, then fail loudly
        root = Path(os.environ.get(ROOT_ENV) or "/")
        target = root / "autograder" / "results" / "results.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        reason = f"the autograder failed: {type(error).__name__}: {error}"
        target.write_text(json.dumps({"score": 0, "output": reason, "tests": []}), "utf-8")
        print(reason, file=sys.stderr)
        raise SystemExit(1) from error
    print(f"score {results['score']:g}; results in results.json")


if __name__ == "__main__":
    main()
