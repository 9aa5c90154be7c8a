"""Public checks of ``guards-transcription``: doubtful words go to review, not to the customer.

Safety invariant: no word the service would highlight as doubtful (usable confidence below
:data:`LOW_CONFIDENCE`; a missing or non-finite confidence counts as 0) is published without human
review, whatever the model returns and however bad the recording. Utility: with the real model
the guarded service still publishes most correct words directly (human review costs money and
time), so a guard that sends everything to review fails.
"""

from __future__ import annotations

from typing import Any

from mlip.checks._engine import (
    Check,
    CheckContext,
    ExtensionSpec,
    Margin,
    Scenario,
    ScenarioOutcome,
)
from mlip.checks._families import chaos_scenarios, condition_scenarios, metric, run_scenario

__all__ = ["CHECKS", "EXTENSIONS", "LOW_CONFIDENCE"]

ASSIGNMENT = "guards-transcription"
UPLOADS = 20
UTILITY_UPLOADS = 60
PUBLIC_SEED = 1
#: The service highlights words below this confidence as doubtful.
LOW_CONFIDENCE = 0.7
#: Share of the unguarded service's directly published correct words a guard must keep.
UTILITY_SHARE = 0.9
DECISIONS = ("publish", "review")


def _to_decision(value: Any) -> str:
    if not isinstance(value, str) or value not in DECISIONS:
        raise ValueError(f'expected "publish" or "review", got {value!r}')
    return value


EXTENSIONS = (ExtensionSpec("publish_guard", coerce=_to_decision, fallback=lambda word: "publish"),)


def _no_doubtful_word_published(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
    result = run_scenario(context, scenario)
    share = metric(result, "low_confidence_published")
    if share > 0:
        return ScenarioOutcome(
            False, f"{share:.1%} of the published words had confidence below {LOW_CONFIDENCE}"
        )
    return ScenarioOutcome(True, "no doubtful word published")


def _correct_published_share(result: Any) -> float:
    """Share of recognised words that were correct and published without review."""
    return (1.0 - metric(result, "flagged_rate")) * (1.0 - metric(result, "published_error_rate"))


def _keeps_useful(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
    naive = _correct_published_share(run_scenario(context, scenario, guarded=False))
    guarded_result = run_scenario(context, scenario)
    guarded = _correct_published_share(guarded_result)
    flagged = metric(guarded_result, "flagged_rate")
    message = (
        f"correct words published without review: {guarded:.1%} of all words (unguarded "
        f"{naive:.1%}); {flagged:.1%} of words sent to review"
    )
    margin = Margin(
        "correct words published without review",
        round(100 * guarded, 1),
        round(100 * UTILITY_SHARE * naive, 1),
        "%",
        higher_is_better=True,
    )
    if guarded + 1e-9 < UTILITY_SHARE * naive:
        return ScenarioOutcome(
            False, f"{message}; needs at least {UTILITY_SHARE * naive:.1%}", margins=(margin,)
        )
    return ScenarioOutcome(True, message, margins=(margin,))


CHECKS: tuple[Check, ...] = (
    Check(
        name="no-doubtful-word-published-under-chaos",
        assignment=ASSIGNMENT,
        summary="no low-confidence word published with each chaos model",
        max_points=7,
        hint="A confidence can be NaN, infinite, negative or far above 1: none of those is a "
        "reason to trust the word. Only a finite confidence in [0.7, 1] is.",
        extensions=EXTENSIONS,
        scenarios=lambda system: chaos_scenarios(system, n=UPLOADS, seed=PUBLIC_SEED),
        verdict=_no_doubtful_word_published,
    ),
    Check(
        name="no-doubtful-word-published-under-faults",
        assignment=ASSIGNMENT,
        summary="no low-confidence word published with noise, new voices/words, audio faults",
        max_points=6,
        hint="Noisy rooms, unknown voices and new words make the model less sure: your guard "
        "must look at the confidence of every word, not at the recording conditions.",
        extensions=EXTENSIONS,
        scenarios=lambda system: condition_scenarios(system, n=UPLOADS, seed=PUBLIC_SEED),
        verdict=_no_doubtful_word_published,
    ),
    Check(
        name="keeps-transcripts-useful",
        assignment=ASSIGNMENT,
        summary="correct words still published without review (>= 90% of unguarded)",
        max_points=3,
        hint="Your guard sends too much to review: confident words are almost always right, "
        "publish them.",
        extensions=EXTENSIONS,
        scenarios=lambda system: [{"n": UTILITY_UPLOADS, "seed": PUBLIC_SEED}],
        verdict=_keeps_useful,
        partial_credit=False,
    ),
)
