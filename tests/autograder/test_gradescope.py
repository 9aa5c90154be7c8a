"""Golden test of the Gradescope route: build the autograder zip with the CLI, unpack it into a
simulated ``/autograder`` tree under a temporary root, run its ``run_autograder`` (setup.sh is
not run: this machine already has the kit installed) and check ``results.json``."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from autograder_samples import ASSIGNMENT, SOURCES, TEST_TOML, build_submission

#: Due a day and a half before the submission: two started days at 10% per day.
LATE_TOML = f"""
[late]
penalty = "per-day"
percent_per_day = 10

[assignments.{ASSIGNMENT}]
due = 2026-12-01T12:00:00Z
"""
SUBMITTED_AT = "2026-12-03T00:00:00.000000-00:00"


def _mlip(*args: str) -> Any:
    from mlip.cli import main

    return main(list(args))


@pytest.fixture(scope="module")
def gradescope_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], Any]:
    """A course, its autograder zip, and one run of ``run_autograder`` on the partial sample."""
    from mlip_autograder.course import Course, init_course, release_assignment

    base = tmp_path_factory.mktemp("gradescope")
    init_course(directory=base / "course", sources=SOURCES)
    course = Course((base / "course").resolve())
    (course.root / "mlip_course.toml").write_text(TEST_TOML + LATE_TOML, encoding="utf-8")
    release_assignment(course=course, assignment_id=ASSIGNMENT)
    wheels = base / "wheels"
    wheels.mkdir()
    (wheels / "mlip_kit-0-py3-none-any.whl").write_bytes(b"stand-in")
    output = base / "autograder.zip"
    code = _mlip(
        "course", "gradescope", ASSIGNMENT, "-o", str(output), "--wheels", str(wheels),
        "--course", str(course.root), "--json",
    )  # fmt: skip
    assert code == 0
    root = base / "root"
    with zipfile.ZipFile(output) as archive:
        archive.extractall(root / "autograder" / "source")
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    release = json.loads((course.root / "release" / ASSIGNMENT / "guards.ipynb").read_text())
    source = json.loads((course.source / ASSIGNMENT / "guards.ipynb").read_text())
    submission = root / "autograder" / "submission"
    submission.mkdir(parents=True)
    notebook = build_submission("partial", release, source, course.root)
    (submission / "guards.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    (root / "autograder" / "submission_metadata.json").write_text(
        json.dumps({"created_at": SUBMITTED_AT, "id": 1}), encoding="utf-8"
    )
    script = root / "autograder" / "source" / "run_autograder"
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    done = subprocess.run(
        [str(script)],
        cwd=root / "autograder" / "source",
        env={**os.environ, "MLIP_GRADESCOPE_ROOT": str(root),
             "MLIP_GRADESCOPE_PYTHON": sys.executable},
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((root / "autograder" / "results" / "results.json").read_text())
    return root, results, modes


@pytest.mark.slow
def test_zip_holds_what_gradescope_needs(gradescope_run: tuple[Path, Any, Any]) -> None:
    root, _, modes = gradescope_run
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert f"course/source/{ASSIGNMENT}/guards.ipynb" in modes
    assert "course/mlip_secret_seed.txt" in modes  # instructor-only zip: hidden checks need it
    assert "wheels/mlip_kit-0-py3-none-any.whl" in modes
    setup = (root / "autograder" / "source" / "setup.sh").read_text()
    assert "download.pytorch.org/whl/cpu" in setup and "python3.11" in setup
    assert "/autograder/source/wheels/*.whl" in setup


@pytest.mark.slow
def test_results_json_in_gradescope_format(gradescope_run: tuple[Path, Any, Any]) -> None:
    _, results, _ = gradescope_run
    assert set(results) >= {"score", "execution_time", "tests", "output"}
    assert isinstance(results["execution_time"], int)
    for test in results["tests"]:
        assert set(test) == {"name", "score", "max_score", "status", "visibility", "output"}
        assert test["status"] in ("passed", "failed")
        assert test["visibility"] in ("visible", "after_published")
    graded = [t for t in results["tests"] if t["name"] != "late penalty"]
    names = [test["name"] for test in graded]
    assert names == [
        "test-heating-guard (unit tests)",
        "test-thermal-cutoff (unit tests)",
        "keeps-good-toast (public check)",
        "hidden-chaos-seeds (hidden check)",
    ]
    assert sum(test["max_score"] for test in graded) == 8  # the source's points, no hand grading
    hidden = graded[-1]
    assert hidden["visibility"] == "after_published"
    assert "scenario" not in hidden["output"].replace("its scenarios are not shown", "")
    assert "{" not in hidden["output"]  # no scenario inputs
    public = graded[2]
    assert public["visibility"] == "visible" and "keeps-good-toast" in public["output"]
    # the partial sample's thermal cutoff never fires: its unit tests fail
    assert graded[1]["score"] == 0 and graded[1]["status"] == "failed"


@pytest.mark.slow
def test_late_policy_applies_on_gradescope(gradescope_run: tuple[Path, Any, Any]) -> None:
    _, results, _ = gradescope_run
    earned = sum(t["score"] for t in results["tests"] if t["name"] != "late penalty")
    penalty = next(t for t in results["tests"] if t["name"] == "late penalty")
    assert penalty["score"] == pytest.approx(-round(0.2 * earned, 2))
    assert results["score"] == pytest.approx(round(earned * 0.8, 2), abs=0.011)
    assert "Late submission" in results["output"]
