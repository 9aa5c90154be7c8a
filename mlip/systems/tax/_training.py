"""Training the audit-risk model from the company's own (imperfect) history.

The company never sees the tax office's decisions directly. It learns that a return was
audited only when the user tells it, weeks later: users with audit protection always do (the
company handles their audit), others only half of the time. At the training cutoff, recent
audits have not been reported yet. Everything without a report counts as "not audited", so the
labels are *selection-biased* (protected users are over-represented) and *delayed* (late
filers look safer than they are). The held-out metrics use those same labels, which is why
they differ from the model metrics of a run, measured against the hidden ground truth.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from mlip.systems._contract import ProgressCallback, TrainReport
from mlip.systems.metrics import expected_calibration_error
from mlip.systems.tax._metrics import auc, brier, usable_risk
from mlip.systems.tax._model import AuditRiskModel, featurise
from mlip.systems.tax._population import PERIODS, audit_probability, generate_population

__all__ = ["HistoricalLabels", "fit_audit_risk_model", "historical_labels", "train_model"]

SEASONS = 3
RETURNS_PER_SEASON = 40_000
QUICK_RETURNS_PER_SEASON = 6_000
MIN_DELAY, MAX_DELAY = 6, 26  # weeks between filing and the company hearing of an audit
REPORT_SHARE_UNPROTECTED = 0.5


class HistoricalLabels:
    """Past returns with both what the company knows and the hidden truth (for evaluation)."""

    def __init__(self, features: np.ndarray, known: np.ndarray, audited: np.ndarray) -> None:
        self.features = features
        self.known = known  # the label the company trains on
        self.audited = audited  # the truth it never sees


def historical_labels(
    rng: np.random.Generator, seasons: int, returns_per_season: int
) -> HistoricalLabels:
    """Simulate past seasons and the audit reports that reached the company by the cutoff."""
    feature_blocks, known_blocks, audited_blocks = [], [], []
    cutoff = seasons * PERIODS
    for season in range(seasons):
        population = generate_population(rng, returns_per_season)
        n = len(population)
        probability = audit_probability(population.amounts, population.audit_noise)
        audited = rng.random(n) < probability
        protected = rng.random(n) < 0.04 + 0.3 * population.risk_aversion
        reported = audited & (protected | (rng.random(n) < REPORT_SHARE_UNPROTECTED))
        arrival = season * PERIODS + population.period + rng.integers(MIN_DELAY, MAX_DELAY + 1, n)
        feature_blocks.append(featurise(population.columns()))
        known_blocks.append(reported & (arrival <= cutoff))
        audited_blocks.append(audited)
    return HistoricalLabels(
        np.vstack(feature_blocks), np.concatenate(known_blocks), np.concatenate(audited_blocks)
    )


def fit_audit_risk_model(
    features: np.ndarray, labels: np.ndarray, *, info: dict[str, Any] | None = None
) -> AuditRiskModel:
    """Fit the calibrated logistic regression on given features and labels.

    Shared by :func:`train_model` and the multi-season feedback loop, which retrains on
    whatever labels its design collected.
    """
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression

    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)  # features the past never varied (home_energy)
    classifier = CalibratedClassifierCV(
        LogisticRegression(C=1.0, max_iter=2000), method="isotonic", cv=3
    )
    classifier.fit((features - mean) / scale, labels)
    folds = classifier.calibrated_classifiers_
    return AuditRiskModel(
        mean=mean,
        scale=scale,
        coefficients=np.vstack([f.estimator.coef_[0] for f in folds]),
        intercepts=np.array([f.estimator.intercept_[0] for f in folds]),
        calibration_x=[f.calibrators[0].X_thresholds_ for f in folds],
        calibration_y=[f.calibrators[0].y_thresholds_ for f in folds],
        info=info,
    )


def train_model(
    *, seed: int, quick: bool, checkpoint: Path, progress: ProgressCallback | None
) -> TrainReport:
    """Fit, evaluate on held-out history and write the JSON checkpoint."""
    started = time.perf_counter()
    total_steps = 4

    def report(done: int, description: str) -> None:
        if progress is not None:
            progress(done, total_steps, description)

    report(0, "simulating past seasons")
    rng = np.random.default_rng([seed, 2])
    per_season = QUICK_RETURNS_PER_SEASON if quick else RETURNS_PER_SEASON
    history = historical_labels(rng, SEASONS, per_season)
    order = rng.permutation(len(history.known))
    n_test = len(order) // 5
    test, fit = order[:n_test], order[n_test:]

    report(1, "fitting calibrated logistic regression")
    model = fit_audit_risk_model(
        history.features[fit],
        history.known[fit],
        info={"seed": seed, "quick": quick, "n_train": len(fit)},
    )

    report(2, "evaluating on held-out returns")
    risk = model.predict_features(history.features[test])
    known = history.known[test]
    truth = history.audited[test]
    metrics = {
        "auc": auc(risk, known),
        "brier": brier(risk, known),
        "ece": round(expected_calibration_error(usable_risk(risk), known), 6),
        "label_rate": round(float(known.mean()), 6),
        "true_audit_rate": round(float(truth.mean()), 6),
        "auc_vs_truth": auc(risk, truth),
        "brier_vs_truth": brier(risk, truth),
        "mean_risk": round(float(risk.mean()), 6),
    }

    report(3, "writing checkpoint")
    model.save(checkpoint)
    report(4, "done")
    return TrainReport(
        system="tax",
        seed=seed,
        n_train=len(fit),
        n_test=n_test,
        metrics=metrics,
        checkpoint=str(checkpoint),
        seconds=time.perf_counter() - started,
    )
