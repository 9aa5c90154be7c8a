"""Public checks of ``interaction-transcription``: how forcefully the editor acts on each word.

For every word going to the customer the student's ``interaction_policy`` picks whether the
service publishes the model's word as it is, asks the customer to choose the right word among
the model's alternatives, or highlights it for the customer to check. The checks hold the
outcomes to the budgets the notebook states: harm (wrong words left in the delivered
transcripts, with new voices, noisy rooms and a model whose confidences are broken), customer
effort (questions and seconds per minute of audio, in the usual world) and value (revenue from
the customers who stay, against the service without the policy). Always asking tires
customers, who then click questions away and take their recordings elsewhere; always
publishing leaves the model's mistakes in; highlighting everything costs customers minutes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlip.checks._engine import (
    Check,
    CheckContext,
    ExtensionSpec,
    Margin,
    Scenario,
    ScenarioOutcome,
)
from mlip.checks._families import metric
from mlip.checks._interaction import budget, full_size_runs, held_to, run_interaction, to_action

__all__ = [
    "CHECKS",
    "EFFORT_SECONDS_PER_MINUTE",
    "EXTENSIONS",
    "MISTAKES_LEFT",
    "QUESTIONS_PER_MINUTE",
    "RETAINED_REVENUE_SHARE",
]

ASSIGNMENT = "interaction-transcription"
POLICY = "interaction_policy"
#: Uploads per run: small, as every upload is synthesised speech through a real network.
UPLOADS = 80
EFFORT_UPLOADS = 60
PUBLIC_SEED = 1
ACTIONS = ("publish", "ask", "highlight")

#: The budgets the notebook states.
MISTAKES_LEFT = 0.4  # share of the model's wrong words delivered that stay wrong
QUESTIONS_PER_MINUTE = 1.5  # per minute of audio, in the usual world
EFFORT_SECONDS_PER_MINUTE = 40.0  # customers' seconds per minute of audio, in the usual world
RETAINED_REVENUE_SHARE = 0.99  # of the service without the policy


def _publish(word: Mapping[str, Any]) -> str:
    return "publish"


#: A policy that fails on a word leaves it as the service would without an editor: published.
EXTENSIONS = (ExtensionSpec(POLICY, coerce=to_action(ACTIONS), fallback=_publish),)

HARM_HINT = (
    "Too many of the model's wrong words stayed in the transcripts. Customers rarely spot an "
    "unmarked wrong word, and a confidence that is not a number between 0 and 1 comes from a "
    "broken model: publish only words the model is very sure of, highlight the doubtful ones, "
    "and ask a customer only while they still answer with care (questions_asked)."
)
EFFORT_HINT = (
    "Customers spent too long on the editor in the usual world, where the model is mostly "
    "right: every highlight is a word to check and every question an interruption. Publish "
    "the words the model is sure of."
)
VALUE_HINT = (
    "Customers asked question after question take their recordings elsewhere: ask far fewer "
    "questions (highlight instead), only about the most doubtful words."
)


def _harm(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
    result = run_interaction(context, scenario, policy=POLICY)
    left = metric(result, "mistakes_left")
    wrong = metric(result, "wrong_words_left")
    margins = (
        budget("model's wrong words left wrong", round(100 * left, 1), 100 * MISTAKES_LEFT, "%"),
    )
    message = (
        f"{left:.0%} of the model's wrong words left wrong ({wrong:.1%} of the delivered words)"
    )
    return held_to(
        message, margins, (left > MISTAKES_LEFT, f"budget {MISTAKES_LEFT:.0%}", HARM_HINT)
    )


def _effort(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
    result = run_interaction(context, scenario, policy=POLICY)
    questions = metric(result, "questions_per_minute")
    seconds = metric(result, "effort_seconds_per_minute")
    margins = (
        budget("questions per minute of audio", questions, QUESTIONS_PER_MINUTE),
        budget("customers' seconds per minute of audio", seconds, EFFORT_SECONDS_PER_MINUTE, " s"),
    )
    message = f"{questions:.2f} questions and {seconds:.1f} s of the customer's time per minute"
    over = questions > QUESTIONS_PER_MINUTE or seconds > EFFORT_SECONDS_PER_MINUTE
    limit = f"budgets: {QUESTIONS_PER_MINUTE:g} questions, {EFFORT_SECONDS_PER_MINUTE:g} s"
    return held_to(message, margins, (over, limit, EFFORT_HINT))


def _value(context: CheckContext, scenario: Scenario) -> ScenarioOutcome:
    naive = run_interaction(context, scenario, policy=POLICY, guarded=False)
    without = metric(naive, "revenue_per_minute")
    retained = metric(
        run_interaction(context, scenario, policy=POLICY), "retained_revenue_per_minute"
    )
    margins = (
        Margin(
            "revenue from customers who stay, per minute",
            round(retained, 3),
            round(RETAINED_REVENUE_SHARE * without, 3),
            " $",
            higher_is_better=True,
        ),
    )
    message = (
        f"revenue from customers who stay {retained:.3f} $/min (without the policy {without:.3f})"
    )
    under = retained + 1e-9 < RETAINED_REVENUE_SHARE * without
    return held_to(
        message,
        margins,
        (under, f"it must stay >= {RETAINED_REVENUE_SHARE:.0%} of that", VALUE_HINT),
    )


def _runs(n: int, *scenarios: Scenario) -> list[Scenario]:
    """Each scenario at size ``n``, on the public seed unless it names its own."""
    return full_size_runs(n, PUBLIC_SEED, *scenarios)


CHECKS: tuple[Check, ...] = (
    Check(
        name="harm-within-budget",
        assignment=ASSIGNMENT,
        summary=f"at most {MISTAKES_LEFT:.0%} of the model's wrong words left wrong, with new "
        "voices, noisy rooms and broken confidences",
        max_points=5,
        hint=HARM_HINT,
        extensions=EXTENSIONS,
        scenarios=lambda system: _runs(
            UPLOADS,
            {"conditions": {"voices": "new"}},
            {"conditions": {"voices": "held_out", "noise": "babble"}, "seed": 2},
            {"conditions": {"voices": "new"}, "fault": "huge", "seed": 3},
        ),
        verdict=_harm,
    ),
    Check(
        name="effort-within-budget",
        assignment=ASSIGNMENT,
        summary=f"at most {QUESTIONS_PER_MINUTE:g} questions and {EFFORT_SECONDS_PER_MINUTE:g} s "
        "of the customer's time per minute of audio in the usual world",
        max_points=3,
        hint=EFFORT_HINT,
        extensions=EXTENSIONS,
        scenarios=lambda system: _runs(
            EFFORT_UPLOADS, {}, {"conditions": {"voices": "held_out"}, "seed": 2}
        ),
        verdict=_effort,
    ),
    Check(
        name="keeps-customers",
        assignment=ASSIGNMENT,
        summary=f"revenue from customers who stay >= {RETAINED_REVENUE_SHARE:.0%} of the service "
        "without the policy",
        max_points=2,
        hint=VALUE_HINT,
        extensions=EXTENSIONS,
        scenarios=lambda system: _runs(EFFORT_UPLOADS, {"conditions": {"voices": "held_out"}}),
        verdict=_value,
        partial_credit=False,
    ),
)
