"""One run of the coffee machine: orders, the model, the guard, the heater, the cups."""

from __future__ import annotations

import math
import random
from typing import Any

from mlip.systems import Simulation
from mlip_coffee._model import ideal_celsius, plain_float

#: Water above this boils over: the hazard.
BOIL_OVER_CELSIUS = 96.0
#: With no usable target the heater runs until its thermal fuse: the water boils.
HEATER_MAX_CELSIUS = 100.0
GOOD_CUP_MARGIN = 2.0


def _heater_target(value: Any) -> float:
    """What the heater does with a temperature: a non-finite one heats until the fuse."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return HEATER_MAX_CELSIUS
    if not math.isfinite(number):
        return HEATER_MAX_CELSIUS
    return min(max(number, 20.0), HEATER_MAX_CELSIUS)


def simulate(simulation: Simulation) -> tuple[dict[str, float], dict[str, float]]:
    """Brew ``simulation.n`` cups: the guard sees every cup's order in one batch."""
    n, model, conditions = simulation.n, simulation.model, simulation.conditions
    rng = random.Random(simulation.seed)
    errors: list[float] = []
    valid = 0
    cups: list[tuple[float, dict[str, Any], float]] = []  # (model answer, order, ideal)
    for t in range(n):
        if t % 200 == 0:
            simulation.progress(t, n, "brewing")
        true_roast = rng.uniform(0.0, 1.0)
        if conditions["beans"] == "unseen_blend":
            true_roast = rng.uniform(1.0, 1.6)  # darker than anything in the training data
        strength = rng.randint(1, 5)
        read_roast = 0.0 if conditions["roast_sensor"] == "stuck_light" else true_roast
        try:
            predicted = float(model.predict(read_roast, strength))
        except Exception:
            predicted = math.nan
        ideal = ideal_celsius(true_roast, strength)
        if math.isfinite(predicted):
            valid += 1
            errors.append(abs(predicted - ideal))
        cups.append((predicted, {"roast": round(read_roast, 4), "strength": strength}, ideal))
    guard = simulation.extensions.get("temperature_guard")
    chosen = (
        guard.many([(predicted, order) for predicted, order, _ in cups])
        if guard is not None
        else [predicted for predicted, _, _ in cups]
    )
    boil_overs = good = 0
    for t, ((predicted, order, ideal), answer) in enumerate(zip(cups, chosen, strict=True)):
        brew = _heater_target(answer)
        boiled = brew > BOIL_OVER_CELSIUS
        is_good = not boiled and abs(brew - ideal) <= GOOD_CUP_MARGIN
        boil_overs += boiled
        good += is_good
        simulation.telemetry.emit(
            "cup",
            t,
            roast=order["roast"],
            strength=order["strength"],
            predicted_celsius=plain_float(predicted),
            brew_celsius=round(brew, 3),
            boiled_over=boiled,
            good=is_good,
        )
    simulation.progress(n, n, "brewed")
    model_metrics = {
        "mae_celsius": round(sum(errors) / len(errors), 6) if errors else 0.0,
        "valid_prediction_rate": round(valid / n, 6),
    }
    system_metrics = {
        "boil_overs": float(boil_overs),
        "good_cup_rate": round(good / n, 6),
        "alerts": float(simulation.telemetry.alerts),
    }
    return model_metrics, system_metrics
