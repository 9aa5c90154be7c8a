"""The kit's drift statistics agree with scipy's reference implementations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import entropy, ks_2samp

from mlip.monitoring import PageHinkley, category_psi, ks_drift, population_stability_index


def test_ks_drift_matches_scipy_and_ignores_non_finite() -> None:
    rng = np.random.default_rng(0)
    reference, current = rng.normal(0, 1, 300), rng.normal(0.4, 1, 120)
    expected = ks_2samp(reference, current)
    noisy = [*current.tolist(), float("nan"), float("inf"), None]
    test = ks_drift(reference.tolist(), noisy)
    assert test.statistic == pytest.approx(float(expected.statistic))
    assert test.p_value == pytest.approx(float(expected.pvalue))
    assert test.drifted(0.01) and not ks_drift(reference.tolist(), reference.tolist()).drifted(0.01)


def test_ks_drift_on_empty_sample_reports_no_drift() -> None:
    assert ks_drift([], [1.0, 2.0]).p_value == 1.0


def test_psi_is_the_symmetric_kl_divergence_of_bin_shares() -> None:
    rng = np.random.default_rng(1)
    reference, current = rng.normal(0, 1, 2000), rng.normal(0.5, 1.2, 800)
    edges = np.quantile(reference, np.linspace(0, 1, 11))
    inner = edges[1:-1]
    p = np.bincount(np.searchsorted(inner, reference, side="right"), minlength=10) / 2000
    q = np.bincount(np.searchsorted(inner, current, side="right"), minlength=10) / 800
    expected = float(entropy(q, p) + entropy(p, q))  # sum (q - p) ln(q / p)
    assert population_stability_index(reference.tolist(), current.tolist()) == pytest.approx(
        expected, abs=1e-6
    )
    assert population_stability_index(reference.tolist(), reference.tolist()) == 0.0


def test_category_psi_grows_with_a_new_category() -> None:
    usual = ["standard"] * 80 + ["itemized"] * 20
    same = ["standard"] * 40 + ["itemized"] * 10
    shifted = ["standard"] * 30 + ["itemized"] * 10 + ["home_energy"] * 10
    assert category_psi(usual, same) == 0.0
    assert category_psi(usual, shifted) > 0.25


def test_page_hinkley_alarms_on_a_drop_not_on_a_steady_signal() -> None:
    rng = np.random.default_rng(2)
    steady = PageHinkley(delta=0.05, threshold=10.0)
    assert not any(steady.update(float(v)) for v in rng.binomial(1, 0.9, 2000))
    dropping = PageHinkley(delta=0.05, threshold=10.0)
    values = [*rng.binomial(1, 0.9, 500), *rng.binomial(1, 0.6, 500)]
    alarms = [i for i, v in enumerate(values) if dropping.update(float(v))]
    assert alarms and 500 <= alarms[0] < 700
    dropping.reset()
    assert dropping.samples == 0 and not dropping.update(math.nan)
