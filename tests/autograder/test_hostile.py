"""Hostile students, jailed: the attacks that need more than a golden verdict.

The golden samples (``data/samples``, graded once in ``conftest.graded_class``) carry most of the
hostile corpus with their expected verdicts: forged unit tests (``patch-runner``), tampering
(``duplicate-checks``, ``missing-check``, ``bad-frame``, ``stray-thread``, ``forged-output``,
``call-timeout``), resources (``escape-resources``). This module checks what a verdict cannot
show: inert feedback pages, hidden inputs absent from every student artefact, a CPU hog next to
a reference solution, and a killed ``autograde`` leaving no process behind. The table of
attacks and verdicts is ``docs/security.md``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from autograder_samples import ASSIGNMENT, TEST_TOML, make_course, reference_code


class _Scan(HTMLParser):
    """Everything in a page that a browser could execute or fetch."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.handlers: list[str] = []
        self.urls: list[str] = []
        self.scripts: list[str] = []
        self.csp: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in_script = tag == "script"
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"{name}={value}")
            if name in ("href", "src", "action", "formaction", "xlink:href"):
                self.urls.append(value or "")
        values = dict(attrs)
        if tag == "meta" and values.get("http-equiv") == "Content-Security-Policy":
            self.csp.append(values.get("content") or "")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


@pytest.fixture(scope="module")
def feedback_pages(graded_class: tuple[Any, Any]) -> dict[str, str]:
    from mlip_autograder.course import generate_feedback

    course, _ = graded_class
    feedback = generate_feedback(course=course, assignment_id=ASSIGNMENT)
    return {path.split("/")[-3]: Path(path).read_text(encoding="utf-8") for path in feedback.files}


@pytest.mark.slow
def test_feedback_pages_are_inert(feedback_pages: dict[str, str]) -> None:
    page = feedback_pages["forged-html"]
    assert "pwned-script" in page, "the student's markdown is shown (escaped), not dropped"
    scan = _Scan()
    scan.feed(page)
    assert not [text for text in scan.scripts if "pwned" in text]
    assert not [handler for handler in scan.handlers if "pwned" in handler]
    assert not [url for url in scan.urls if url.strip().lower().startswith("javascript:")]
    assert not {"svg", "iframe", "object", "embed"} & set(scan.tags)
    for name, html in feedback_pages.items():
        scan = _Scan()
        scan.feed(html)
        assert scan.csp and "default-src 'none'" in scan.csp[0], name
        assert "script-src" not in scan.csp[0], name  # no exception for scripts
        assert html.index("Content-Security-Policy") < html.lower().index("<script"), name


@pytest.mark.slow
def test_forged_output_bundle_reaches_no_notebook(graded_class: tuple[Any, Any]) -> None:
    course, _ = graded_class
    path = course.root / "autograded" / "forged-output" / ASSIGNMENT / "guards.ipynb"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    outputs = [output for cell in notebook["cells"] for output in cell.get("outputs", [])]
    assert not [output for output in outputs if set(output.get("data", {})) - {"text/plain"}]


def _first_hidden_call(course: Any) -> tuple[Any, ...]:
    """The first call the hidden check makes to heating_guard, recomputed in the test."""
    from mlip_autograder.hidden import hidden_check

    from mlip.checks import run_check

    source = json.loads((course.source / ASSIGNMENT / "guards.ipynb").read_text())
    namespace: dict[str, Any] = {}
    exec(reference_code(source)["thermal-cutoff"], namespace)
    calls: list[tuple[Any, ...]] = []

    def heating_guard(*args: Any) -> float:
        calls.append(args)
        raise ValueError("recorded")

    check = hidden_check(ASSIGNMENT, "hidden-chaos-seeds", secret=course.secret())
    run_check(
        check, {"heating_guard": heating_guard, "thermal_cutoff": namespace["thermal_cutoff"]}
    )
    return calls[0]


@pytest.mark.slow
def test_hidden_inputs_reach_no_student_artefact(
    graded_class: tuple[Any, Any], feedback_pages: dict[str, str], tmp_path: Path
) -> None:
    """leak-hidden raises with the inputs it has seen; only public ones may ever be shown."""
    from mlip_autograder.grades import grades

    course, report = graded_class
    secret_numbers = set(re.findall(r"\d+\.\d{3,}", repr(_first_hidden_call(course))))
    assert secret_numbers, "the hidden scenario has distinctive inputs"
    grades(course=course, csv=tmp_path / "grades.csv")
    artefacts = {
        "autograded notebook": (
            course.root / "autograded" / "leak-hidden" / ASSIGNMENT / "guards.ipynb"
        ).read_text(encoding="utf-8"),
        "feedback page": feedback_pages["leak-hidden"],
        "grades csv": (tmp_path / "grades.csv").read_text(encoding="utf-8"),
        "autograde report": json.dumps(report.to_dict()),
    }
    assert "LEAK" in artefacts["autograded notebook"]  # the channel works for public inputs
    for where, text in artefacts.items():
        leaked = sorted(number for number in secret_numbers if number in text)
        assert not leaked, f"hidden inputs {leaked} in the {where}"


@pytest.mark.slow
def test_cpu_hog_next_to_reference_keeps_its_full_marks(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from mlip_autograder.autograde import autograde

    root = tmp_path_factory.mktemp("neighbours") / "course"
    toml = TEST_TOML.replace("cell_seconds = 4", "cell_seconds = 10")
    course = make_course(root, ["cpu-hog", "reference"], toml=toml)
    report = autograde(course=course, assignment_id=ASSIGNMENT, workers=2)
    grade = next(grade for grade in report.grades if grade.student == "reference")
    assert (grade.status, grade.score) == ("graded", 8.0), grade.reason


def _descendants(root: int) -> set[int]:
    """``root`` and every process below it, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            parent = int(entry.joinpath("stat").read_text().rpartition(")")[2].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        found.add(pid)
        todo += children.get(pid, [])
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_killed_autograde_leaves_no_process(tmp_path: Path) -> None:
    # long cells keep the workers busy well past the kill
    toml = TEST_TOML.replace("cell_seconds = 4", "cell_seconds = 60")
    course = make_course(tmp_path / "course", ["long-sleep", "infinite-loop"], toml=toml)
    command = [sys.executable, "-m", "mlip", "course", "autograde", ASSIGNMENT, "--workers", "2"]
    parent = subprocess.Popen(
        [*command, "--course", str(course.root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        running: set[int] = set()
        while time.monotonic() < deadline and parent.poll() is None:
            running = _descendants(parent.pid) - {parent.pid}
            commands = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in running if _alive(pid)]
            if sum(b"/sandbox/child.py" in line for line in commands) >= 2:  # both jails
                break
            time.sleep(0.2)
        assert parent.poll() is None, "autograde ended before its sandboxes started"
        running = _descendants(parent.pid) - {parent.pid}
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        time.sleep(5)
        survivors = sorted(pid for pid in running if _alive(pid))
        assert not survivors, [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in survivors]
    finally:
        if parent.poll() is None:
            parent.kill()


def test_affinity_filter_denies_only_sched_setaffinity() -> None:
    import struct

    from mlip_autograder._sandbox import affinity_filter

    assert affinity_filter("riscv64") is None
    for machine, number in (("x86_64", 203), ("aarch64", 122)):
        program = affinity_filter(machine)
        assert program is not None and len(program) % 8 == 0
        instructions = [
            struct.unpack("=HBBI", program[i : i + 8]) for i in range(0, len(program), 8)
        ]
        assert (0x15, 2, 0, number) in instructions  # sched_setaffinity -> EPERM
        assert instructions[-1] == (0x06, 0, 0, 0x00050001) and instructions[-2][3] == 0x7FFF0000


def test_only_our_output_shapes_cross_the_boundary() -> None:
    from mlip_autograder._sandbox import _checked_outputs

    plain = [
        {"output_type": "stream", "name": "stdout", "text": "hi\n"},
        {"output_type": "execute_result", "execution_count": 1, "data": {"text/plain": "1"}},
        {"output_type": "error", "ename": "ValueError", "evalue": "x", "traceback": ["x"]},
    ]
    assert _checked_outputs(plain) is not None
    forged = [
        [{"output_type": "display_data", "data": {"text/html": "<script>1</script>"}}],
        [{"output_type": "execute_result", "data": {"text/plain": "1", "text/html": "<b>"}}],
        [{"output_type": "stream", "name": "stdout", "text": ["not", "a string"]}],
        "not a list",
    ]
    for outputs in forged:
        assert _checked_outputs(outputs) is None


def _one_cell(source: str) -> dict[str, Any]:
    return {"cells": [{"cell_type": "code", "source": source, "metadata": {}, "outputs": []}]}


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs CPU affinity")
def test_a_timeout_while_starved_is_not_final() -> None:
    """Three busy neighbours on the jail's CPU: its timeout is marked starved (re-run alone);
    a cell that sleeps through its limit is a final timeout, however busy the machine."""
    from mlip_autograder._config import Limits
    from mlip_autograder._sandbox import SandboxedNotebook, detect_isolation

    limits = Limits(cell_seconds=2, wall_seconds=60)
    before = os.sched_getaffinity(0)
    cpu = min(before)
    hogs = [
        subprocess.Popen(
            [sys.executable, "-c", "while True: pass"],
            preexec_fn=lambda: os.sched_setaffinity(0, {cpu}),
        )
        for _ in range(3)
    ]
    try:
        os.sched_setaffinity(0, {cpu})  # the jail inherits this CPU
        with SandboxedNotebook(
            _one_cell("while True:\n    pass"), limits, detect_isolation()
        ) as crowded:
            crowded.start()
    finally:
        os.sched_setaffinity(0, before)
        for hog in hogs:
            hog.kill()
            hog.wait()
    assert "CellTimeout" in json.dumps(crowded.outputs) and crowded.starved
    with SandboxedNotebook(
        _one_cell("import time\ntime.sleep(60)"), limits, detect_isolation()
    ) as alone:
        alone.start()
    assert "CellTimeout" in json.dumps(alone.outputs) and not alone.starved
