"""Public checks of ``monitoring-tax``: notice an income shift and a new deduction pattern.

Streams come from the tax system's own simulator. Each segment is one filing season (time ``t``
counts weeks). A jump in incomes changes what users file (tax due) and the risk model's inputs;
a new home-energy deduction changes which deductions users claim, the risk scores and how often
upsell prompts appear, all while the model keeps answering confidently.
"""

from __future__ import annotations

from mlip.checks._engine import Check
from mlip.checks._monitoring import EXTENSIONS, detection_check, quiet_check
from mlip.monitoring import Segment, StreamSpec

__all__ = ["CHECKS", "EXTENSIONS", "STREAMS"]

ASSIGNMENT = "monitoring-tax"
BUDGET = 500  # events (about 130 returns)
RETURNS = 400  # per season segment

_NORMAL = Segment(RETURNS)
_NEW_DEDUCTION = Segment(RETURNS, {"deduction_pattern": "new"}, drifted=True)

# Drift streams share seed 1 and their first (normal) season, which is simulated only once.
CLEAN = (StreamSpec("no-drift", "none", (Segment(RETURNS),) * 3, seed=2),)
SUDDEN = (
    StreamSpec("new-deduction", "sudden", (_NORMAL, _NEW_DEDUCTION), seed=1),
    StreamSpec(
        "income-jump",
        "sudden",
        # income_shift=sudden doubles incomes from week 26 of the season on
        (_NORMAL, Segment(RETURNS, {"income_shift": "sudden"}, drifted=True, drift_from_t=26)),
        seed=1,
    ),
)
GRADUAL = (
    StreamSpec(
        "rising-incomes",
        "gradual",
        (_NORMAL, Segment(2 * RETURNS, {"income_shift": "gradual"}, drifted=True)),
        seed=1,
    ),
)
RECURRING = (
    StreamSpec(
        "deduction-campaigns",
        "recurring",
        (
            _NORMAL,
            Segment(RETURNS // 2, {"deduction_pattern": "new"}, drifted=True),
            Segment(RETURNS // 2),
            Segment(RETURNS // 2, {"deduction_pattern": "new"}, drifted=True),
        ),
        seed=1,
    ),
)
STREAMS = CLEAN + SUDDEN + GRADUAL + RECURRING

CHECKS: tuple[Check, ...] = (
    quiet_check(
        assignment=ASSIGNMENT,
        streams=CLEAN,
        max_points=4,
        hint="Your monitor alarms on a normal season: compare against a reference large enough "
        "to be typical of normal operation (not only the first few events) and use a strict "
        "significance level (you run many tests).",
    ),
    detection_check(
        name="detects-sudden-drift",
        assignment=ASSIGNMENT,
        summary="notices an income jump and a new deduction pattern soon after they appear",
        streams=SUDDEN,
        budget=BUDGET,
        max_points=4,
        hint="Watch what users file (tax_due, deduction in filed events) and what the model "
        "outputs (risk in risk_scored events).",
    ),
    detection_check(
        name="detects-gradual-drift",
        assignment=ASSIGNMENT,
        summary="notices incomes that rise steadily over a season",
        streams=GRADUAL,
        budget=3 * BUDGET,
        max_points=3,
        hint="A slow change never looks big between two neighbouring windows: compare recent "
        "events with a fixed reference, not with the previous window.",
    ),
    detection_check(
        name="detects-recurring-drift",
        assignment=ASSIGNMENT,
        summary="notices the new deduction pattern each time it comes back",
        streams=RECURRING,
        budget=BUDGET,
        max_points=3,
        hint="After an episode ends your monitor must calm down (a sliding recent window) and "
        "alert again when the drift returns.",
    ),
)
