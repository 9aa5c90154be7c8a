"""Public checks of ``feedback-loops-tax``: the audit loop keeps its model, money and fairness.

The tax software learns about audits mostly from the customers its own upsell sold protection
to. A design chooses the label source, how many filers get protection for free to learn their
outcome (exploration, paid at the protection price), the hold-out and the retrain schedule; a
gate decides whether each retrained model ships. Scenarios: the shipped model for four seasons
of 4,000 filers, and the same seasons started from a model a naive loop damaged.
"""

from __future__ import annotations

from mlip.checks._engine import Check
from mlip.checks._loops import EXTENSIONS, LoopProfile, make_checks

__all__ = ["CHECKS", "EXTENSIONS", "PROFILE"]

PROFILE = LoopProfile(
    assignment="feedback-loops-tax",
    system="tax",
    users=4_000,
    rounds=4,
    seed=1,
    budget_per_user=2.5,
    price_per_explored_user=49.0,  # the audit protection given away (tax._simulation)
    min_holdout_per_round=60,
    quality_tolerance=0.02,  # AUC points
    recovery_tolerance=0.04,
    value_share=0.9,
    fairness_tolerance=0.08,
    damage_rounds=2,
    damage=0.1,
)

CHECKS: tuple[Check, ...] = make_checks(PROFILE)
