"""Public checks of ``feedback-loops-transcription``: learn from corrections, measure honestly.

Customers fix the errors they notice in the editor; every fix is the right word. Unlike the tax
and toaster loops, retraining on what the editor shows does not wreck the model here: a
correction is the truth, and a word nobody changed mostly was right. What goes wrong is the
measurement (on its own labels the model's error rate is the share of words customers happened
to fix) and so the deployment decision. A design chooses the label source, how many words go to
professional transcribers (exploration, paid per word), the hold-out and the retrain schedule; a
gate decides whether each retrained model ships. Scenarios: the shipped model for four weeks of
1,000 words, and the same weeks started from a model the team had already retrained on a large
professional sample (better than a week's retrain): the gate must keep it.
"""

from __future__ import annotations

from mlip.checks._engine import Check
from mlip.checks._loops import EXTENSIONS, LoopProfile, make_checks

__all__ = ["CHECKS", "EXTENSIONS", "PROFILE"]

PROFILE = LoopProfile(
    assignment="feedback-loops-transcription",
    system="transcription",
    users=1_000,  # words of one week
    rounds=4,
    seed=1,
    budget_per_user=0.012,
    price_per_explored_user=0.04,  # a professional's price per word (transcription._loop)
    min_holdout_per_round=100,
    quality_tolerance=0.01,  # WER
    recovery_tolerance=0.0,  # no recovery scenario: a naive loop does not damage this model
    value_share=0.0,  # no value floor: labels cost money, not delivered words
    fairness_tolerance=0.02,
    checks=(
        ("keeps-model-quality", 2),
        ("improves-on-the-shipped-model", 3),
        ("keeps-a-better-model", 4),
        ("labels-within-budget", 2),
        ("measures-on-a-holdout", 2),
        ("fairness-gap-bounded", 2),
    ),
    min_gain=0.015,
    improved_by=3_000,
)

CHECKS: tuple[Check, ...] = make_checks(PROFILE)
