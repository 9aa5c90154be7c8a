"""The temperature model: a least-squares fit on cups the simulated world brews (no download)."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlip.systems import ProgressCallback, TrainReport

#: The healthy model's answer for a missing or failed call is NaN: the heater then has no target.
NAN = float("nan")


def ideal_celsius(roast: float, strength: int) -> float:
    """The world's truth: lighter roasts and stronger cups want hotter water."""
    return 90.0 + 6.0 * (0.5 - roast) + 0.8 * (strength - 3) + 1.5 * math.sin(4.0 * roast)


def features(roast: float, strength: int) -> list[float]:
    return [1.0, roast, float(strength), roast * roast]


@dataclass(frozen=True)
class TemperatureModel:
    """A linear model over :func:`features`; ``predict`` returns the water temperature (°C)."""

    weights: tuple[float, ...]

    def predict(self, roast: float, strength: int) -> float:
        return sum(w * x for w, x in zip(self.weights, features(roast, strength), strict=True))

    @classmethod
    def load(cls, path: Path) -> TemperatureModel:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(tuple(float(w) for w in data["weights"]))

    def save(self, path: Path) -> None:
        data = {"weights": [round(w, 6) for w in self.weights]}
        Path(path).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


class FaultyModel:
    """A misbehaving stand-in: one of the contract's fault kinds."""

    def __init__(self, kind: str, healthy: TemperatureModel) -> None:
        self.kind = kind
        self.healthy = healthy

    def predict(self, roast: float, strength: int) -> float:
        value = self.healthy.predict(roast, strength)
        if self.kind == "exception":
            raise RuntimeError("model server error")
        return {
            "nan": NAN,
            "inf": math.inf,
            "negative": -value,
            "huge": value * 1000.0,
            "constant": 97.5,
            "slow": NAN,  # the answer arrives after the heater gave up waiting
        }.get(self.kind, value)


def train(
    *, seed: int, quick: bool, checkpoint: Path, progress: ProgressCallback | None
) -> TrainReport:
    """Fit the model on cups the simulated world brews, hold some out, write the checkpoint."""
    import numpy as np

    started = time.monotonic()
    rng = np.random.default_rng(seed)
    n = 300 if quick else 3_000
    roast = rng.uniform(0.0, 1.0, n)
    strength = rng.integers(1, 6, n)
    target = np.array([ideal_celsius(r, int(s)) for r, s in zip(roast, strength, strict=True)])
    target = target + rng.normal(0.0, 0.3, n)
    x = np.array([features(float(r), int(s)) for r, s in zip(roast, strength, strict=True)])
    n_train = int(0.8 * n)
    if progress is not None:
        progress(0, 2, "fitting")
    weights, *_ = np.linalg.lstsq(x[:n_train], target[:n_train], rcond=None)
    model = TemperatureModel(tuple(float(w) for w in weights))
    model.save(checkpoint)
    held_out = np.abs(x[n_train:] @ weights - target[n_train:])
    if progress is not None:
        progress(2, 2, "done")
    return TrainReport(
        system="coffee",
        seed=seed,
        n_train=n_train,
        n_test=n - n_train,
        metrics={"mae_celsius": round(float(held_out.mean()), 4)},
        checkpoint=str(checkpoint),
        seconds=time.monotonic() - started,
    )


def plain_float(value: Any) -> float | None:
    """A prediction as telemetry: a finite float, or None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
