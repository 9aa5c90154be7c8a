"""The late policy: settings in mlip_course.toml and the one function every view applies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from mlip_autograder._config import LatePolicy, late_policy, load_late_policies
from mlip_autograder.late import lateness, submission_time

from mlip.errors import InputError

DUE = datetime(2026, 12, 1, 23, 59, tzinfo=UTC)


def _policy(**settings: object) -> LatePolicy:
    return LatePolicy(due=DUE, **settings)


@pytest.mark.parametrize(
    ("settings", "late_by", "score", "penalty"),
    [
        ({"penalty": "zero"}, timedelta(minutes=1), 20.0, 20.0),
        ({"penalty": "zero"}, timedelta(seconds=0), 20.0, 0.0),  # exactly on time
        ({"penalty": "zero"}, -timedelta(days=1), 20.0, 0.0),  # early
        ({"penalty": "zero", "grace_minutes": 15}, timedelta(minutes=14), 20.0, 0.0),
        ({"penalty": "zero", "grace_minutes": 15}, timedelta(minutes=16), 20.0, 20.0),
        ({"penalty": "none"}, timedelta(days=9), 20.0, 0.0),
        ({"penalty": "per-day", "percent_per_day": 10}, timedelta(hours=1), 20.0, 2.0),
        ({"penalty": "per-day", "percent_per_day": 10}, timedelta(hours=25), 20.0, 4.0),
        # never more than 100 - floor_percent of the points
        (
            {"penalty": "per-day", "percent_per_day": 25, "floor_percent": 50},
            timedelta(days=5),
            20.0,
            10.0,
        ),
        ({"penalty": "per-day", "percent_per_day": 50}, timedelta(days=9), 20.0, 20.0),
    ],
)
def test_lateness(
    settings: dict[str, object], late_by: timedelta, score: float, penalty: float
) -> None:
    result = lateness(_policy(**settings), DUE + late_by, score)
    assert result.penalty == penalty


def test_no_due_date_or_no_time_is_never_late() -> None:
    assert lateness(LatePolicy(penalty="zero"), DUE, 5.0).penalty == 0
    assert lateness(_policy(penalty="zero"), None, 5.0).note == "on time"


def test_lateness_explains_itself() -> None:
    grace = lateness(_policy(penalty="zero", grace_minutes=15), DUE + timedelta(minutes=5), 3.0)
    assert grace.within_grace and not grace.late and "grace" in grace.note
    late = lateness(_policy(penalty="zero"), DUE + timedelta(days=2), 3.0)
    assert late.late and late.days_late == 2 and "no points" in late.note


def test_settings_from_toml(tmp_path: Path) -> None:
    (tmp_path / "mlip_course.toml").write_text(
        '[late]\ngrace_minutes = 10\npenalty = "per-day"\n\n'
        '[assignments.hw0]\ndue = 2026-12-01T23:59:00-05:00\npenalty = "zero"\ncanvas_id = 77\n',
        encoding="utf-8",
    )
    default, policies = load_late_policies(tmp_path)
    assert set(policies) == {"hw0"}
    assert default.penalty == "per-day" and default.due is None
    hw0 = late_policy(tmp_path, "hw0")
    assert hw0.penalty == "zero" and hw0.grace_minutes == 10 and hw0.canvas_id == "77"
    assert hw0.due is not None and hw0.due.astimezone(UTC).hour == 4
    assert late_policy(tmp_path, "other") == default


@pytest.mark.parametrize(
    "text",
    [
        '[late]\npenalty = "half"\n',
        "[late]\ngrace_minutes = -1\n",
        "[late]\npercent_per_day = 150\n",
        "[late]\ndue = 2026-12-01T23:59:00Z\n",  # a due date belongs to one assignment
        "[assignments.hw0]\ndue = 2026-12-01T23:59:00\n",  # no UTC offset: ambiguous
        '[assignments.hw0]\ndue = "tomorrow"\n',
        "[assignments.hw0]\nlate = true\n",
    ],
)
def test_bad_settings_are_one_line_errors(tmp_path: Path, text: str) -> None:
    from mlip_autograder._config import load_config

    (tmp_path / "mlip_course.toml").write_text(text, encoding="utf-8")
    with pytest.raises(InputError):
        load_late_policies(tmp_path)
    with pytest.raises(InputError):  # autograde reads the settings first: it stops at once
        load_config(tmp_path)


def test_submission_time_reads_nbgrader_timestamps(tmp_path: Path) -> None:
    folder = tmp_path / "submitted" / "ada" / "hw0"
    folder.mkdir(parents=True)
    (folder / "timestamp.txt").write_text("2026-12-02 10:30:00.000000 UTC\n", encoding="utf-8")
    assert submission_time(tmp_path, "hw0", "ada") == datetime(2026, 12, 2, 10, 30, tzinfo=UTC)
    assert submission_time(tmp_path, "hw0", "bob") is None
    (folder / "timestamp.txt").write_text("not a time", encoding="utf-8")
    assert submission_time(tmp_path, "hw0", "ada") is None
