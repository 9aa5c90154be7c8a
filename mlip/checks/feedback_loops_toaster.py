"""Public checks of ``feedback-loops-toaster``: retraining from the field without a one-sided loop.

Only toasts that came out too light are corrected (a second press gives their real time); a toast
nobody complains about looks right whether it was or not. A design chooses which of these become
labels, how many sessions go to the test kitchen (exploration, paid per session), the hold-out and
the retrain schedule; a gate decides whether each retrained model ships. Scenarios: the shipped
model for four months of 1,500 breakfasts, and the same months started from a model a naive
loop damaged.
"""

from __future__ import annotations

from mlip.checks._engine import Check
from mlip.checks._loops import EXTENSIONS, LoopProfile, make_checks

__all__ = ["CHECKS", "EXTENSIONS", "PROFILE"]

PROFILE = LoopProfile(
    assignment="feedback-loops-toaster",
    system="toaster",
    users=1_500,
    rounds=4,
    seed=1,
    budget_per_user=0.25,
    price_per_explored_user=2.0,  # the test kitchen (toaster._loop.TEST_KITCHEN_COST)
    min_holdout_per_round=60,
    quality_tolerance=0.5,  # seconds of MAE
    recovery_tolerance=0.8,
    value_share=0.95,
    fairness_tolerance=0.12,
    damage_rounds=3,
    damage=1.2,
)

CHECKS: tuple[Check, ...] = make_checks(PROFILE)
