"""Late work: one policy (``mlip_course.toml``), one function, applied everywhere.

The due date, grace period and penalty of an assignment live in the course's settings
(:func:`mlip_autograder._config.load_late_policies`); the submission time is nbgrader's own
``submitted/STUDENT/ASSIGNMENT/timestamp.txt`` (written by ``mlip course collect`` from the
LMS export). :func:`lateness` turns both and a score into a penalty; the gradebook (through
:class:`MlipLatePenalties`, which takes the place of nbgrader's ``AssignLatePenalties``, so
nbgrader's CSV, formgrader and feedback show it), ``mlip course grades``, every export and the
Gradescope autograder all call it, so they cannot disagree.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from mlip_autograder._config import LatePolicy, late_policy

__all__ = ["Lateness", "MlipLatePenalties", "late_note", "lateness", "submission_time"]

_DAY = 86_400.0


@dataclass(frozen=True)
class Lateness:
    """How late one submission was and what that costs (``penalty`` in points)."""

    submitted_at: str | None
    due: str | None
    seconds_late: float
    within_grace: bool
    days_late: int
    penalty: float
    note: str

    @property
    def late(self) -> bool:
        """Late beyond the grace period (a penalty may still be zero with ``"none"``)."""
        return self.seconds_late > 0 and not self.within_grace

    def to_dict(self) -> dict[str, Any]:
        return {
            "submitted_at": self.submitted_at,
            "due": self.due,
            "seconds_late": round(self.seconds_late, 1),
            "within_grace": self.within_grace,
            "days_late": self.days_late,
            "penalty": self.penalty,
            "note": self.note,
        }


def _utc(moment: datetime) -> datetime:
    """Aware UTC; a naive time (nbgrader stores them so) is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _stamp(moment: datetime | None) -> str | None:
    return None if moment is None else _utc(moment).strftime("%Y-%m-%d %H:%M:%S UTC")


def _duration(seconds: float) -> str:
    if seconds < 3600:
        return f"{math.ceil(seconds / 60):g} min"
    if seconds < 2 * _DAY:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / _DAY:.1f} days"


def lateness(policy: LatePolicy, submitted_at: datetime | None, score: float) -> Lateness:
    """The penalty ``policy`` gives a submission made at ``submitted_at`` that earned ``score``.

    No due date or no submission time: never late. Within ``grace_minutes`` of the due date:
    late but no penalty. Beyond it, ``"zero"`` takes every point, ``"per-day"`` takes
    ``percent_per_day`` of the earned points per started day after the due date (never more
    than ``100 - floor_percent``), ``"none"`` takes nothing (the lateness is still reported).
    """
    due = None if policy.due is None else _utc(policy.due)
    if due is None or submitted_at is None:
        return Lateness(_stamp(submitted_at), _stamp(due), 0.0, False, 0, 0.0, "on time")
    seconds = max((_utc(submitted_at) - due).total_seconds(), 0.0)
    if seconds <= 0:
        return Lateness(_stamp(submitted_at), _stamp(due), 0.0, False, 0, 0.0, "on time")
    late_by = _duration(seconds)
    if seconds <= policy.grace_minutes * 60:
        note = f"{late_by} late, within the {policy.grace_minutes:g} min grace period: no penalty"
        return Lateness(_stamp(submitted_at), _stamp(due), seconds, True, 0, 0.0, note)
    days = math.ceil(seconds / _DAY)
    score = max(score, 0.0)
    if policy.penalty == "zero":
        penalty, rule = score, "penalty zero: no points"
    elif policy.penalty == "per-day":
        fraction = min(days * policy.percent_per_day, 100.0 - policy.floor_percent) / 100.0
        penalty = score * max(fraction, 0.0)
        rule = (
            f"{policy.percent_per_day:g}% per started day, {days} day(s): "
            f"-{100 * max(fraction, 0.0):g}% of the points earned"
        )
    else:
        penalty, rule = 0.0, "no penalty (policy none)"
    penalty = round(penalty, 2)
    return Lateness(
        _stamp(submitted_at), _stamp(due), seconds, False, days, penalty, f"{late_by} late; {rule}"
    )


def submission_time(root: Path, assignment_id: str, student: str) -> datetime | None:
    """When ``student`` submitted: nbgrader's ``timestamp.txt`` of the submission, if any."""
    from nbgrader.utils import parse_utc

    path = root / "submitted" / student / assignment_id / "timestamp.txt"
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not text:
        return None
    try:
        return _utc(parse_utc(text))
    except (ValueError, OverflowError):
        return None


def late_note(result: Lateness) -> str:
    """The sentence that opens a late submission's feedback."""
    return f"**Late submission.** Submitted {result.submitted_at}, due {result.due}: {result.note}."


class MlipLatePenalties(NbGraderPreprocessor):
    """nbgrader's late-penalty step, driven by ``mlip_course.toml``: each submitted notebook's
    ``late_submission_penalty`` in the gradebook is what :func:`lateness` says."""

    course_root = Unicode("", help="Root folder of the course (default: current folder).").tag(
        config=True
    )

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        from nbgrader.api import Gradebook

        info = resources["nbgrader"]
        root = Path(self.course_root or os.getcwd())
        assignment, student = str(info["assignment"]), str(info["student"])
        policy = late_policy(root, assignment)
        with Gradebook(info["db_url"]) as gradebook:
            notebook = gradebook.find_submission_notebook(info["notebook"], assignment, student)
            result = lateness(
                policy, submission_time(root, assignment, student), float(notebook.score)
            )
            notebook.late_submission_penalty = result.penalty if result.penalty > 0 else None
            gradebook.db.commit()
        return nb, resources
