"""``mlip course`` commands through the real CLI: errors are one line with exit 2; a killed
autograde run resumes without losing or half-writing anything."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from autograder_samples import ASSIGNMENT, SOURCES, make_course


def _mlip(*args: str) -> Any:
    from mlip.cli import main

    return main(list(args))


def test_init_refuses_to_clobber(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "notes.txt").write_text("mine")
    assert _mlip("course", "init", str(tmp_path / "course"), "--sources", str(SOURCES)) == 2
    error = capsys.readouterr().err
    assert "refusing to overwrite" in error and "Traceback" not in error
    assert (tmp_path / "course" / "notes.txt").read_text() == "mine"


def test_init_writes_course_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "c"
    assert _mlip("course", "init", str(root), "--sources", str(SOURCES), "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["assignments"] == [ASSIGNMENT]
    assert "mlip_secret_seed.txt" in (root / ".gitignore").read_text()
    assert oct((root / "mlip_secret_seed.txt").stat().st_mode)[-3:] == "600"
    assert "register(c)" in (root / "nbgrader_config.py").read_text()
    assert (root / "gradebook.db").exists()


def test_commands_outside_a_course_say_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _mlip("course", "autograde", ASSIGNMENT) == 2
    assert "not inside an mlip course" in capsys.readouterr().err


def test_doctor_reports_isolation(capsys: pytest.CaptureFixture[str]) -> None:
    assert _mlip("course", "doctor", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["isolation"]["kind"] in ("bubblewrap", "process")
    if report["isolation"]["kind"] == "bubblewrap":
        assert report["probe"]["network"].startswith("blocked")
        assert report["probe"]["system"] == "read-only"
        assert report["probe"]["judge_visible"] is False
    assert report["versions"]["nbgrader"].startswith("0.9")
    if hasattr(os, "sched_getaffinity"):  # the default course settings pin workers
        assert report["cpus"].startswith("each worker and its sandbox share one CPU")


@pytest.mark.slow
def test_killed_run_resumes_without_losing_grades(tmp_path: Path) -> None:
    samples = ["blank", "os-exit", "segfault", "memory-hog", "always-equal"]
    course = make_course(tmp_path / "course", samples)
    command = [
        sys.executable,
        "-m",
        "mlip",
        "course",
        "autograde",
        ASSIGNMENT,
        "--workers",
        "1",
        "--course",
        str(course.root),
        "--json",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    done = course.root / ".mlip" / "done" / ASSIGNMENT
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(done.glob("*.json"))) < 2:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    finished = sorted(path.stem for path in done.glob("*.json"))
    assert finished, "no submission finished before the kill"
    for path in (course.root / ".mlip").rglob("*.json"):
        json.loads(path.read_text())  # every record is whole
    before = {name: json.loads((done / f"{name}.json").read_text()) for name in finished}
    from mlip_autograder.autograde import autograde

    report = autograde(course=course, assignment_id=ASSIGNMENT, workers=2)
    grades = {grade.student: grade for grade in report.grades}
    assert set(grades) == set(samples)
    for name in finished:
        assert grades[name].skipped and grades[name].score == before[name]["score"]
    assert not list((course.root / ".mlip").rglob(".*.json.*"))
