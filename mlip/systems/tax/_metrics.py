"""Model-quality metrics in plain numpy (no scikit-learn import during a run).

Calibration (ECE) is the kit's one shared function, :mod:`mlip.systems.metrics`, applied to
:func:`usable_risk`.

Every function returns a Python float rounded to 6 decimals and stays finite on degenerate
input (a single class, constant scores), because small runs and faulty models produce both.
"""

from __future__ import annotations

import numpy as np

__all__ = ["auc", "brier", "usable_risk"]


def usable_risk(risk: np.ndarray) -> np.ndarray:
    """Model output made scoreable: NaN -> 0.5 (no information), the rest clipped to [0, 1]."""
    cleaned = np.nan_to_num(np.asarray(risk, dtype=float), nan=0.5, posinf=1.0, neginf=0.0)
    return np.clip(cleaned, 0.0, 1.0)


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve: the chance a positive outranks a negative (ties count half)."""
    scores = usable_risk(scores)
    labels = np.asarray(labels, dtype=bool)
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return 0.5
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(len(scores))
    # Average ranks over ties so that a constant model scores exactly 0.5.
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    average = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(average, counts)
    rank_sum = ranks[labels].sum()
    value = (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives)
    return round(float(value), 6)


def brier(scores: np.ndarray, labels: np.ndarray) -> float:
    """Mean squared difference between predicted probability and outcome (lower is better)."""
    scores = usable_risk(scores)
    if len(scores) == 0:
        return 0.0
    return round(float(np.mean((scores - np.asarray(labels, dtype=float)) ** 2)), 6)
