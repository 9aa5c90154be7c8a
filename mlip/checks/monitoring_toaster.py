"""Public checks of ``monitoring-toaster``: notice new bread and weakening heating elements.

Streams come from the toaster's own simulator: unseen bread (frozen bagels, thick brioche)
changes the *inputs*; an aged or ageing heating element changes the *outcomes* (paler toast,
lower chamber temperatures) while the inputs look as usual.
"""

from __future__ import annotations

from mlip.checks._engine import Check
from mlip.checks._monitoring import EXTENSIONS, detection_check, quiet_check
from mlip.monitoring import Segment, StreamSpec

__all__ = ["CHECKS", "EXTENSIONS", "STREAMS"]

ASSIGNMENT = "monitoring-toaster"
BUDGET = 300  # events (about 75 toasting sessions)

_NORMAL = Segment(300)
_BREAD = Segment(300, {"bread": "unseen"}, drifted=True)
_AGED = Segment(300, {"element": "aged"}, drifted=True)

# Drift streams share seed 1 and their first (normal) segment, which is simulated only once.
CLEAN = (StreamSpec("no-drift", "none", (Segment(700), Segment(700)), seed=2),)
SUDDEN = (
    StreamSpec("new-bread", "sudden", (_NORMAL, _BREAD), seed=1),
    StreamSpec("aged-elements", "sudden", (_NORMAL, _AGED), seed=1),
)
GRADUAL = (
    StreamSpec(
        "ageing-elements",
        "gradual",
        # slow enough (20% power over 1,500 sessions) that two neighbouring windows never
        # differ much: only a comparison with a fixed reference notices it in time
        (_NORMAL, Segment(1500, {"element": "ageing"}, drifted=True)),
        seed=1,
    ),
)
RECURRING = (
    StreamSpec(
        "bread-weeks",
        "recurring",
        (
            _NORMAL,
            Segment(100, {"bread": "unseen"}, drifted=True),
            Segment(200),
            Segment(100, {"bread": "unseen"}, drifted=True),
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
        hint="Your monitor alarms on normal production: the first sessions of a stream start "
        "with a cold toaster, so a reference of only the first few values is not typical; take "
        "a reference large enough to cover the warm-up (or skip it) and use a strict "
        "significance level (you run many tests).",
    ),
    detection_check(
        name="detects-sudden-drift",
        assignment=ASSIGNMENT,
        summary="notices unseen bread and aged elements soon after they appear",
        streams=SUDDEN,
        budget=BUDGET,
        max_points=4,
        hint="Watch the inputs (thickness, crust darkness in session_start readings) and the "
        "outcomes (shade, within_1, chamber temperature when heating stops).",
    ),
    detection_check(
        name="detects-gradual-drift",
        assignment=ASSIGNMENT,
        summary="notices heating elements that slowly lose power",
        streams=GRADUAL,
        budget=4 * BUDGET,
        max_points=3,
        hint="A slow change never looks big between two neighbouring windows: compare recent "
        "events with a fixed reference, not with the previous window.",
    ),
    detection_check(
        name="detects-recurring-drift",
        assignment=ASSIGNMENT,
        summary="notices unseen bread each time it comes back",
        streams=RECURRING,
        budget=BUDGET,
        max_points=3,
        hint="After an episode ends your monitor must calm down (a sliding recent window) and "
        "alert again when the drift returns.",
    ),
)
