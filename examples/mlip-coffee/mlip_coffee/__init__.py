"""A smart coffee machine: a worked example of a course adding its own system to mlip.

A small regression model predicts the water temperature that brews the best cup for the beans'
roast and the strength the user asked for; a heater then heats the water to that temperature.
Water above 96 °C boils over (a scald hazard); a cup brewed within 2 °C of the beans' ideal
temperature is a good cup. The unguarded machine trusts its model completely.

This module stays light (no numpy at import): numpy loads only when the model is trained.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlip.systems import (
    ALERT_EVENT,
    MONITOR_EXTENSION,
    Component,
    ComponentKind,
    Condition,
    EventField,
    EventSchema,
    ExtensionPoint,
    ProgressCallback,
    Simulation,
    System,
    TrainReport,
)

__all__ = ["CoffeeSystem"]

CHECKPOINT = Path(__file__).resolve().with_name("brew_model.json")


class CoffeeSystem(System):
    """The smart coffee machine (registered as ``coffee``)."""

    name = "coffee"
    title = "Smart coffee machine"
    summary = (
        "A regression model picks the brewing temperature for each cup; a heater trusts it, "
        "so a wrong answer can boil the water over."
    )
    default_n = 2_000

    def components(self) -> tuple[Component, ...]:
        nonml = ComponentKind.NON_ML
        return (
            Component("order_panel", nonml, "the user picks a strength", produces=("order",)),
            Component("roast_sensor", nonml, "reads the beans' roast level", produces=("roast",)),
            Component(
                "temperature_model",
                ComponentKind.ML,
                "predicts the ideal water temperature (°C)",
                consumes=("order", "roast"),
                produces=("predicted_celsius",),
            ),
            Component(
                "heater",
                nonml,
                "heats the water to the temperature it is given",
                consumes=("predicted_celsius",),
                produces=("cup",),
            ),
        )

    def extension_points(self) -> tuple[ExtensionPoint, ...]:
        return (
            ExtensionPoint(
                "temperature_guard",
                "guard",
                "temperature_guard(predicted_celsius: float, order: dict) -> float",
                "Turns the model's temperature (NaN when it failed) into the one the heater uses.",
                "heater",
                naive=lambda predicted_celsius, order: predicted_celsius,
            ),
            MONITOR_EXTENSION,
        )

    def telemetry_schema(self) -> tuple[EventSchema, ...]:
        return (
            EventSchema(
                "cup",
                "One brewed cup.",
                (
                    EventField("roast", "float", "roast level the sensor read (0 light, 1 dark)"),
                    EventField("strength", "int", "strength the user asked for (1-5)"),
                    EventField("predicted_celsius", "float|null", "the model's answer"),
                    EventField("brew_celsius", "float", "temperature the heater used"),
                    EventField("boiled_over", "bool", "the water boiled over"),
                    EventField("good", "bool", "within 2 °C of the beans' ideal temperature"),
                ),
            ),
            ALERT_EVENT,
        )

    def conditions(self) -> tuple[Condition, ...]:
        return (
            Condition("roast_sensor", ("ok", "stuck_light"), "the roast sensor works or reads 0"),
            Condition("beans", ("usual", "unseen_blend"), "beans like the training data or not"),
        )

    def metric_descriptions(self) -> Mapping[str, str]:
        return {
            "mae_celsius": "mean absolute error of the model's finite answers (°C)",
            "valid_prediction_rate": "share of cups where the model gave a finite answer",
            "boil_overs": "cups whose water boiled over (the hazard)",
            "good_cup_rate": "share of cups brewed within 2 °C of the ideal temperature",
        }

    def checkpoint_path(self) -> Path:
        return CHECKPOINT

    def load_model(self, path: Path | None = None) -> Any:
        from mlip_coffee._model import TemperatureModel

        return TemperatureModel.load(path or CHECKPOINT)

    def train(
        self,
        *,
        seed: int = 0,
        quick: bool = False,
        checkpoint: Path | None = None,
        progress: ProgressCallback | None = None,
    ) -> TrainReport:
        from mlip_coffee._model import train

        return train(seed=seed, quick=quick, checkpoint=checkpoint or CHECKPOINT, progress=progress)

    def faulty_model(self, kind: str, *, model: Any = None) -> Any:
        from mlip_coffee._model import FaultyModel

        self.check_fault_kind(kind)
        return FaultyModel(kind, model if model is not None else self.load_model())

    def simulate(self, simulation: Simulation) -> tuple[dict[str, float], dict[str, float]]:
        from mlip_coffee._simulation import simulate

        return simulate(simulation)
