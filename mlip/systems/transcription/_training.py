"""Training the speech model from recordings the simulator makes.

Training utterances use the training voices under a mix of rooms (clean, white noise, babble,
reverberation) and include filler words labelled ``<unk>``. They go through the same
segmentation as production; utterances whose segment count does not match the word count are
skipped, since their labels would be wrong. Some training voices are kept apart as the
calibration split, on which the temperature is fitted: scaling the logits by one number does
not change which word wins, only how confident the model says it is.

Deterministic given the seed: one numpy generator for the data, ``torch.manual_seed`` for the
weights and batch order, and a fixed number of torch threads during training.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlip.systems._contract import ProgressCallback
from mlip.systems.metrics import expected_calibration_error
from mlip.systems.transcription._audio import record_utterance
from mlip.systems.transcription._features import fixed_windows, log_mel, segment_words
from mlip.systems.transcription._model import SpeechModel, build_network, torch_threads
from mlip.systems.transcription._vocabulary import FILLER_WORDS, TRAIN_VOICES, UNKNOWN, VOCABULARY

if TYPE_CHECKING:
    import numpy as np
    import torch

__all__ = ["LABELS", "FittedNetwork", "TrainingOutcome", "fit_speech_model", "train_speech_model"]

#: Class labels in network output order.
LABELS: tuple[str, ...] = (UNKNOWN, *VOCABULARY)
#: Training voices held apart to fit the temperature (and report held-out split metrics).
CALIBRATION_VOICES: tuple[str, ...] = TRAIN_VOICES[::5]
_ROOMS = ("clean", "clean", "white", "babble", "reverb")
_FILLER_SHARE = 0.1
_TRAIN_THREADS = 1  # one thread: deterministic, and robust on a busy 2-core machine


@dataclass(frozen=True)
class TrainingOutcome:
    """A trained model with its calibration-split figures."""

    model: SpeechModel
    n_train: int
    n_test: int
    metrics: dict[str, float]
    seconds: float


def _segments(
    rng: np.random.Generator, utterances: int, voices: Sequence[str]
) -> tuple[list[np.ndarray], list[int]]:
    """Labelled word segments from simulated utterances (mis-segmented ones skipped)."""

    index = {label: i for i, label in enumerate(LABELS)}
    pieces: list[np.ndarray] = []
    labels: list[int] = []
    for _ in range(utterances):
        count = int(rng.integers(1, 9))
        words = tuple(
            str(rng.choice(FILLER_WORDS)) if rng.random() < _FILLER_SHARE
            else str(rng.choice(VOCABULARY))
            for _ in range(count)
        )  # fmt: skip
        recording = record_utterance(
            rng, words, str(rng.choice(voices)), noise=str(rng.choice(_ROOMS))
        )
        spans = segment_words(recording.audio)
        if len(spans) != count:
            continue
        for (start, end), word in zip(spans, words, strict=True):
            pieces.append(recording.audio[start:end])
            labels.append(index.get(word, 0))
    return pieces, labels


def _features(pieces: list[np.ndarray]) -> torch.Tensor:
    import torch

    chunks = [log_mel(fixed_windows(pieces[i : i + 512])) for i in range(0, len(pieces), 512)]
    return torch.cat(chunks) if chunks else torch.zeros(0)


def _fit_temperature(logits: torch.Tensor, labels: torch.Tensor, steps: int = 301) -> float:
    """The temperature minimising negative log-likelihood on the calibration split (grid search)."""
    import torch

    grid = torch.exp(torch.linspace(-1.0, 2.0, steps))
    losses = [float(torch.nn.functional.cross_entropy(logits / t, labels)) for t in grid]
    return float(grid[min(range(len(losses)), key=losses.__getitem__)])


@dataclass(frozen=True)
class FittedNetwork:
    """A trained network with the temperature fitted on the calibration split, and its figures."""

    network: torch.nn.Module
    temperature: float
    metrics: dict[str, float]


def fit_speech_model(
    inputs: torch.Tensor,
    labels: torch.Tensor,
    calibration_inputs: torch.Tensor,
    calibration_labels: torch.Tensor,
    *,
    seed: int,
    epochs: int,
    network: torch.nn.Module | None = None,
    learning_rate: float = 3e-3,
    batch_size: int = 64,
    temperature_steps: int = 301,
    report: ProgressCallback | None = None,
) -> FittedNetwork:
    """Train ``network`` (default: a fresh :func:`build_network`) and fit its temperature.

    Shared by :func:`train_speech_model` (the whole CNN on log-mel spectrograms) and the
    feedback loop, which retrains only the classifier layers on the features the frozen
    convolutional part computed once (so ``inputs`` are whatever ``network`` consumes).
    Deterministic given ``seed``: one torch thread, seeded weights and batch order.
    ``temperature_steps`` is the size of the temperature grid (a coarser one is cheaper).
    """
    import numpy as np
    import torch

    tell = report or (lambda done, total, description: None)
    with torch_threads(_TRAIN_THREADS):
        torch.manual_seed(seed)
        if network is None:
            network = build_network(len(LABELS))
        optimizer = torch.optim.AdamW(network.parameters(), lr=learning_rate, weight_decay=1e-4)
        batches_per_epoch = (len(labels) + batch_size - 1) // batch_size
        schedule = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=learning_rate, total_steps=epochs * batches_per_epoch
        )
        generator = torch.Generator().manual_seed(seed)
        for epoch in range(epochs):
            tell(epoch, epochs, f"training epoch {epoch + 1}/{epochs}")
            network.train()
            order = torch.randperm(len(labels), generator=generator)
            for start in range(0, len(order), batch_size):
                batch = order[start : start + batch_size]
                optimizer.zero_grad()
                loss = torch.nn.functional.cross_entropy(
                    network(inputs[batch]), labels[batch], label_smoothing=0.05
                )
                loss.backward()
                optimizer.step()
                schedule.step()
        network.eval()
        with torch.inference_mode():
            logits = torch.cat(
                [
                    network(calibration_inputs[i : i + 512])
                    for i in range(0, len(calibration_inputs), 512)
                ]
            )
    temperature = _fit_temperature(logits, calibration_labels, temperature_steps)
    probabilities = torch.softmax(logits / temperature, dim=1)
    confidence, predicted = probabilities.max(dim=1)
    correct = (predicted == calibration_labels).tolist()
    metrics = {
        "accuracy": round(float(np.mean(correct)), 6),
        "ece": round(expected_calibration_error(confidence.tolist(), correct), 6),
        "temperature": round(temperature, 6),
    }
    return FittedNetwork(network, temperature, metrics)


def train_speech_model(
    *, seed: int, quick: bool, progress: ProgressCallback | None = None
) -> TrainingOutcome:
    """Simulate recordings, train the CNN, fit the temperature; deterministic given ``seed``."""
    import numpy as np
    import torch

    started = time.perf_counter()
    utterances, epochs = (300, 3) if quick else (3200, 14)
    steps_total = 2 + epochs
    report = progress or (lambda done, total, description: None)
    rng = np.random.default_rng(seed)
    fit_voices = [v for v in TRAIN_VOICES if v not in CALIBRATION_VOICES]
    report(0, steps_total, "recording training utterances")
    train_pieces, train_labels = _segments(rng, utterances, fit_voices)
    calibration_pieces, calibration_labels = _segments(rng, utterances // 4, CALIBRATION_VOICES)
    report(1, steps_total, "computing log-mel features")
    train_x, calibration_x = _features(train_pieces), _features(calibration_pieces)
    train_y = torch.tensor(train_labels)
    calibration_y = torch.tensor(calibration_labels)
    fitted = fit_speech_model(
        train_x,
        train_y,
        calibration_x,
        calibration_y,
        seed=seed,
        epochs=epochs,
        report=lambda done, _total, description: report(2 + done, steps_total, description),
    )
    report(steps_total, steps_total, "done")
    return TrainingOutcome(
        model=SpeechModel(fitted.network, LABELS, fitted.temperature),
        n_train=len(train_y),
        n_test=len(calibration_y),
        metrics=fitted.metrics,
        seconds=time.perf_counter() - started,
    )
