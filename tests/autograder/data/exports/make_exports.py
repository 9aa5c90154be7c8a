"""Write the golden LMS exports (folder trees; the tests also zip them). Run from the repo root:

    .venv/bin/python tests/autograder/data/exports/make_exports.py

A six-student class hands in ``guards-toaster`` through each LMS. The notebooks are tiny: cells
carry the nbgrader ids of the test course's ``guards-toaster`` (or, for the wrong-assignment case,
of the kit's ``requirements-tax``) and ``metadata.golden`` says whose copy it is. Names follow
each LMS's documented export naming (see docs/lms/).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

HERE = Path(__file__).parent
GUARDS = [
    "intro",
    "setup",
    "heating-guard",
    "test-heating-guard",
    "thermal-cutoff",
    "test-thermal-cutoff",
    "check-keeps-good-toast",
    "check-hidden-chaos-seeds",
]
REQUIREMENTS = [
    "intro",
    "setup",
    "telemetry-intro",
    "telemetry",
    "task-goals",
    "goals",
    "test-goals",
    "task-requirements",
    "requirements",
    "test-requirements",
]


def notebook(owner: str, ids: list[str]) -> str:
    cells: list[dict[str, object]] = [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": grade_id,
            "outputs": [],
            "metadata": {
                "nbgrader": {
                    "grade_id": grade_id,
                    "solution": True,
                    "grade": False,
                    "locked": False,
                    "schema_version": 3,
                }
            },
            "source": "",
        }
        for grade_id in ids
    ]
    data = {"cells": cells, "metadata": {"golden": owner}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(data, indent=1) + "\n"


def write(root: Path, files: dict[str, str]) -> None:
    if root.exists():
        shutil.rmtree(root)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def guards(owner: str) -> str:
    return notebook(owner, GUARDS)


def receipt(name: str, user: str, date: str, stamp: str, file: str) -> str:
    return (
        f"Name: {name} ({user})\nAssignment: Guards\nDate Submitted: {date}\n"
        "Current Grade: Needs Grading\n\nSubmission Field:\nThere is no student submission text "
        "data for this assignment.\n\nComments:\nThere are no student comments for this "
        f"assignment.\n\nFiles:\n\tOriginal filename: {file}\n"
        f"\tFilename: Guards_{user}_attempt_{stamp}_{file}\n"
    )


def main() -> None:
    wrong = notebook("dana", REQUIREMENTS)
    write(
        HERE / "canvas",
        {
            "doealice_11111_900001_guards.ipynb": guards("alice"),
            "smithjohn_22222_900002_guards.ipynb": guards("john-22222"),
            "smithjohn_33333_900003_guards.ipynb": guards("john-33333"),
            "kimerin_44444_900004_guards-1.ipynb": guards("erin"),
            "leebob_LATE_55555_900005_guards.ipynb": guards("bob"),
            "wudana_66666_900006_requirements.ipynb": wrong,
        },
    )
    write(
        HERE / "moodle",
        {
            "Alice Doe_100001_assignsubmission_file_/guards.ipynb": guards("alice"),
            "John Smith_100002_assignsubmission_file_/guards.ipynb": guards("john-100002"),
            "John Smith_100003_assignsubmission_file_/guards.ipynb": guards("john-100003"),
            "Erin Kim_100004_assignsubmission_file_/guards.ipynb": guards("erin"),
            "Erin Kim_100004_assignsubmission_file_/notes.txt": "my notes\n",
            "Bob Lee_100005_assignsubmission_onlinetext_/onlinetext.html": "<p>see file</p>\n",
            "Bob Lee_100005_assignsubmission_file_/guards.ipynb": guards("bob"),
            "Dana Wu_100006_assignsubmission_file_/requirements.ipynb": wrong,
        },
    )
    metadata = """submission_90001:
  :submitters:
  - :name: Alice Doe
    :sid: '1001'
    :email: alice@uni.example
  :created_at: 2026-01-05 10:00:00.123456000 -05:00
  :score: 0.0
  :status: processed
submission_90002:
  :submitters:
  - :name: John Smith
    :sid: '1002'
    :email: john.smith@uni.example
  :created_at: 2026-01-05 11:00:00.000000000 -05:00
submission_90003:
  :submitters:
  - :name: John Smith
    :sid: '1003'
    :email: jsmith@uni.example
  :created_at: 2026-01-05 11:30:00.000000000 -05:00
submission_90004:
  :submitters:
  - :name: Erin Kim
    :sid: ''
    :email: erin@uni.example
  :created_at: 2026-01-06 09:00:00.000000000 -05:00
submission_90005:
  :submitters:
  - :name: Bob Lee
    :sid: '1005'
    :email: bob@uni.example
  - :name: Carol Ng
    :sid: '1007'
    :email: carol@uni.example
  :created_at: 2026-01-07 23:59:00.000000000 -05:00
submission_90006:
  :submitters:
  - :name: Dana Wu
    :sid: '1006'
    :email: dana@uni.example
  :created_at: 2026-01-05 08:00:00.000000000 -05:00
"""
    write(
        HERE / "gradescope",
        {
            "submission_metadata.yml": metadata,
            "submission_90001/guards.ipynb": guards("alice"),
            "submission_90002/guards.ipynb": guards("john-1002"),
            "submission_90003/guards.ipynb": guards("john-1003"),
            "submission_90004/guards.ipynb": guards("erin"),
            "submission_90005/guards.ipynb": guards("bob-carol"),
            "submission_90006/requirements.ipynb": wrong,
        },
    )
    attempts = [
        ("Alice Doe", "alice", "2026-01-05-10-00-00", "guards.ipynb", guards("alice")),
        ("John Smith", "jsmith1", "2026-01-05-11-00-00", "guards.ipynb", guards("john-jsmith1")),
        ("John Smith", "jsmith2", "2026-01-05-11-30-00", "guards.ipynb", guards("john-jsmith2")),
        ("Erin Kim", "ekim", "2026-01-04-09-00-00", "guards.ipynb", guards("erin-first")),
        ("Erin Kim", "ekim", "2026-01-06-09-00-00", "guards.ipynb", guards("erin")),
        ("Bob Lee", "blee", "2026-01-07-23-59-00", "guards.ipynb", guards("bob")),
        ("Dana Wu", "dwu", "2026-01-05-08-00-00", "requirements.ipynb", wrong),
    ]
    files = {}
    for name, user, stamp, file, text in attempts:
        files[f"Guards_{user}_attempt_{stamp}_{file}"] = text
        files[f"Guards_{user}_attempt_{stamp}.txt"] = receipt(
            name, user, f"{stamp} (server time)", stamp, file
        )
    write(HERE / "blackboard", files)
    write(
        HERE / "folder",
        {
            "alice/guards-toaster/guards.ipynb": guards("alice"),
            "bob/guards.ipynb": guards("bob"),
            "carol_guards.ipynb": guards("carol"),
            "dana/guards-toaster/requirements.ipynb": wrong,
            "erin/guards-toaster/guards.ipynb": guards("erin"),
            "erin/guards-toaster/scratch.txt": "notes\n",
            "frank/guards-toaster/README.md": "forgot the notebook\n",
        },
    )


if __name__ == "__main__":
    main()
