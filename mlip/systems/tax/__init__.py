"""Consumer tax-filing software with an ML audit-risk add-on (the second running example).

Most of the system is ordinary software: a filing flow, a deterministic tax calculator, an
upsell service for paid audit protection and e-file submission. The ML component is a small
calibrated classifier that estimates audit risk. The naive system trusts it completely: for
high-risk returns it advises users to *lower* truthful deductions (harmful when they do) and
shows the audit-protection upsell on every screen (annoying: some users give up filing).

This module stays light (no numpy or scikit-learn); the simulation lives in private
submodules imported inside the methods that need them.

Metrics of :meth:`TaxSystem.run` (see :data:`METRIC_DESCRIPTIONS`): ``harmful_advice`` is a
*rate*, the share of users who followed advice to change a truthful entry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from mlip.systems._contract import (
    Component,
    Condition,
    EventSchema,
    ExtensionPoint,
    ProgressCallback,
    Simulation,
    System,
    TrainReport,
)
from mlip.systems.tax._spec import (
    ADVICE_KINDS,
    COMPONENTS,
    CONDITIONS,
    EVENTS,
    EXTENSION_POINTS,
    FILING_STEPS,
    HIGH_RISK_THRESHOLD,
    METRIC_DESCRIPTIONS,
    naive_advice_guard,
    naive_prompt_policy,
)

__all__ = [
    "ADVICE_KINDS",
    "FILING_STEPS",
    "HIGH_RISK_THRESHOLD",
    "METRIC_DESCRIPTIONS",
    "TaxSystem",
    "naive_advice_guard",
    "naive_prompt_policy",
]

CHECKPOINT = Path(__file__).with_name("audit_risk_model.json")


class TaxSystem(System):
    """Tax-filing software whose audit-risk model drives advice and an upsell."""

    name: ClassVar[str] = "tax"
    title: ClassVar[str] = "Tax filing with audit-risk prediction"
    summary: ClassVar[str] = (
        "Consumer tax software; an ML audit-risk model (an add-on) drives advice about "
        "entries and an audit-protection upsell."
    )
    default_n: ClassVar[int] = 10_000

    def components(self) -> tuple[Component, ...]:
        return COMPONENTS

    def extension_points(self) -> tuple[ExtensionPoint, ...]:
        return EXTENSION_POINTS

    def telemetry_schema(self) -> tuple[EventSchema, ...]:
        return EVENTS

    def conditions(self) -> tuple[Condition, ...]:
        return CONDITIONS

    def metric_descriptions(self) -> dict[str, str]:
        """What every ``system_metrics`` key of :meth:`run` means."""
        return dict(METRIC_DESCRIPTIONS)

    def checkpoint_path(self) -> Path:
        return CHECKPOINT

    def load_model(self, path: Path | None = None) -> Any:
        from mlip.systems.tax._model import AuditRiskModel

        return AuditRiskModel.load(path if path is not None else CHECKPOINT)

    def train(
        self,
        *,
        seed: int = 0,
        quick: bool = False,
        checkpoint: Path | None = None,
        progress: ProgressCallback | None = None,
    ) -> TrainReport:
        from mlip.systems.tax._training import train_model

        return train_model(
            seed=seed,
            quick=quick,
            checkpoint=Path(checkpoint) if checkpoint is not None else CHECKPOINT,
            progress=progress,
        )

    def faulty_model(self, kind: str, *, model: Any = None) -> Any:
        self.check_fault_kind(kind)
        from mlip.systems.tax._model import FaultyAuditRiskModel

        return FaultyAuditRiskModel(kind, model if model is not None else self.load_model())

    def simulate(self, simulation: Simulation) -> tuple[dict[str, float], dict[str, float]]:
        from mlip.systems.tax._simulation import simulate

        return simulate(simulation)
