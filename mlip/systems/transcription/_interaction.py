"""How forcefully the transcription service acts on each word, and how its customers respond.

Only used when the ``interaction_policy`` extension is filled. For every word that goes to the
customer (not to the review queue) the policy sees the model's guess with its ``confidence``
and ``alternatives`` and picks one of:

- ``publish``: the model's word goes into the transcript as it is, unmarked (automate);
- ``ask``: the editor asks the customer to choose the right word among the model's
  alternatives, or to type it (prompt);
- ``highlight``: the editor marks the word for the customer to check (annotate).

The editor always highlighted words below :data:`LOW_CONFIDENCE` and published the rest: that
rule is the naive policy, and with it every run is exactly the run without a policy. The
simulated customers respond the way people do. Each upload belongs to a customer who uploads
several recordings; the first question a customer gets is answered with care nine times out
of ten, and every earlier question of the same customer makes a careful answer less likely (a
careless one clicks the first offer, the model's word). Highlights are overlooked some of the
time, unmarked wrong words noticed less often; some customers also read less carefully deeper
into a transcript. Each question also makes a customer a little more likely to take their
recordings elsewhere, which the retained revenue counts. Questions, edits and the seconds
customers spend are counted per minute of audio. Everything random that is new here comes from
a stream of its own; highlights and unmarked words reuse the editor's own dice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from mlip.errors import UsageError
from mlip.systems._contract import Extension, TelemetryStream
from mlip.systems._interaction import checked_action, population_of
from mlip.systems.transcription._transcribe import LOW_CONFIDENCE, PRICE_PER_MINUTE, _finite

__all__ = [
    "INTERACTION_ACTIONS",
    "INTERACTION_METRICS",
    "USER_POPULATIONS",
    "TranscriptInteraction",
    "UserTraits",
    "naive_interaction_policy",
    "user_traits",
]

#: How forcefully the editor acts on a word, most forceful first.
INTERACTION_ACTIONS: tuple[str, ...] = ("publish", "ask", "highlight")
#: Simulated customer populations an interaction run can face (``usual`` unless a check says so).
USER_POPULATIONS: tuple[str, ...] = ("usual", "tire_faster", "skim")
#: The metrics a run reports only with an ``interaction_policy``.
INTERACTION_METRICS: tuple[str, ...] = (
    "wrong_words_left",
    "mistakes_left",
    "questions_per_minute",
    "effort_seconds_per_minute",
    "retained_revenue_per_minute",
)

#: Uploads per customer, on average (customers are drawn per upload).
UPLOADS_PER_CUSTOMER = 4
#: Seconds a customer spends: a careful answer among the offered words, typing a word none of
#: them was, clicking a question away, checking a highlighted word, correcting a word.
ANSWER_SECONDS = 4.0
TYPE_SECONDS = 8.0
CLICK_SECONDS = 1.0
CHECK_SECONDS = 3.0
EDIT_SECONDS = 6.0
#: Chance that a customer takes their next recordings elsewhere, per question asked.
LEAVE_PER_QUESTION = 0.01


@dataclass(frozen=True)
class UserTraits:
    """How a population of simulated customers responds to the editor."""

    #: chance the first question a customer gets is answered with care
    answer: float
    #: each earlier question of the same customer multiplies that chance by this
    fatigue: float
    #: chance a customer checks a highlighted word (the editor's dice decide)
    notice_highlighted: float
    #: chance a customer spots an unmarked wrong word
    notice_plain: float
    #: each further word into the transcript multiplies both chances by this
    depth: float


_TRAITS: dict[str, UserTraits] = {
    # the editor's customers as the service always simulated them (short memos, read whole)
    "usual": UserTraits(
        answer=0.9, fatigue=0.6, notice_highlighted=0.85, notice_plain=0.35, depth=1.0
    ),
    "tire_faster": UserTraits(
        answer=0.9, fatigue=0.3, notice_highlighted=0.85, notice_plain=0.35, depth=1.0
    ),
    "skim": UserTraits(
        answer=0.85, fatigue=0.5, notice_highlighted=0.85, notice_plain=0.2, depth=0.98
    ),
}


def user_traits(population: str) -> UserTraits:
    """The traits of a customer population named in :data:`USER_POPULATIONS`."""
    if population not in _TRAITS:
        raise UsageError(
            f"unknown user population {population!r}; choose one of: {', '.join(USER_POPULATIONS)}"
        )
    return _TRAITS[population]


def naive_interaction_policy(word: dict[str, Any]) -> str:
    """What the editor always did: highlight words below LOW_CONFIDENCE, publish the rest."""
    confidence = _finite(word.get("confidence"))
    return "publish" if confidence is not None and confidence >= LOW_CONFIDENCE else "highlight"


@dataclass
class _Counts:
    words: int = 0
    wrong_left: int = 0
    mistakes: int = 0  # the model's wrong words delivered to customers
    questions: int = 0
    seconds: float = 0.0
    retained_revenue: float = 0.0


@dataclass
class TranscriptInteraction:
    """The policy's choices and the customers' responses over one run of uploads."""

    policy: Extension
    seed: int
    n_uploads: int
    traits: UserTraits = field(init=False)
    asked: dict[int, int] = field(init=False, default_factory=dict)  # questions per customer
    staying: dict[int, float] = field(init=False, default_factory=dict)  # chance still a customer
    counts: _Counts = field(init=False, default_factory=_Counts)
    customer: int = field(init=False, default=0)
    draws: Any = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.traits = user_traits(population_of(self.policy))

    def start_upload(self, index: int, billed_minutes: int) -> None:
        """Draw the upload's customer (its own stream) and count its retained revenue."""
        import numpy as np

        rng = np.random.default_rng([self.seed, 16, index])
        customers = max(1, math.ceil(self.n_uploads / UPLOADS_PER_CUSTOMER))
        self.customer = int(rng.integers(customers))
        self.draws = rng.random(64)
        stay = self.staying.get(self.customer, 1.0)
        self.counts.retained_revenue += stay * billed_minutes * PRICE_PER_MINUTE

    def decide(self, words: list[dict[str, Any]]) -> list[str]:
        """The policy's action for each published word of the upload (one batch)."""
        shown = self.asked.get(self.customer, 0)
        calls = [
            (
                {
                    **word,
                    "customer": self.customer,
                    "questions_asked": shown,
                    "transcript_words": len(words),
                },
            )
            for word in words
        ]
        return [checked_action(answer, INTERACTION_ACTIONS) for answer in self.policy.many(calls)]

    def respond(
        self,
        *,
        action: str,
        position: int,
        guess: str,
        truth: str | None,
        alternatives: list[str],
        confidence: float | None,
        stream: TelemetryStream,
        index: int,
    ) -> tuple[str | None, bool]:
        """What the customer makes of one word: ``(answer, highlighted)``.

        The answer is the word a question ended with ('' deletes it); ``None`` leaves the word
        to the editor (publish or highlight), whose dice decide with the chance of
        :meth:`notice`.
        """
        self.counts.words += 1
        if action != "ask":
            return None, action == "highlight"
        traits, counts = self.traits, self.counts
        before = self.asked.get(self.customer, 0)
        self.asked[self.customer] = before + 1
        counts.questions += 1
        careful = float(self.draws[position % 64]) < traits.answer * traits.fatigue**before
        if careful and (truth or "") in alternatives:
            final, outcome, seconds = truth or "", "chosen", ANSWER_SECONDS
        elif careful:
            final, outcome, seconds = truth or "", "typed", TYPE_SECONDS
        else:
            final, outcome, seconds = guess, "clicked through", CLICK_SECONDS
        counts.seconds += seconds
        counts.mistakes += guess != (truth or "")
        counts.wrong_left += final != (truth or "")
        stay = self.staying.get(self.customer, 1.0)
        self.staying[self.customer] = stay * (1.0 - LEAVE_PER_QUESTION)
        stream.emit(
            "question", index, upload=index, position=position, offered=alternatives,
            answer=final, outcome=outcome, confidence=confidence,
        )  # fmt: skip
        return final, False

    def notice(self, position: int, *, highlighted: bool) -> float:
        """The chance that the customer looks at this published word in the editor."""
        traits = self.traits
        chance = traits.notice_highlighted if highlighted else traits.notice_plain
        return chance * traits.depth**position if traits.depth != 1.0 else chance

    def edited(self, *, highlighted: bool, looked: bool, wrong: bool) -> None:
        """Count the editor's outcome for a published word (a wrong word looked at is fixed)."""
        counts = self.counts
        if highlighted and looked:
            counts.seconds += CHECK_SECONDS
        if wrong and looked:
            counts.seconds += EDIT_SECONDS
        counts.mistakes += wrong
        counts.wrong_left += wrong and not looked

    def metrics(self, minutes: float) -> dict[str, float]:
        """Harm, effort and value of the run's interactions."""
        counts = self.counts

        def per_minute(value: float) -> float:
            return round(value / minutes, 6) if minutes else 0.0

        return {
            "wrong_words_left": round(counts.wrong_left / counts.words, 6) if counts.words else 0.0,
            "mistakes_left": (
                round(counts.wrong_left / counts.mistakes, 6) if counts.mistakes else 0.0
            ),
            "questions_per_minute": per_minute(counts.questions),
            "effort_seconds_per_minute": per_minute(counts.seconds),
            "retained_revenue_per_minute": per_minute(counts.retained_revenue),
        }
