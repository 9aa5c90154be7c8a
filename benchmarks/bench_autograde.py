"""Benchmark: ``mlip course autograde --workers 2`` against plain nbgrader on the same class.

A class of N guards-toaster submissions (the reference solution, each with its own comment so
no two notebooks share a judge result) is graded twice:

- **ours**: sandboxed notebook runs + trusted judge (public and hidden checks), 2 workers;
- **naive**: plain ``nbgrader autograde`` in a second course without our preprocessor, so every
  notebook runs in a Jupyter kernel and every check, public and hidden, runs inside the
  student's kernel (its hidden-check cells are rewritten to run the hidden family in place).

Prints the wall time per submission of each and the ratio naive/ours (>= 1.5 is the target).

    python benchmarks/bench_autograde.py --n 100
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

ASSIGNMENT = "guards-toaster"


def _class(n: int, release: dict, source: dict) -> list[tuple[str, dict]]:
    from mlip_autograder.demo import make_submission

    notebooks = []
    for number in range(n):
        notebook = make_submission("reference", release, source)
        for cell in notebook["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("solution") and cell["cell_type"] == "code":
                cell["source"] = f"# submission {number}\n" + cell["source"]
        notebooks.append((f"student{number:03d}", notebook))
    return notebooks


_IN_KERNEL = """from mlip.checks import run_check as _run_check
from mlip_autograder.hidden import hidden_check as _hidden_check
_result = _run_check(_hidden_check({assignment!r}, {check!r}, secret={secret!r}),
                     {{"heating_guard": heating_guard, "thermal_cutoff": thermal_cutoff}})
print(_result.message)
_result.points * {points} / _result.max_points
"""


def _hidden_checks_in_kernel(path: Path, secret: str) -> None:
    """The naive way to grade hidden checks: run their code in the student's own kernel."""
    import re

    notebook = json.loads(path.read_text())
    for cell in notebook["cells"]:
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        match = re.search(r'hidden_check\("([\w-]+)", "([\w-]+)"\)', text)
        if match:
            points = cell["metadata"]["nbgrader"]["points"]
            cell["source"] = _IN_KERNEL.format(
                assignment=match.group(1), check=match.group(2), secret=secret, points=points
            )
    path.write_text(json.dumps(notebook))


def _course(root: Path, notebooks: list[tuple[str, dict]], *, ours: bool, secret: str) -> Any:
    from mlip_autograder.collect import collect
    from mlip_autograder.course import Course, init_course, release_assignment

    init_course(directory=root, assignments=(ASSIGNMENT,))
    course = Course(root.resolve())
    # one secret for both courses: the hidden scenarios (their number and size) are the same
    course.secret_path.write_text(secret + "\n", encoding="utf-8")
    if not ours:  # plain nbgrader: the default Execute preprocessor, checks run in the kernel
        config = course.root / "nbgrader_config.py"
        config.write_text(config.read_text().replace("register(c)", "pass"))
        _hidden_checks_in_kernel(course.source / ASSIGNMENT / "guards.ipynb", course.secret())
    release_assignment(course=course, assignment_id=ASSIGNMENT)
    inbox = root.parent / f"{root.name}-inbox"
    inbox.mkdir()
    for student, notebook in notebooks:
        (inbox / f"{student}_guards.ipynb").write_text(json.dumps(notebook))
    collect(course=course, assignment_id=ASSIGNMENT, source=inbox)
    return course


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="class size (default 100)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--secret", default="", help="course secret (default: a random one)")
    args = parser.parse_args()

    from mlip_autograder.autograde import _gradebook_score, autograde
    from mlip_autograder.course import default_sources

    work = Path(tempfile.mkdtemp(prefix="mlip-bench-"))
    try:
        source = json.loads((default_sources() / ASSIGNMENT / "guards.ipynb").read_text())
        secret = args.secret or secrets.token_hex(16)
        probe = _course(work / "probe", [], ours=True, secret=secret)
        release = json.loads((probe.root / "release" / ASSIGNMENT / "guards.ipynb").read_text())
        notebooks = _class(args.n, release, source)

        ours = _course(work / "ours", notebooks, ours=True, secret=secret)
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            report = autograde(course=ours, assignment_id=ASSIGNMENT, workers=args.workers)
        ours_seconds = time.perf_counter() - started
        statuses = sorted({grade.status for grade in report.grades})
        scores = sorted({grade.score for grade in report.grades})

        naive = _course(work / "naive", notebooks, ours=False, secret=secret)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT],
            cwd=naive.root,
            check=False,
            capture_output=True,
        )
        naive_seconds = time.perf_counter() - started
        naive_scores = sorted(
            {_gradebook_score(naive, ASSIGNMENT, student)[0] for student, _ in notebooks}
        )

        print(
            f"class: {args.n} guards-toaster submissions; isolation: {report.isolation}; "
            f"secret {secret}"
        )
        print(
            f"ours  (mlip course autograde --workers {args.workers}): {ours_seconds:8.1f} s "
            f"= {ours_seconds / args.n:6.2f} s/submission  (statuses {statuses}, "
            f"scores {scores})"
        )
        print(
            f"naive (nbgrader autograde, checks in the kernel): {naive_seconds:8.1f} s "
            f"= {naive_seconds / args.n:6.2f} s/submission  (scores {naive_scores})"
        )
        print(f"ratio naive/ours: {naive_seconds / ours_seconds:.2f} (target >= 1.5)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
