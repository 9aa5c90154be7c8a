"""The ML component: a calibrated audit-risk classifier stored as plain arrays.

Training (``_training.py``) fits scikit-learn's ``CalibratedClassifierCV`` around a
``LogisticRegression`` with isotonic calibration. Pickles break across scikit-learn versions, so
the checkpoint is JSON: the scaler, each fold's coefficients and each fold's isotonic curve.
Prediction replays exactly what scikit-learn does (mean over folds of the isotonic curve applied
to the logistic decision function) with numpy alone, which also keeps ``run`` from importing
scikit-learn at all.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from mlip.errors import InputError
from mlip.systems.tax._population import round_share

__all__ = [
    "FEATURE_NAMES",
    "AuditRiskModel",
    "FaultyAuditRiskModel",
    "featurise",
]

FORMAT = "mlip-tax-audit-risk/1"

FEATURE_NAMES: tuple[str, ...] = (
    "log_wages",
    "log_self_employment_income",
    "log_business_expenses",
    "log_home_office",
    "log_investment_income",
    "log_crypto_gains",
    "log_mortgage_interest",
    "log_medical",
    "log_charitable",
    "log_home_energy",
    "log_total_income",
    "log_total_income_squared",
    "deductions_to_income",
    "deductions_to_income_squared",
    "charitable_to_income",
    "expenses_to_self_employment",
    "home_office_without_business",
    "has_self_employment",
    "has_crypto",
    "round_share",
    "married_joint",
    "head_of_household",
)


def featurise(columns: Mapping[str, np.ndarray]) -> np.ndarray:
    """Turn return columns (dollar amounts, ``filing_status`` index) into model features.

    Missing amounts (NaN) stay NaN in every feature they touch: the model does not guess.
    """
    a = {name: np.asarray(values, dtype=float) for name, values in columns.items()}

    def log(values: np.ndarray) -> np.ndarray:
        return np.log1p(np.maximum(values, 0.0) + np.where(np.isnan(values), np.nan, 0.0))

    total = a["wages"] + a["self_employment_income"] + a["investment_income"] + a["crypto_gains"]
    safe_total = np.maximum(total, 1.0)
    deductions = a["mortgage_interest"] + a["medical"] + a["charitable"] + a["home_energy"]
    deduction_ratio = np.clip(deductions / safe_total, 0.0, 3.0)
    se = a["self_employment_income"]
    expense_ratio = np.clip(a["business_expenses"] / np.maximum(se, 1.0), 0.0, 3.0)
    log_total = log(total)
    status = a["filing_status"]
    columns_out = [
        log(a["wages"]),
        log(se),
        log(a["business_expenses"]),
        log(a["home_office"]),
        log(a["investment_income"]),
        log(a["crypto_gains"]),
        log(a["mortgage_interest"]),
        log(a["medical"]),
        log(a["charitable"]),
        log(a["home_energy"]),
        log_total,
        (log_total - 11.0) ** 2,
        deduction_ratio,
        deduction_ratio**2,
        np.clip(a["charitable"] / safe_total, 0.0, 3.0),
        expense_ratio,
        ((a["home_office"] > 0) & (se <= 0)).astype(float),
        (se > 0).astype(float),
        (a["crypto_gains"] > 0).astype(float),
        round_share(a),
        (status == 1).astype(float),
        (status == 2).astype(float),
    ]
    features = np.column_stack(columns_out)
    # Comparisons with NaN are False; keep missing inputs visible in the indicator columns too.
    missing = np.zeros(len(total), dtype=bool)
    for name in ("wages", "self_employment_income", "home_office", "crypto_gains"):
        missing |= np.isnan(a[name])
    features[missing] = np.nan
    return features


class AuditRiskModel:
    """Estimated probability that the tax office audits a return.

    ``predict_risk`` takes return columns (see :func:`featurise`) and returns one risk per
    return. ``seconds_per_return`` is the simulated latency the system's clock charges per
    return scored (a real model server is not instant; the ``slow`` fault makes it large).
    """

    seconds_per_return: float = 0.02

    def __init__(
        self,
        *,
        mean: np.ndarray,
        scale: np.ndarray,
        coefficients: np.ndarray,
        intercepts: np.ndarray,
        calibration_x: list[np.ndarray],
        calibration_y: list[np.ndarray],
        info: Mapping[str, Any] | None = None,
    ) -> None:
        self.mean_ = np.asarray(mean, dtype=float)
        self.scale_ = np.asarray(scale, dtype=float)
        self.coefficients_ = np.asarray(coefficients, dtype=float)
        self.intercepts_ = np.asarray(intercepts, dtype=float)
        self.calibration_x_ = [np.asarray(x, dtype=float) for x in calibration_x]
        self.calibration_y_ = [np.asarray(y, dtype=float) for y in calibration_y]
        self.info = dict(info or {})

    def decision_function(self, features: np.ndarray) -> np.ndarray:
        """Each fold's logistic score (rows: returns, columns: folds)."""
        standardised = (features - self.mean_) / self.scale_
        return standardised @ self.coefficients_.T + self.intercepts_

    def predict_features(self, features: np.ndarray) -> np.ndarray:
        """Calibrated risk from a feature matrix."""
        scores = self.decision_function(features)
        folds = [
            np.interp(scores[:, k], x, y)
            for k, (x, y) in enumerate(zip(self.calibration_x_, self.calibration_y_, strict=True))
        ]
        risk = np.clip(np.mean(folds, axis=0), 0.0, 1.0)
        return np.where(np.isnan(scores).any(axis=1), np.nan, risk)

    def predict_risk(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        """Risk for each return in ``columns``."""
        return self.predict_features(featurise(columns))

    # -- checkpoint --------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """Plain data that reconstructs the model with any numpy / scikit-learn version."""

        def rounded(values: np.ndarray) -> list[float]:
            return [float(v) for v in np.asarray(values, dtype=float).ravel()]

        return {
            "format": FORMAT,
            "features": list(FEATURE_NAMES),
            "mean": rounded(self.mean_),
            "scale": rounded(self.scale_),
            "coefficients": [rounded(row) for row in self.coefficients_],
            "intercepts": rounded(self.intercepts_),
            "calibration": [
                {"x": rounded(x), "y": rounded(y)}
                for x, y in zip(self.calibration_x_, self.calibration_y_, strict=True)
            ],
            "info": self.info,
        }

    def save(self, path: Path) -> None:
        """Write the JSON checkpoint."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> AuditRiskModel:
        """Read a checkpoint written by :meth:`save`; ``InputError`` if it is not one."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise InputError(f"cannot read tax model checkpoint {path}: {error}") from error
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise InputError(f"{path} is not a tax audit-risk checkpoint ({FORMAT})")
        if data.get("features") != list(FEATURE_NAMES):
            raise InputError(f"{path} was trained on different features than this version uses")
        try:
            return cls(
                mean=np.array(data["mean"]),
                scale=np.array(data["scale"]),
                coefficients=np.array(data["coefficients"]),
                intercepts=np.array(data["intercepts"]),
                calibration_x=[np.array(c["x"]) for c in data["calibration"]],
                calibration_y=[np.array(c["y"]) for c in data["calibration"]],
                info=data.get("info", {}),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise InputError(f"malformed tax model checkpoint {path}: {error}") from error


class FaultyAuditRiskModel:
    """A misbehaving stand-in for :class:`AuditRiskModel` (one of ``FAULT_KINDS``).

    ``slow`` answers like the healthy model but reports 8 simulated seconds per return, which
    the filing flow makes the user wait for; nothing actually sleeps.
    """

    def __init__(self, kind: str, model: AuditRiskModel) -> None:
        self.kind = kind
        self.model = model
        self.seconds_per_return = 8.0 if kind == "slow" else model.seconds_per_return

    def predict_risk(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        """The healthy model's answer, corrupted according to ``kind``."""
        if self.kind == "exception":
            raise RuntimeError("audit-risk service unavailable")
        risk = self.model.predict_risk(columns)
        corrupt = {
            "nan": lambda r: np.full_like(r, math.nan),
            "inf": lambda r: np.full_like(r, math.inf),
            "negative": lambda r: -r - 0.5,
            "huge": lambda r: r * 1e6 + 1e3,
            "constant": lambda r: np.full_like(r, 0.5),
        }
        if self.kind in corrupt:
            return np.asarray(corrupt[self.kind](risk))
        return risk
