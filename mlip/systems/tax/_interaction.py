"""How forcefully the tax software acts on its entry checker, and how simulated users respond.

Only used when the ``interaction_policy`` extension is filled. The filing flow then runs an
*entry checker* over every deduction a user entered: a classifier that estimates the chance
(``confidence``) that the entry is a slip of the finger (an extra zero: ten times the true
amount). Its scores are drawn by the simulator and are calibrated by construction. For each
flagged entry the policy picks how forcefully the system acts:

- ``change``: the system replaces the entry with a tenth of it (automate); nobody looks again;
- ``prompt``: a dialog asks the user to double-check the entry (they may just click it away);
- ``order``: the entry moves to the top of the review screen, where users look at the first
  entries more carefully than at the rest (organize);
- ``annotate``: the entry is highlighted; many users never notice;
- ``none``: nothing.

The users are simulated realistically: the more prompts one user has seen, the less likely they
read the next one (alert fatigue); highlights are overlooked most of the time; every prompt
makes some users give up filing; and the seconds they spend checking are counted. The world
(which entries are slips, the checker's scores, every user's dice) comes from its own random
stream, so the rest of the season is exactly the run without the policy, and the naive policy
(``none`` everywhere) changes nothing at all.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlip.errors import UsageError
from mlip.systems._contract import Extension
from mlip.systems._interaction import checked_action, population_of
from mlip.systems.tax._spec import ADVISABLE_FIELDS, INTERACTION_ACTIONS, USER_POPULATIONS

__all__ = ["EntryInteraction", "UserTraits", "user_traits"]

#: Share of deduction entries typed with an extra zero (ten times the true amount).
SLIP_SHARE = 0.06
#: How far apart the checker's evidence is for slips and for correct entries (in noise units).
CHECKER_SEPARATION = 1.8
#: Seconds a user spends double-checking an entry, dismissing a prompt, reviewing an entry.
CHECK_SECONDS = 20.0
DISMISS_SECONDS = 3.0
REVIEW_SECONDS = 6.0
#: Extra chance per later screen that a user gives up filing, for every prompt they saw.
ABANDON_PER_CHECK_PROMPT = 0.015
#: How much less carefully users look at each further entry of an ordered review screen.
REVIEW_DECAY = 0.6


@dataclass(frozen=True)
class UserTraits:
    """How a population of simulated users responds to the system's interventions."""

    #: chance a user reads and acts on their first prompt
    follow: float
    #: each further prompt the same user sees multiplies that chance by this (alert fatigue)
    fatigue: float
    #: chance a user notices a highlighted entry
    notice: float
    #: chance a user looks carefully at the first entry of an ordered review screen
    review: float


_TRAITS: dict[str, UserTraits] = {
    "usual": UserTraits(follow=0.9, fatigue=0.55, notice=0.2, review=0.4),
    "tire_faster": UserTraits(follow=0.9, fatigue=0.25, notice=0.2, review=0.4),
    "inattentive": UserTraits(follow=0.85, fatigue=0.45, notice=0.1, review=0.3),
}


def user_traits(population: str) -> UserTraits:
    """The traits of a user population named in :data:`USER_POPULATIONS`."""
    if population not in _TRAITS:
        raise UsageError(
            f"unknown user population {population!r}; choose one of: {', '.join(USER_POPULATIONS)}"
        )
    return _TRAITS[population]


@dataclass
class EntryInteraction:
    """The entry checker, the policy's choices and the users' responses for one season."""

    policy: Extension
    entered: Mapping[str, np.ndarray]  # what users typed (the population's amounts)
    filed: dict[str, np.ndarray]  # the amounts that will be filed (changed in place)
    seed: int
    traits: UserTraits = field(init=False)
    slip: np.ndarray = field(init=False)  # (users, fields): the entry has an extra zero
    confidence: np.ndarray = field(init=False)
    u_respond: np.ndarray = field(init=False)
    check_prompts: np.ndarray = field(init=False)
    edits: np.ndarray = field(init=False)
    changed: np.ndarray = field(init=False)  # (users, fields): the system changed the entry
    corrected: np.ndarray = field(init=False)  # (users, fields): a slip was put right
    seconds: np.ndarray = field(init=False)
    ordered: dict[int, list[int]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.traits = user_traits(population_of(self.policy))
        n = len(next(iter(self.entered.values())))
        shape = (n, len(ADVISABLE_FIELDS))
        rng = np.random.default_rng([self.seed, 16])  # a stream of its own: see the docstring
        present = np.stack([self.entered[f] > 0 for f in ADVISABLE_FIELDS], axis=1)
        self.slip = present & (rng.random(shape) < SLIP_SHARE)
        evidence = rng.normal(np.where(self.slip, CHECKER_SEPARATION, -CHECKER_SEPARATION), 1.0)
        prior = math.log(SLIP_SHARE / (1.0 - SLIP_SHARE))
        log_odds = prior + 2 * CHECKER_SEPARATION * evidence
        self.confidence = np.round(1.0 / (1.0 + np.exp(-log_odds)), 4)
        self.u_respond = rng.random(shape)
        self.check_prompts = np.zeros(n, dtype=int)
        self.edits = np.zeros(n, dtype=int)
        self.changed = np.zeros(shape, dtype=bool)
        self.corrected = np.zeros(shape, dtype=bool)
        self.seconds = np.zeros(n)

    def leave_extra(self, user: int) -> float:
        """The extra chance this user gives up on the next screen, from the prompts they saw."""
        return ABANDON_PER_CHECK_PROMPT * float(self.check_prompts[user])

    def _true(self, user: int, f: int) -> float:
        amount = float(self.entered[ADVISABLE_FIELDS[f]][user])
        return float(round(amount / 10.0)) if self.slip[user, f] else amount

    def _check(self, user: int, f: int, seconds: float) -> str:
        """The user looks at the entry: a slip is corrected, a correct entry kept."""
        self.seconds[user] += seconds
        if self.slip[user, f]:
            self.filed[ADVISABLE_FIELDS[f]][user] = self._true(user, f)
            self.corrected[user, f] = True
            self.edits[user] += 1
            return "corrected"
        return "confirmed"

    def on_deductions(
        self,
        users: list[int],
        risk: Mapping[int, float],
        upsells: Mapping[int, int],
        journal: dict[int, list[tuple[str, dict[str, Any]]]],
        step: str,
    ) -> None:
        """Ask the policy about every entered deduction, one batch per entry of the screen.

        ``upsells`` counts the audit-protection prompts each user has seen so far: they tire
        of prompts of any kind.
        """
        traits = self.traits
        for f, name in enumerate(ADVISABLE_FIELDS):
            asked = [i for i in users if self.entered[name][i] > 0]
            calls = [
                (
                    {
                        "return_id": i,
                        "field": name,
                        "entered_amount": float(self.entered[name][i]),
                        "suggested_amount": float(round(float(self.entered[name][i]) / 10.0)),
                        "confidence": float(self.confidence[i, f]),
                        "risk": float(risk[i]),
                        "prompts_shown": int(upsells[i] + self.check_prompts[i]),
                    },
                )
                for i in asked
            ]
            answers = self.policy.many(calls)
            for i, answer in zip(asked, answers, strict=True):
                action = checked_action(answer, INTERACTION_ACTIONS)
                if action == "none":
                    continue
                u = float(self.u_respond[i, f])
                if action == "change":
                    self.filed[name][i] = float(round(float(self.entered[name][i]) / 10.0))
                    self.changed[i, f] = True
                    self.corrected[i, f] = bool(self.slip[i, f])
                    outcome = "changed"
                elif action == "prompt":
                    self.check_prompts[i] += 1
                    seen = upsells[i] + self.check_prompts[i] - 1
                    chance = traits.follow * traits.fatigue**seen
                    if u < chance:
                        outcome = self._check(i, f, CHECK_SECONDS)
                    else:
                        self.seconds[i] += DISMISS_SECONDS
                        outcome = "dismissed"
                elif action == "annotate":
                    outcome = self._check(i, f, CHECK_SECONDS) if u < traits.notice else "unseen"
                else:  # order: resolved on the review screen
                    self.ordered.setdefault(i, []).append(f)
                    continue
                journal[i].append(self._event(i, f, action, outcome, step))

    def on_review(
        self, users: list[int], journal: dict[int, list[tuple[str, dict[str, Any]]]], step: str
    ) -> None:
        """Users still filing look at the ordered entries, most likely slips first."""
        for i in users:
            entries = sorted(self.ordered.get(i, ()), key=lambda f: -self.confidence[i, f])
            for rank, f in enumerate(entries):
                chance = self.traits.review * REVIEW_DECAY**rank
                if float(self.u_respond[i, f]) < chance:
                    outcome = self._check(i, f, REVIEW_SECONDS)
                else:
                    outcome = "skipped"
                journal[i].append(self._event(i, f, "order", outcome, step))

    def _event(
        self, i: int, f: int, action: str, outcome: str, step: str
    ) -> tuple[str, dict[str, Any]]:
        return (
            "entry_interaction",
            {
                "return_id": i,
                "field": ADVISABLE_FIELDS[f],
                "action": action,
                "confidence": float(self.confidence[i, f]),
                "outcome": outcome,
                "step": step,
            },
        )

    def metrics(self, filed: np.ndarray) -> dict[str, float]:
        """Harm, effort and value of the season's interactions (rates per user)."""
        n = len(filed)
        on_filed = filed[:, None]
        still_wrong = self.slip & ~self.corrected
        harmful = self.changed & ~self.slip

        def rate(count: float) -> float:
            return round(float(count) / n, 6)

        return {
            "wrong_entries_kept": rate((still_wrong & on_filed).sum()),
            "harmful_changes": rate((harmful & on_filed).sum()),
            "check_prompts_per_user": rate(self.check_prompts.sum()),
            "edits_per_user": rate(self.edits.sum()),
            "effort_seconds_per_user": rate(self.seconds.sum()),
        }
