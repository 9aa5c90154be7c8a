"""Model-quality metrics shared by every system, so a figure means the same thing everywhere.

Pure Python (no numpy import), so a system may use them anywhere, and a course's own system
reports calibration exactly the way the kit's systems do.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = ["CALIBRATION_BINS", "expected_calibration_error"]

#: Equal-width probability bins of :func:`expected_calibration_error`. Ten bins keep each bin
#: populated in the small runs checks use (a few hundred words or returns), where finer bins
#: would mostly measure noise.
CALIBRATION_BINS = 10


def expected_calibration_error(
    probabilities: Iterable[float], outcomes: Iterable[bool | float], bins: int = CALIBRATION_BINS
) -> float:
    """How far predicted probabilities are from observed frequencies (0 is perfectly calibrated).

    Probabilities are grouped into ``bins`` equal-width bins over [0, 1]; the result is the
    average, weighted by bin size, of ``|mean probability - share of positive outcomes|``.
    Every probability must be a finite number in [0, 1] (each system first maps a model's
    non-finite or out-of-range outputs to what that system would use); an empty input gives 0.

    >>> round(expected_calibration_error([0.9, 0.9, 0.2, 0.2], [True, True, False, True]), 6)
    0.2
    """
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    sums = [[0.0, 0.0, 0] for _ in range(bins)]
    total = 0
    for probability, outcome in zip(probabilities, outcomes, strict=True):
        p = float(probability)
        if not (math.isfinite(p) and 0.0 <= p <= 1.0):
            raise ValueError(f"probabilities must be finite and in [0, 1], got {p}")
        slot = sums[min(bins - 1, int(p * bins))]
        slot[0] += p
        slot[1] += float(outcome)
        slot[2] += 1
        total += 1
    if total == 0:
        return 0.0
    return sum(abs(probability_sum - outcome_sum) for probability_sum, outcome_sum, _ in sums) / (
        total
    )
