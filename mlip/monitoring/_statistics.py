"""Drift statistics a monitor compares a reference window with a recent window by.

Thin, documented wrappers around scipy/numpy so that students call one function per idea:
:func:`ks_drift` for a numeric feature, :func:`population_stability_index` for binned numeric
or categorical data, and :class:`PageHinkley` for a running mean that slowly goes bad (e.g. the
delayed accuracy of a model). numpy and scipy are imported inside the functions.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

__all__ = ["DriftTest", "PageHinkley", "category_psi", "ks_drift", "population_stability_index"]

#: Share given to an empty bin so PSI stays finite (a common convention).
EMPTY_BIN_SHARE = 1e-4


@dataclass(frozen=True)
class DriftTest:
    """Result of comparing a reference sample with a current one."""

    statistic: float
    p_value: float

    def drifted(self, alpha: float) -> bool:
        """True when the difference is too large to be chance at significance ``alpha``."""
        return self.p_value < alpha


def ks_drift(reference: Sequence[float], current: Sequence[float]) -> DriftTest:
    """Two-sample Kolmogorov–Smirnov test (``scipy.stats.ks_2samp``) on finite values only.

    The statistic is the largest gap between the two empirical distribution functions; a small
    p-value says the current window is unlikely to come from the reference distribution.
    """
    from scipy.stats import ks_2samp

    left = [float(value) for value in reference if _finite(value)]
    right = [float(value) for value in current if _finite(value)]
    if not left or not right:
        return DriftTest(statistic=0.0, p_value=1.0)
    result = ks_2samp(left, right)
    return DriftTest(statistic=float(result.statistic), p_value=float(result.pvalue))


def population_stability_index(
    reference: Sequence[float], current: Sequence[float], *, bins: int = 10
) -> float:
    """PSI of ``current`` against ``reference`` over quantile bins of the reference.

    ``sum((p - q) * ln(p / q))`` over bins: 0 for identical shares; practitioners read < 0.1 as
    stable, 0.1–0.25 as a moderate shift and > 0.25 as a major one.
    """
    import numpy as np

    left = np.asarray([float(value) for value in reference if _finite(value)])
    right = np.asarray([float(value) for value in current if _finite(value)])
    if left.size == 0 or right.size == 0:
        return 0.0
    edges = np.unique(np.quantile(left, np.linspace(0.0, 1.0, bins + 1)))
    inner = edges[1:-1]
    expected = np.bincount(np.searchsorted(inner, left, side="right"), minlength=len(edges) - 1)
    actual = np.bincount(np.searchsorted(inner, right, side="right"), minlength=len(edges) - 1)
    return _psi(expected.tolist(), actual.tolist())


def category_psi(reference: Sequence[Hashable], current: Sequence[Hashable]) -> float:
    """PSI between the category shares of two samples (e.g. deduction types, decisions)."""
    categories = sorted({str(value) for value in [*reference, *current]})
    expected = [sum(1 for value in reference if str(value) == name) for name in categories]
    actual = [sum(1 for value in current if str(value) == name) for name in categories]
    if not reference or not current:
        return 0.0
    return _psi(expected, actual)


def _psi(expected_counts: Sequence[int], actual_counts: Sequence[int]) -> float:
    expected_total, actual_total = sum(expected_counts), sum(actual_counts)
    total = 0.0
    for expected, actual in zip(expected_counts, actual_counts, strict=True):
        p = max(expected / expected_total, EMPTY_BIN_SHARE)
        q = max(actual / actual_total, EMPTY_BIN_SHARE)
        total += (q - p) * math.log(q / p)
    return round(total, 6)


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class PageHinkley:
    """Page–Hinkley test: alarms when a running mean drops well below its own history.

    Feed it a quality signal one value at a time (1.0 = the model was right, 0.0 = wrong, or a
    confidence). It accumulates how far each value falls below the running mean, minus a
    tolerance ``delta``; when that sum exceeds ``threshold`` above its minimum, the mean dropped.
    """

    def __init__(self, *, delta: float = 0.05, threshold: float = 10.0, min_samples: int = 30):
        self.delta = delta
        self.threshold = threshold
        self.min_samples = min_samples
        self.reset()

    def reset(self) -> None:
        """Forget everything seen so far (e.g. after the model was retrained)."""
        self.samples = 0
        self.mean = 0.0
        self.cumulative = 0.0
        self.minimum = 0.0

    def update(self, value: float) -> bool:
        """Add one value; True when the mean has dropped (the alarm condition holds)."""
        if not _finite(value):
            return False
        self.samples += 1
        self.mean += (float(value) - self.mean) / self.samples
        self.cumulative += self.mean - float(value) - self.delta
        self.minimum = min(self.minimum, self.cumulative)
        return self.samples >= self.min_samples and self.statistic > self.threshold

    @property
    def statistic(self) -> float:
        """How far the cumulative drop is above its minimum."""
        return self.cumulative - self.minimum
