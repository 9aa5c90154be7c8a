"""How forcefully the toaster acts on its predicted heating time, and how its users respond.

Only used when the ``interaction_policy`` extension is filled. Before each slice the policy
sees the prediction with a ``confidence`` and picks one of:

- ``stop``: the controller heats for the planned seconds and stops by itself (automate; what
  the toaster always did, so this is the naive policy);
- ``ask``: the toaster shows its plan and asks the user to confirm it (prompt). A user who
  answers looks at the bread and sets a good time; one who ignores the beep lets the toaster
  go ahead with its plan;
- ``show``: the toaster only displays the predicted time and the user sets the dial
  (annotate): users judge toasting times roughly, and glance at the display now and then.

The ``confidence`` is the toaster's own estimate that the prediction can be trusted: how
familiar the readings look next to the training sessions, times how well the prediction agrees
with a rule of thumb fitted on the same sessions (0 for an answer that is not a positive finite
number). The simulated users tire of being asked: on one toaster (one household), each earlier
question makes the next one less likely to be answered. The seconds they spend are counted.
Everything random here comes from a stream of its own, so runs without the policy are exactly
as before and the naive policy changes nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from mlip.errors import UsageError
from mlip.systems._contract import Extension, TelemetryStream
from mlip.systems._interaction import checked_action, population_of
from mlip.systems.toaster._spec import INTERACTION_ACTIONS, USER_POPULATIONS

__all__ = ["ToasterInteraction", "prediction_confidence"]

#: Seconds a user spends answering a question, dismissing it, setting the dial themselves.
ANSWER_SECONDS = 10.0
IGNORE_SECONDS = 2.0
SET_DIAL_SECONDS = 6.0
#: How far off (log scale, one standard deviation) a user's timing is: looking at the bread
#: after being asked, or guessing a time at the dial.
LOOKED_SPREAD = 0.05
GUESS_SPREAD = 0.1
#: Users setting the dial themselves err on the light side (toast can go in again).
GUESS_BIAS = -0.05
#: A user who answered or set the dial stays by the toaster: they react to smoke this fast.
NEARBY_REACTION_SECONDS = 5.0
#: A user takes the displayed time when it is this close to their own guess (log scale).
TRUSTED_DISPLAY = 0.25


@dataclass(frozen=True)
class UserTraits:
    """How a population of simulated toaster users responds."""

    #: chance the first question on a toaster is answered
    answer: float
    #: each earlier question on the same toaster multiplies that chance by this
    fatigue: float
    #: chance a user setting the dial looks at the displayed time
    glance: float


_TRAITS: dict[str, UserTraits] = {
    "usual": UserTraits(answer=0.9, fatigue=0.6, glance=0.6),
    "tire_faster": UserTraits(answer=0.9, fatigue=0.3, glance=0.6),
    "inattentive": UserTraits(answer=0.8, fatigue=0.5, glance=0.3),
}


@cache
def _reference() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and spread of the training sessions' readings, and a rule of thumb fitted on them
    (log seconds, linear in the readings). Fixed seed: the same for every run."""
    from mlip.systems.toaster._model import make_training_data

    readings, seconds = make_training_data(20_160, 4_000)
    n = len(seconds)
    mean, spread = readings.mean(axis=0), readings.std(axis=0) + 1e-9
    design = np.column_stack([np.ones(n), (readings - mean) / spread])
    rule, *_ = np.linalg.lstsq(design, np.log(np.clip(seconds, 1.0, None)), rcond=None)
    return mean, spread, rule


def prediction_confidence(readings: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """The toaster's confidence in each prediction, in [0, 1] (see the module docstring)."""
    mean, spread, rule = _reference()
    scaled = (np.asarray(readings, dtype=float) - mean) / spread
    unusual = np.abs(scaled).max(axis=1)
    familiar = np.exp(-0.5 * np.clip(unusual - 3.0, 0.0, None) ** 2)
    thumb = np.exp(rule[0] + scaled @ rule[1:])
    usable = np.isfinite(predicted) & (predicted > 0)
    gap = np.log(np.where(usable, predicted, 1.0) / thumb)
    agree = np.where(usable, np.exp(-0.5 * (gap / 0.25) ** 2), 0.0)
    return np.round(familiar * agree, 4)


@dataclass
class ToasterInteraction:
    """The policy's choices and the users' responses over one run of breakfasts."""

    policy: Extension
    seed: int
    n_toasters: int
    traits: UserTraits = field(init=False)
    asked: np.ndarray = field(init=False)  # questions per toaster so far
    counts: dict[str, float] = field(init=False)
    actions: dict[int, tuple[str, str, float]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        population = population_of(self.policy)
        if population not in _TRAITS:
            raise UsageError(
                f"unknown user population {population!r}; choose one of: "
                f"{', '.join(USER_POPULATIONS)}"
            )
        self.traits = _TRAITS[population]
        self.asked = np.zeros(self.n_toasters, dtype=int)
        self.counts = dict.fromkeys(("prompts", "answered", "dialled", "seconds"), 0.0)

    def plan(
        self,
        round_index: int,
        sessions: np.ndarray,
        toasters: np.ndarray,
        readings: list[dict[str, float]],
        reading_rows: np.ndarray,
        predicted: np.ndarray,
        planned: np.ndarray,
        ideal: np.ndarray,
        nearby: np.ndarray,
        reaction_seconds: np.ndarray,
    ) -> np.ndarray:
        """The seconds each slice of this round will heat, once the policy and users acted.

        A user who answered a question or set the dial stays by the toaster: ``nearby`` and
        ``reaction_seconds`` (who reacts to smoke, and how fast) are updated in place.
        """
        rng = np.random.default_rng([self.seed, 16, round_index])
        count = len(sessions)
        u_answer, u_glance = rng.random(count), rng.random(count)
        looked = ideal * np.exp(rng.normal(0.0, LOOKED_SPREAD, count))
        guess = ideal * np.exp(rng.normal(GUESS_BIAS, GUESS_SPREAD, count))
        confidence = prediction_confidence(reading_rows, predicted)
        calls = [
            (
                {
                    "predicted_seconds": float(predicted[k]),
                    "planned_seconds": float(planned[k]),
                    "confidence": float(confidence[k]),
                    "prompts_shown": int(self.asked[toasters[k]]),
                    "readings": dict(readings[k]),
                },
            )
            for k in range(count)
        ]
        result = planned.astype(float).copy()
        for k, answer in enumerate(self.policy.many(calls)):
            action = checked_action(answer, INTERACTION_ACTIONS)
            if action == "stop":
                continue
            toaster = int(toasters[k])
            if action == "ask":
                before = int(self.asked[toaster])
                self.asked[toaster] += 1
                self.counts["prompts"] += 1
                if u_answer[k] < self.traits.answer * self.traits.fatigue**before:
                    result[k] = float(looked[k])
                    nearby[k] = True
                    reaction_seconds[k] = min(reaction_seconds[k], NEARBY_REACTION_SECONDS)
                    self.counts["answered"] += 1
                    self.counts["seconds"] += ANSWER_SECONDS
                    outcome = "answered"
                else:
                    self.counts["seconds"] += IGNORE_SECONDS
                    outcome = "ignored"
            else:  # show: the user sets the dial, maybe with the displayed time in mind
                shown = float(predicted[k])
                close = (
                    math.isfinite(shown)
                    and shown > 0
                    and abs(math.log(shown / guess[k])) < TRUSTED_DISPLAY
                )
                glanced = bool(u_glance[k] < self.traits.glance)
                result[k] = shown if glanced and close else float(guess[k])
                nearby[k] = True
                reaction_seconds[k] = min(reaction_seconds[k], NEARBY_REACTION_SECONDS)
                self.counts["dialled"] += 1
                self.counts["seconds"] += SET_DIAL_SECONDS
                outcome = "used display" if glanced and close else "own guess"
            self.actions[int(sessions[k])] = (action, outcome, float(confidence[k]))
        return result

    def emit(self, telemetry: TelemetryStream, session: int) -> None:
        """The session's interaction event, if the policy did anything but stop by itself."""
        if session in self.actions:
            action, outcome, confidence = self.actions.pop(session)
            telemetry.emit(
                "interaction", session, action=action, outcome=outcome, confidence=confidence
            )

    def metrics(self, n: int) -> dict[str, float]:
        """User effort of the run (per session)."""
        return {
            "prompts_per_session": round(self.counts["prompts"] / n, 6),
            "prompts_answered": float(self.counts["answered"]),
            "user_set_times": float(self.counts["dialled"]),
            "effort_seconds_per_session": round(self.counts["seconds"] / n, 6),
        }
