"""Public checks of ``monitoring-transcription``: notice noisier rooms, new voices, new words.

Streams come from the transcription system's own simulator (time ``t`` counts uploads). Noisier
rooms and unusual voices lower the recogniser's confidence and raise how often listeners edit
the transcript; streams stay short because this system is the slowest to simulate.
"""

from __future__ import annotations

from mlip.checks._engine import Check
from mlip.checks._monitoring import EXTENSIONS, detection_check, quiet_check
from mlip.monitoring import Segment, StreamSpec

__all__ = ["CHECKS", "EXTENSIONS", "STREAMS"]

ASSIGNMENT = "monitoring-transcription"
BUDGET = 300  # events (about 25 uploads)
GRADUAL_BUDGET = 1100  # the gradual drift needs most of its 90 uploads to become visible
UPLOADS = 45  # per segment

_NORMAL = Segment(UPLOADS)
_NOISY = Segment(UPLOADS, {"noise": "babble"}, drifted=True)

# Every stream has seed 1, so equal segments at equal positions are simulated only once (the
# first normal segment, the first noisy one...): this system is the slowest to simulate.
CLEAN = (StreamSpec("no-drift", "none", (_NORMAL,) * 3, seed=1),)
SUDDEN = (
    StreamSpec("noisy-rooms", "sudden", (_NORMAL, _NOISY), seed=1),
    StreamSpec(
        "new-voices", "sudden", (_NORMAL, Segment(UPLOADS, {"voices": "new"}, drifted=True)), seed=1
    ),
)
GRADUAL = (
    StreamSpec(
        "drifting-audience",
        "gradual",
        (_NORMAL, Segment(2 * UPLOADS, {"drift": "gradual"}, drifted=True)),
        seed=1,
    ),
)
RECURRING = (StreamSpec("noisy-days", "recurring", (_NORMAL, _NOISY, _NORMAL, _NOISY), seed=1),)
STREAMS = CLEAN + SUDDEN + GRADUAL + RECURRING

CHECKS: tuple[Check, ...] = (
    quiet_check(
        assignment=ASSIGNMENT,
        streams=CLEAN,
        max_points=4,
        hint="Your monitor alarms on normal uploads: compare against a reference large enough "
        "to be typical of normal operation (not only the first few events) and use a strict "
        "significance level (you run many tests).",
    ),
    detection_check(
        name="detects-sudden-drift",
        assignment=ASSIGNMENT,
        summary="notices noisier rooms and new voices soon after they appear",
        streams=SUDDEN,
        budget=BUDGET,
        max_points=4,
        hint="Watch the model's confidence (word events) and what listeners do about it (edit "
        "events per word): both move when the audio changes.",
    ),
    detection_check(
        name="detects-gradual-drift",
        assignment=ASSIGNMENT,
        summary="notices voices, words and rooms that change slowly",
        streams=GRADUAL,
        budget=GRADUAL_BUDGET,
        max_points=3,
        hint="A slow change never looks big between two neighbouring windows: compare recent "
        "events with a fixed reference, not with the previous window.",
    ),
    detection_check(
        name="detects-recurring-drift",
        assignment=ASSIGNMENT,
        summary="notices noisy rooms each time they come back",
        streams=RECURRING,
        budget=BUDGET,
        max_points=3,
        hint="After an episode ends your monitor must calm down (a sliding recent window) and "
        "alert again when the drift returns.",
    ),
)
