"""The ML component: a small neural network that predicts how many seconds to heat.

It is trained with scikit-learn (``MLPRegressor``) on logged sessions, but the checkpoint holds
only the fitted arrays (``.npz``) and inference is a few lines of numpy, so a checkpoint loads
with any scikit-learn version (or none) and prediction is fast.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from mlip.errors import InputError
from mlip.systems._contract import ProgressCallback
from mlip.systems.toaster._physics import time_to_shade
from mlip.systems.toaster._population import (
    READING_NAMES,
    element_health,
    read_sensors,
    sample_sessions,
)

__all__ = [
    "FaultyToasterModel",
    "ToasterModel",
    "fit_toaster_model",
    "make_training_data",
    "train_model",
]

#: Simulated seconds a healthy model takes to answer (the ``slow`` fault takes far longer).
HEALTHY_LATENCY_SECONDS = 0.02
SLOW_LATENCY_SECONDS = 4.0


class ToasterModel:
    """Predicts heating seconds from the pre-toast sensor readings.

    ``predict_seconds(readings)`` is what the toaster calls once per session; ``predict_many``
    does the same for a matrix of readings (columns in :data:`READING_NAMES` order).
    """

    simulated_latency_seconds: float = HEALTHY_LATENCY_SECONDS

    def __init__(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.x_mean = np.asarray(arrays["x_mean"], dtype=float)
        self.x_std = np.asarray(arrays["x_std"], dtype=float)
        self.y_mean = float(arrays["y_mean"])
        self.y_std = float(arrays["y_std"])
        layers = int(arrays["n_layers"])
        self.weights = [np.asarray(arrays[f"w{i}"], dtype=float) for i in range(layers)]
        self.biases = [np.asarray(arrays[f"b{i}"], dtype=float) for i in range(layers)]

    def predict_many(self, readings: np.ndarray) -> np.ndarray:
        hidden = (np.asarray(readings, dtype=float) - self.x_mean) / self.x_std
        for weight, bias in zip(self.weights[:-1], self.biases[:-1], strict=True):
            hidden = np.maximum(hidden @ weight + bias, 0.0)
        out = hidden @ self.weights[-1] + self.biases[-1]
        return np.asarray(out[:, 0] * self.y_std + self.y_mean)

    def predict_seconds(self, readings: Mapping[str, float]) -> float:
        row = np.array([[float(readings[name]) for name in READING_NAMES]])
        return float(self.predict_many(row)[0])

    def arrays(self) -> dict[str, np.ndarray]:
        """Everything the checkpoint stores."""
        out: dict[str, np.ndarray] = {
            "x_mean": self.x_mean,
            "x_std": self.x_std,
            "y_mean": np.array(self.y_mean),
            "y_std": np.array(self.y_std),
            "n_layers": np.array(len(self.weights)),
            "reading_names": np.array(READING_NAMES),
        }
        for i, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            out[f"w{i}"] = weight
            out[f"b{i}"] = bias
        return out

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            np.savez_compressed(handle, **self.arrays())  # type: ignore[arg-type]  # stubs too strict

    @classmethod
    def load(cls, path: Path) -> ToasterModel:
        if not path.is_file():
            raise InputError(f"toaster checkpoint not found: {path}")
        try:
            with np.load(path, allow_pickle=False) as data:
                names = tuple(str(name) for name in data["reading_names"])
                if names != READING_NAMES:
                    raise InputError(f"checkpoint {path} expects readings {names}")
                return cls({key: data[key] for key in data.files})
        except (OSError, KeyError, ValueError) as error:
            raise InputError(f"cannot read toaster checkpoint {path}: {error}") from error


class FaultyToasterModel:
    """A misbehaving stand-in for :class:`ToasterModel` (see ``FAULT_KINDS``)."""

    def __init__(self, kind: str, model: ToasterModel) -> None:
        self.kind = kind
        self.model = model
        self.simulated_latency_seconds = (
            SLOW_LATENCY_SECONDS if kind == "slow" else HEALTHY_LATENCY_SECONDS
        )

    def predict_seconds(self, readings: Mapping[str, float]) -> float:
        if self.kind == "exception":
            raise RuntimeError("model server unavailable")
        if self.kind == "nan":
            return math.nan
        if self.kind == "inf":
            return math.inf
        if self.kind == "constant":
            return 150.0
        if self.kind == "huge":
            return 1e6
        value = self.model.predict_seconds(readings)
        return -abs(value) if self.kind == "negative" else value


def make_training_data(
    seed: int, n: int, *, world: str = "training", element: str = "training"
) -> tuple[np.ndarray, np.ndarray]:
    """Logged sessions: noisy readings and the heating time that gave the desired shade.

    ``world`` and ``element`` choose the population (see ``_population``); tests use them to
    measure the model on conditions the logs lack. The chamber's residual heat is drawn
    directly (not from a sequence of sessions) so the logs cover warm and cold starts evenly.
    """
    rng = np.random.default_rng([seed, 7_000])
    health = element_health(rng, n, element)
    ambient = np.clip(rng.normal(21.0, 3.0, n), 10.0, 32.0)
    batch = sample_sessions(rng, health, ambient, world=world)
    chamber_start = ambient + 160.0 * rng.random(n) ** 2
    readings = read_sensors(rng, batch, chamber_start, sensor_fault="none")
    seconds = time_to_shade(batch, chamber_start)
    logged = seconds + rng.normal(0.0, 1.0, n)
    return readings, logged


def train_model(
    *, seed: int, quick: bool, progress: ProgressCallback | None = None
) -> tuple[ToasterModel, dict[str, Any]]:
    """Fit the network on generated logs; return it with held-out metrics."""
    started = time.perf_counter()
    n_train, n_test, epochs = (3_000, 1_000, 40) if quick else (24_000, 4_000, 150)
    x, y = make_training_data(seed, n_train + n_test)
    x_train, y_train, x_test, y_test = x[:n_train], y[:n_train], x[n_train:], y[n_train:]
    model = fit_toaster_model(x_train, y_train, seed=seed, epochs=epochs, progress=progress)
    predicted = model.predict_many(x_test)
    metrics = regression_metrics(predicted, y_test)
    metrics["train_seconds"] = round(time.perf_counter() - started, 3)
    return model, {"metrics": metrics, "n_train": n_train, "n_test": n_test}


def fit_toaster_model(
    x_train: np.ndarray,
    y_train: np.ndarray,
    *,
    seed: int,
    epochs: int,
    progress: ProgressCallback | None = None,
) -> ToasterModel:
    """Fit the network on given readings and heating times.

    Shared by :func:`train_model` and the feedback loop, which retrains on the labels its
    design collected.
    """
    from sklearn.neural_network import MLPRegressor
    from threadpoolctl import threadpool_limits

    x_mean, x_std = x_train.mean(axis=0), x_train.std(axis=0) + 1e-9
    y_mean, y_std = float(y_train.mean()), float(y_train.std())
    regressor = MLPRegressor(
        hidden_layer_sizes=(32, 32),
        alpha=1e-4,
        learning_rate_init=3e-3,
        batch_size=128,
        random_state=seed,
    )
    with threadpool_limits(limits=1):
        for epoch in range(epochs):
            regressor.partial_fit((x_train - x_mean) / x_std, (y_train - y_mean) / y_std)
            if progress is not None:
                progress(epoch + 1, epochs, "training toaster model")
    arrays: dict[str, Any] = {
        "x_mean": x_mean,
        "x_std": x_std,
        "y_mean": y_mean,
        "y_std": y_std,
        "n_layers": len(regressor.coefs_),
    }
    for i, (weight, bias) in enumerate(zip(regressor.coefs_, regressor.intercepts_, strict=True)):
        arrays[f"w{i}"] = weight
        arrays[f"b{i}"] = bias
    return ToasterModel(arrays)


def regression_metrics(predicted: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    """MAE and R² of predicted vs. ideal seconds; unusable predictions count as 0 seconds."""
    usable = np.where(np.isfinite(predicted), predicted, 0.0)
    error = usable - actual
    variance = float(np.sum((actual - actual.mean()) ** 2))
    r2 = 1.0 - float(np.sum(error**2)) / variance if variance > 0 else 0.0
    return {
        "mae_seconds": round(float(np.mean(np.abs(error))), 6),
        "r2": round(max(r2, -1e12), 6),
        "invalid_rate": round(float(np.mean(~np.isfinite(predicted))), 6),
    }
