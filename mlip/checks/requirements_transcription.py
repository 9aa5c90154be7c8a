"""Public checks of ``requirements-transcription``: requirements and a fault tree for wrong names.

The reference-guarded service sends ``<unk>`` and every word below 0.6 confidence to human
review and publishes the rest. That keeps misheard names out of transcripts only as long as the
model's confidence means something: a model that is confidently wrong still publishes them.
A wrong name is observed when the customer corrects a published word into a name.
"""

from __future__ import annotations

import math
from typing import Any

from mlip.checks._engine import Check
from mlip.checks._requirements import EXTENSIONS, Profile, make_checks

__all__ = ["CHECKS", "CONTROLLABLE", "EXTENSIONS", "FACTS", "PROFILE"]

UPLOADS = 40
PUBLIC_SEED = 1
REVIEW_BELOW = 0.6


def _reference_publish_guard(word: dict[str, Any]) -> str:
    confidence = word.get("confidence")
    if not isinstance(confidence, float) or not math.isfinite(confidence):
        return "review"
    if confidence < REVIEW_BELOW or word.get("text") == "<unk>":
        return "review"
    return "publish"


def reference_guards() -> dict[str, Any]:
    """The kit's simple guard: review unknown and low-confidence words, publish the rest."""
    return {"publish_guard": _reference_publish_guard}


#: What the system's design controls: its publish guard and a human review of names.
CONTROLLABLE = frozenset({"no_publish_guard", "no_name_review"})
_CONTROLLED = " [the system controls this]"

#: Facts the checks observe on every published word (wrong names among them).
FACTS: dict[str, str] = {
    "name_spoken": "the speaker said a product or person's name",
    "model_confident": "the model was confident (>= 0.5) in the word it published",
    "model_unsure": "the model's confidence was low or missing",
    "no_publish_guard": "every word was published without a check" + _CONTROLLED,
    "no_name_review": "words that may be names were published without a human check" + _CONTROLLED,
    "new_words": "names the model never heard in training were in use",
    "noisy_room": "the recording was noisy or reverberant",
    "new_voice": "the speaker's voice was unlike the training voices",
}

_CONDITION_FACTS = {
    ("vocabulary", "new_words"): "new_words",
    ("drift", "gradual"): "new_words",
    ("drift", "sudden"): "new_words",
    ("noise", "white"): "noisy_room",
    ("noise", "babble"): "noisy_room",
    ("noise", "reverb"): "noisy_room",
    ("voices", "held_out"): "new_voice",
    ("voices", "new"): "new_voice",
}


def _names() -> frozenset[str]:
    from mlip.systems.transcription._vocabulary import NEW_WORDS

    return frozenset(NEW_WORDS)


def sessions(
    events: list[dict[str, Any]], scenario: dict[str, Any]
) -> list[tuple[frozenset[str], bool]]:
    """The true facts of every published word, and whether the customer corrected it into a
    name (neither the reference guard nor an unguarded service reviews names)."""
    common = {
        _CONDITION_FACTS[(name, value)]
        for name, value in dict(scenario.get("conditions", {})).items()
        if (name, value) in _CONDITION_FACTS
    }
    common.add("no_name_review")
    if not scenario.get("guarded", True):
        common.add("no_publish_guard")
    names = _names()
    wrong_names = {
        (event["upload"], event["position"]): event
        for event in events
        if event["event"] == "edit" and event["after"] in names
    }
    found: list[tuple[frozenset[str], bool]] = []
    for edit in wrong_names.values():
        found.append((frozenset({*common, "name_spoken", _confidence_fact(edit)}), True))
    for event in events:
        if event["event"] != "word" or event.get("decision") != "publish":
            continue
        if (event["upload"], event["position"]) in wrong_names:
            continue
        facts = {*common, _confidence_fact(event)}
        if event.get("text") in names:
            facts.add("name_spoken")
        found.append((frozenset(facts), False))
    return found


def _confidence_fact(event: dict[str, Any]) -> str:
    confidence = event.get("confidence")
    sure = isinstance(confidence, int | float) and math.isfinite(confidence) and confidence >= 0.5
    return "model_confident" if sure else "model_unsure"


def _run(**spec: Any) -> dict[str, Any]:
    return {"n": UPLOADS, "seed": PUBLIC_SEED, "guarded": True, **spec}


_NEW_WORDS = {"vocabulary": "new_words"}

PROFILE = Profile(
    assignment="requirements-transcription",
    system="transcription",
    hazard="a published transcript with a wrong name",
    reference_guards=reference_guards,
    normal=_run(),
    stress=(
        _run(guarded=False, conditions=_NEW_WORDS),
        *(_run(guarded=False, fault=kind) for kind in ("nan", "constant", "slow", "exception")),
        _run(fault="huge", conditions=_NEW_WORDS),
        _run(conditions={"noise": "babble"}),
        _run(conditions={"audio_fault": "silence"}),
    ),
    assumption_breaks=(
        *(_run(fault=kind, conditions=_NEW_WORDS) for kind in ("nan", "huge", "constant")),
        _run(fault="slow"),
        _run(conditions=_NEW_WORDS),
        _run(conditions={"noise": "babble"}),
        _run(conditions={"voices": "new"}),
        _run(conditions={"audio_fault": "dropout"}),
    ),
    hazard_runs=(
        _run(guarded=False, conditions=_NEW_WORDS),
        _run(guarded=False, fault="nan", conditions=_NEW_WORDS),
        _run(fault="huge", conditions=_NEW_WORDS),
        _run(fault="constant", conditions=_NEW_WORDS),
    ),
    facts=FACTS,
    controllable=CONTROLLABLE,
    sessions=sessions,
    world_events=frozenset({"edit", "review"}),
    software_events=frozenset(
        {
            "word",
            "transcript",
            "deadline_missed",
            "segmented",
            "intake_rejected",
            "model_error",
            "alert",
        }
    ),
    hazard_measures={"edit": frozenset()},
    calm=({"guarded": True}, {"guarded": False}),
)

CHECKS: tuple[Check, ...] = make_checks(PROFILE)
