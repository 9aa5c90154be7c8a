"""The tax system's feedback loop: the upsell decides whose audits the company ever learns about.

One round is one filing season of fresh, truthful returns. The system scores every return with
the current audit-risk model and prompts the returns it rates high-risk with the audit-protection
upsell on every screen (the naive system of :mod:`._simulation`, vectorised; the advice to lower
entries is left out because it does not change who is labelled). Customers who bought protection
have their audit handled by the company, so for them it learns the outcome either way; the
others report an audit only half of the time and never report that they were *not* audited.

Label sources (:data:`LABEL_SOURCES`):

``protected``
    Only the outcomes the company knows for sure: its protected customers. They are the
    customers the model flagged, so the next model learns only from returns the last one
    already rated risky — the selective-labels loop.
``reports``
    Every filed return; an audit report makes it positive, silence counts as "not audited"
    (what :func:`._training.train_model` does with the history): more rows, noisier labels.

Exploration gives a random share of filers protection for free: the company learns their
outcome whatever the model said, at the price of the protection it did not sell.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlip.systems.loops import LoopDesign, RoundOutcome
from mlip.systems.metrics import expected_calibration_error
from mlip.systems.tax._metrics import auc, usable_risk
from mlip.systems.tax._model import AuditRiskModel, featurise
from mlip.systems.tax._population import AGE_BANDS, audit_probability, generate_population
from mlip.systems.tax._simulation import (
    ABANDON_BASE,
    ABANDON_PER_PROMPT,
    BUY_DECAY,
    FILING_FEE,
    PROTECTION_PRICE,
    REPORT_SHARE_UNPROTECTED,
)
from mlip.systems.tax._spec import FILING_STEPS, HIGH_RISK_THRESHOLD

__all__ = ["DESIGNS", "LABEL_SOURCES", "POPULATIONS", "LoopWorld"]

DEFAULT_N = 10_000
QUALITY_METRIC = "auc"
HIGHER_QUALITY_IS_BETTER = True
VALUE_METRIC = "net revenue per user (USD)"
FAIRNESS_METRIC = "upsell-rate gap between age bands"
#: A retrain needs this many audited and not-audited examples, else the model stays.
MIN_PER_CLASS = 20
#: Returns in the fixed season every round's model is judged on (against the hidden truth).
EVALUATION_SIZE = 40_000

LABEL_SOURCES: dict[str, str] = {
    "protected": "outcomes of customers with audit protection (sure, but chosen by the model)",
    "reports": "every filed return; an audit report is positive, silence counts as not audited",
}

#: Filer populations a loop can run on, by the filers' mean age: ``usual`` is the public one;
#: ``older_filers`` has more filers in the oldest age band, whose upsell rate the fairness gap
#: compares (hidden checks run it).
POPULATIONS: dict[str, float] = {"usual": 46.0, "older_filers": 58.0}

DESIGNS: dict[str, LoopDesign] = {
    "naive": LoopDesign(name="naive", label_source="protected"),
    "reference": LoopDesign(
        name="reference",
        label_source="reports",
        exploration_share=0.05,
        holdout_share=0.2,
        memory_rounds=2,
    ),
}


class LoopWorld:
    """Seasons of filers for one loop run; the model changes between them, the world does not."""

    def __init__(self, *, seed: int, n: int, population: str = "usual") -> None:
        self.seed = seed
        self.n = n
        self.age_mean = POPULATIONS[population]
        # One fixed, large season judges every round's model: round-to-round differences in
        # ``quality`` then come from the model, not from who happened to file.
        rng = np.random.default_rng([seed, 99])
        everyone = generate_population(rng, EVALUATION_SIZE, age_mean=self.age_mean)
        self.eval_features = featurise(everyone.columns())
        chance = audit_probability(everyone.amounts, everyone.audit_noise)
        self.eval_audited = rng.random(EVALUATION_SIZE) < chance

    def initial_model(self) -> AuditRiskModel:
        from mlip.systems.tax import TaxSystem

        return TaxSystem().load_model()

    def act(
        self,
        model: AuditRiskModel,
        *,
        round_index: int,
        explored: np.ndarray,
        design: LoopDesign,
    ) -> RoundOutcome:
        """File one season with ``model``; ``explored`` filers get protection for free."""
        rng = np.random.default_rng([self.seed, 1, round_index])
        population = generate_population(rng, self.n, age_mean=self.age_mean)
        n = self.n
        u_abandon = rng.random((n, len(FILING_STEPS)))
        u_buy = rng.random((n, len(FILING_STEPS)))
        u_audit = rng.random(n)
        u_report = rng.random(n)

        features = featurise(population.columns())
        risk = model.predict_features(features)
        eval_risk = model.predict_features(self.eval_features)
        flagged = risk >= HIGH_RISK_THRESHOLD
        prompts = np.zeros(n)
        bought = np.zeros(n, dtype=bool)
        abandoned = np.zeros(n, dtype=bool)
        for step in range(len(FILING_STEPS)):
            abandoned |= u_abandon[:, step] < ABANDON_BASE + ABANDON_PER_PROMPT * prompts
            prompt = ~abandoned & flagged & ~bought & ~explored
            prompts += prompt
            persuasion = (0.05 + 0.35 * population.risk_aversion) * BUY_DECAY ** (prompts - 1)
            bought |= prompt & (u_buy[:, step] < persuasion)
        filed = ~abandoned
        protected = filed & (bought | explored)
        audited = u_audit < audit_probability(population.amounts, population.audit_noise)
        reported = filed & audited & (protected | (u_report < REPORT_SHARE_UNPROTECTED))

        if design.label_source == "protected":
            labelled, labels = protected, audited
        else:
            labelled, labels = filed, reported
        label_cost = PROTECTION_PRICE * float((explored & filed).sum())
        revenue = FILING_FEE * float(filed.sum()) + PROTECTION_PRICE * float(bought.sum())
        upsold = prompts > 0
        rates = [upsold[population.age_band == b].mean() for b in range(len(AGE_BANDS))]
        return RoundOutcome(
            features=features,
            labels=labels.astype(float),
            labelled=labelled,
            truth=audited.astype(float),
            explored=explored,
            quality=auc(eval_risk, self.eval_audited),
            fairness_gap=float(max(rates) - min(rates)),
            label_cost=label_cost,
            value=(revenue - label_cost) / n,
            extra={
                "flagged_rate": float(flagged.mean()),
                "calibration_error": expected_calibration_error(
                    usable_risk(eval_risk).tolist(), self.eval_audited.tolist()
                ),
                "mean_risk": float(np.mean(eval_risk)),
                "true_audit_rate": float(np.mean(self.eval_audited)),
                "conversion_rate": float(bought.mean()),
                "abandon_rate": float(abandoned.mean()),
            },
        )

    def quality(self, model: AuditRiskModel, features: np.ndarray, labels: np.ndarray) -> float:
        """AUC of the model's risk against ``labels`` (0.5 when only one class is present)."""
        return auc(model.predict_features(features), labels.astype(bool))

    def fit(
        self, features: np.ndarray, labels: np.ndarray, *, round_index: int
    ) -> AuditRiskModel | None:
        """Retrain with the system's own fitting code; None when one class is too rare."""
        from mlip.systems.tax._training import fit_audit_risk_model

        positives = int(labels.sum())
        if min(positives, len(labels) - positives) < MIN_PER_CLASS:
            return None
        info: dict[str, Any] = {"loop_round": round_index, "n_train": len(labels)}
        return fit_audit_risk_model(features, labels.astype(bool), info=info)
