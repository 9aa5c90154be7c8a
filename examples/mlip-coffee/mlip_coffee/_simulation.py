"""One run of the coffee machine: orders, the model, the guard, the heater, the cups."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from typing import Any

from mlip.systems import ProgressCallback, RunResult, System, TelemetrySink, TelemetryStream
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


def simulate(
    system: System,
    *,
    n: int,
    seed: int,
    model: Any,
    extensions: Mapping[str, Callable[..., Any]],
    conditions: Mapping[str, str],
    telemetry: TelemetrySink | None,
    progress: ProgressCallback | None,
) -> RunResult:
    rng = random.Random(seed)
    stream = TelemetryStream(telemetry, monitor=extensions.get("monitor"))
    guard = extensions.get("temperature_guard")
    errors: list[float] = []
    valid = boil_overs = good = 0
    for t in range(n):
        if progress is not None and t % 200 == 0:
            progress(t, n, "brewing")
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
        order = {"roast": round(read_roast, 4), "strength": strength}
        chosen = guard(predicted, order) if guard is not None else predicted
        brew = _heater_target(chosen)
        boiled = brew > BOIL_OVER_CELSIUS
        is_good = not boiled and abs(brew - ideal) <= GOOD_CUP_MARGIN
        boil_overs += boiled
        good += is_good
        stream.emit(
            "cup",
            t,
            roast=round(read_roast, 4),
            strength=strength,
            predicted_celsius=plain_float(predicted),
            brew_celsius=round(brew, 3),
            boiled_over=boiled,
            good=is_good,
        )
    if progress is not None:
        progress(n, n, "brewed")
    return RunResult(
        system=system.name,
        n=n,
        seed=seed,
        model={
            "mae_celsius": round(sum(errors) / len(errors), 6) if errors else 0.0,
            "valid_prediction_rate": round(valid / n, 6),
        },
        system_metrics={
            "boil_overs": float(boil_overs),
            "good_cup_rate": round(good / n, 6),
            "alerts": float(stream.alerts),
        },
        conditions=dict(conditions),
    )
