"""The ML component: a small CNN that names the word in one audio segment.

The network sees a log-mel spectrogram of one segment and scores every vocabulary word plus
``<unk>``. :class:`SpeechModel` wraps it with what the rest of the system needs: a confidence per
word (softmax probability after temperature scaling, so that 0.9 means right about 90% of the
time on data like the calibration split) and the top-3 alternatives an editor can pick from.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlip.errors import InputError
from mlip.systems.transcription._features import MEL_BANDS, WINDOW_FRAMES, fixed_windows, log_mel
from mlip.systems.transcription._speech import SAMPLE_RATE

if TYPE_CHECKING:
    import numpy as np
    import torch


__all__ = [
    "CLASSIFIER_LAYERS",
    "Recognition",
    "SpeechModel",
    "WordGuess",
    "build_network",
    "classifier_layers",
    "feature_layers",
    "torch_threads",
]


@contextlib.contextmanager
def torch_threads(count: int = 1) -> Iterator[None]:
    """Run torch on ``count`` threads inside the block (or the decorated call), restored
    after. The service's tensors are small: one thread keeps runs repeatable, and on a busy
    2-core machine a second one made a feedback-loop round 4x slower."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


#: Simulated compute cost of the healthy model: seconds of processing per second of audio.
COMPUTE_SECONDS_PER_AUDIO_SECOND = 0.02
#: The last layers of :func:`build_network` (dropout and the linear layer from the 128 learned
#: features to one score per word): what a retrain on new labels replaces.
CLASSIFIER_LAYERS = 2


@dataclass(frozen=True)
class WordGuess:
    """The model's answer for one segment."""

    text: str
    confidence: float
    alternatives: tuple[tuple[str, float], ...]  # top-3 (text, probability), best first


@dataclass(frozen=True)
class Recognition:
    """All guesses for one upload plus the (simulated) seconds the model took."""

    words: tuple[WordGuess, ...]
    seconds: float


def build_network(n_classes: int) -> torch.nn.Module:
    """Three conv blocks over the ``(1, MEL_BANDS, WINDOW_FRAMES)`` spectrogram, then two layers."""
    from torch import nn

    def block(inputs: int, outputs: int) -> list[nn.Module]:
        return [
            nn.Conv2d(inputs, outputs, 3, padding=1, bias=False),
            nn.BatchNorm2d(outputs),
            nn.ReLU(),
            nn.MaxPool2d(2),
        ]

    flat = 32 * (MEL_BANDS // 8) * (WINDOW_FRAMES // 8)
    return nn.Sequential(
        *block(1, 8),
        *block(8, 16),
        *block(16, 32),
        nn.Flatten(),
        nn.Dropout(0.3),
        nn.Linear(flat, 128),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(128, n_classes),
    )


def feature_layers(network: torch.nn.Module) -> torch.nn.Sequential:
    """The convolutional part and first dense layer: spectrogram in, 128 learned features out."""
    from torch import nn

    return nn.Sequential(*list(network.children())[:-CLASSIFIER_LAYERS])


def classifier_layers(network: torch.nn.Module) -> torch.nn.Sequential:
    """The layers that turn the 128 features into one score per word (shared, not copied)."""
    from torch import nn

    return nn.Sequential(*list(network.children())[-CLASSIFIER_LAYERS:])


class SpeechModel:
    """A trained network, its labels and its calibration temperature."""

    def __init__(self, network: torch.nn.Module, labels: Sequence[str], temperature: float) -> None:
        self.network = network.eval()
        self.labels = tuple(labels)
        self.temperature = float(temperature)

    def logits(self, pieces: Sequence[np.ndarray]) -> torch.Tensor:
        """Raw network scores ``(n, classes)`` for audio segments (before temperature)."""
        import torch

        with torch.inference_mode():
            return self.network(log_mel(fixed_windows(pieces)))

    def recognize(self, pieces: Sequence[np.ndarray]) -> Recognition:
        """The most likely word, its confidence and top-3 alternatives for every segment."""
        import torch

        seconds = sum(len(p) for p in pieces) / SAMPLE_RATE * COMPUTE_SECONDS_PER_AUDIO_SECOND
        if not pieces:
            return Recognition((), seconds)
        probabilities = torch.softmax(self.logits(pieces) / self.temperature, dim=1)
        top_p, top_i = probabilities.topk(3, dim=1)
        guesses = []
        for row_p, row_i in zip(top_p.tolist(), top_i.tolist(), strict=True):
            alternatives = tuple(
                (self.labels[i], round(p, 6)) for p, i in zip(row_p, row_i, strict=True)
            )
            guesses.append(WordGuess(alternatives[0][0], alternatives[0][1], alternatives))
        return Recognition(tuple(guesses), seconds)

    def save(self, path: Path, *, metrics: dict[str, float] | None = None) -> None:
        """Write a small checkpoint: the state dict plus labels and temperature."""
        import torch

        path.parent.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().clone() for k, v in self.network.state_dict().items()}
        torch.save(
            {
                "state_dict": state,
                "labels": list(self.labels),
                "temperature": self.temperature,
                "metrics": dict(metrics or {}),
            },
            path,
        )

    @classmethod
    def load(cls, path: Path) -> SpeechModel:
        """Read a checkpoint written by :meth:`save`; a clear :class:`InputError` otherwise."""
        import torch

        if not path.is_file():
            raise InputError(f"no speech model checkpoint at {path}")
        try:
            data: Any = torch.load(path, map_location="cpu", weights_only=True)
            labels = [str(label) for label in data["labels"]]
            network = build_network(len(labels))
            network.load_state_dict(data["state_dict"])
        except Exception as error:  # any unreadable file is the user's input problem
            reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
            raise InputError(f"{path} is not a transcription model checkpoint: {reason}") from None
        return cls(network, labels, float(data["temperature"]))
