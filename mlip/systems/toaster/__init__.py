"""The smart toaster: an ML model decides how long to toast, non-ML parts keep the kitchen safe.

A small neural network predicts the heating seconds that give the shade the user asked for from
sensor readings taken before toasting. Around it sit ordinary parts: the controller that heats,
thermal and smoke sensors, the user's cancel button and a thermal fuse. The naive system heats
for exactly what the model says; the guards assignment (``heating_guard``, ``thermal_cutoff``)
is where students make the whole system safe despite the model's mistakes.

This module is imported when the system is listed, so it imports nothing heavy; the physics
(``_physics``), the world (``_population``), the model (``_model``) and the run loop
(``_simulation``) load inside the methods that need them.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

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
from mlip.systems.toaster._spec import COMPONENTS, CONDITIONS, EXTENSION_POINTS, TELEMETRY_SCHEMA

__all__ = ["ToasterSystem"]

_CHECKPOINT = Path(__file__).with_name("toaster_model.npz")


class ToasterSystem(System):
    """Smart toaster running example (see the module docstring)."""

    name = "toaster"
    title = "Smart toaster"
    summary = (
        "A neural network predicts how many seconds to toast for the desired shade; a "
        "controller, sensors, the user and a thermal fuse decide what actually happens."
    )
    default_n = 10_000

    def components(self) -> tuple[Component, ...]:
        return COMPONENTS

    def extension_points(self) -> tuple[ExtensionPoint, ...]:
        return EXTENSION_POINTS

    def telemetry_schema(self) -> tuple[EventSchema, ...]:
        return TELEMETRY_SCHEMA

    def conditions(self) -> tuple[Condition, ...]:
        return CONDITIONS

    def checkpoint_path(self) -> Path:
        return _CHECKPOINT

    def load_model(self, path: Path | None = None) -> Any:
        from mlip.systems.toaster._model import ToasterModel

        return ToasterModel.load(Path(path) if path is not None else _CHECKPOINT)

    def train(
        self,
        *,
        seed: int = 0,
        quick: bool = False,
        checkpoint: Path | None = None,
        progress: ProgressCallback | None = None,
    ) -> TrainReport:
        from mlip.systems.toaster._model import train_model

        started = time.perf_counter()
        model, info = train_model(seed=seed, quick=quick, progress=progress)
        target = Path(checkpoint) if checkpoint is not None else _CHECKPOINT
        model.save(target)
        return TrainReport(
            system=self.name,
            seed=seed,
            n_train=int(info["n_train"]),
            n_test=int(info["n_test"]),
            metrics=info["metrics"],
            checkpoint=str(target),
            seconds=time.perf_counter() - started,
        )

    def faulty_model(self, kind: str, *, model: Any = None) -> Any:
        self.check_fault_kind(kind)
        from mlip.systems.toaster._model import FaultyToasterModel

        return FaultyToasterModel(kind, model if model is not None else self.load_model())

    def simulate(self, simulation: Simulation) -> tuple[dict[str, float], dict[str, float]]:
        from mlip.systems.toaster._simulation import simulate

        return simulate(simulation)
