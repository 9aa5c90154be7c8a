"""Hidden check families: run only by the instructor's judge, never shipped to students.

A hidden check reuses the *verdict* of a public check (what counts as safe does not change) on
scenarios students cannot see: seeds and condition combinations drawn from the course's secret
seed. Knowing this code does not help a student: the concrete scenarios depend on the secret.
"""

from __future__ import annotations

from mlip_autograder.hidden._families import (
    HIDDEN_FAMILIES,
    hidden_check,
    hidden_seeds,
    scenario_seed,
)

__all__ = ["HIDDEN_FAMILIES", "hidden_check", "hidden_seeds", "scenario_seed"]
