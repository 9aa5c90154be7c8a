"""The one calibration metric every system reports as ``ece``."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

import mlip.systems.metrics
from mlip.systems.metrics import CALIBRATION_BINS, expected_calibration_error


def test_the_docstring_example_holds() -> None:
    assert doctest.testmod(mlip.systems.metrics).failed == 0


def test_ece_is_the_size_weighted_gap_between_confidence_and_frequency() -> None:
    rng = np.random.default_rng(0)
    probabilities = rng.random(2_000)
    outcomes = rng.random(2_000) < probabilities**2  # overconfident on purpose
    bins = np.minimum((probabilities * CALIBRATION_BINS).astype(int), CALIBRATION_BINS - 1)
    expected = sum(
        (bins == b).mean() * abs(probabilities[bins == b].mean() - outcomes[bins == b].mean())
        for b in range(CALIBRATION_BINS)
        if (bins == b).any()
    )
    assert math.isclose(expected_calibration_error(probabilities, outcomes), expected)
    assert expected > 0.1


def test_a_calibrated_forecaster_scores_near_zero_and_a_confident_wrong_one_near_one() -> None:
    rng = np.random.default_rng(1)
    probabilities = rng.random(50_000)
    assert expected_calibration_error(probabilities, rng.random(50_000) < probabilities) < 0.01
    assert expected_calibration_error([1.0] * 10, [False] * 10) == 1.0
    assert expected_calibration_error([], []) == 0.0


@pytest.mark.parametrize("bad", [math.nan, math.inf, -0.1, 1.5])
def test_probabilities_outside_zero_one_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="finite and in"):
        expected_calibration_error([0.5, bad], [True, False])


def test_lengths_must_match_and_bins_must_be_positive() -> None:
    with pytest.raises(ValueError):
        expected_calibration_error([0.5], [True, False])
    with pytest.raises(ValueError, match="bins"):
        expected_calibration_error([0.5], [True], bins=0)
