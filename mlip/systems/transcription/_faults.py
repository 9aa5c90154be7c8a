"""Misbehaving stand-ins for the speech model (one per kind in ``FAULT_KINDS``).

They keep the healthy model's interface, so the system cannot tell them apart by type: only by
what they return. ``slow`` answers correctly but reports a simulated compute time far beyond the
service's latency budget (no real sleeping, so runs stay fast and deterministic).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from mlip.systems.transcription._model import Recognition, SpeechModel, WordGuess

if TYPE_CHECKING:
    import numpy as np

__all__ = ["SLOW_SECONDS_PER_CALL", "FaultyModel"]

#: Simulated seconds the ``slow`` model takes per upload.
SLOW_SECONDS_PER_CALL = 120.0
_CORRUPT_CONFIDENCE = {"nan": float("nan"), "inf": float("inf"), "negative": -0.8, "huge": 1e12}


class FaultyModel:
    """Wraps a healthy :class:`SpeechModel` and breaks it in one documented way."""

    def __init__(self, kind: str, model: SpeechModel) -> None:
        self.kind = kind
        self.model = model
        self.labels = model.labels

    def recognize(self, pieces: Sequence[np.ndarray]) -> Recognition:
        """What the broken model answers for these segments."""
        if self.kind == "exception":
            raise RuntimeError("speech model crashed (injected fault)")
        if self.kind == "constant":
            word = self.labels[1]
            guess = WordGuess(
                word, 0.99, ((word, 0.99), (self.labels[2], 0.01), (self.labels[3], 0.0))
            )
            return Recognition(tuple(guess for _ in pieces), 0.001 * len(pieces))
        healthy = self.model.recognize(pieces)
        if self.kind == "slow":
            return replace(healthy, seconds=SLOW_SECONDS_PER_CALL)
        bad = _CORRUPT_CONFIDENCE[self.kind]
        words = tuple(
            WordGuess(g.text, bad, tuple((text, bad) for text, _ in g.alternatives))
            for g in healthy.words
        )
        return Recognition(words, healthy.seconds)
