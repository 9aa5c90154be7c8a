"""Transcribe one WAV file with the transcription system's committed speech model.

The same non-ML pipeline as the simulated service: intake (validation and the documented
conversions, see :mod:`mlip.systems.transcription._intake`), voice-activity segmentation, the
speech model, and the low-confidence annotation the editor UI shows. Bad files raise
:class:`~mlip.errors.InputError` with a one-line message.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from mlip.errors import InputError

__all__ = ["MAX_FILE_BYTES", "TranscribedWord", "TranscriptResult", "transcribe_file"]

#: Larger files are refused before reading (10 minutes of 8-channel 32-bit 192 kHz fits).
MAX_FILE_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class TranscribedWord:
    """One word of the transcript, where it was heard and how sure the model is."""

    text: str
    confidence: float
    start_s: float
    end_s: float
    low_confidence: bool
    alternatives: tuple[tuple[str, float], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "text": self.text,
            "confidence": self.confidence,
            "start_s": self.start_s,
            "end_s": self.end_s,
            "low_confidence": self.low_confidence,
        }
        if self.alternatives:
            data["alternatives"] = [[text, p] for text, p in self.alternatives]
        return data


@dataclass(frozen=True)
class TranscriptResult:
    """A transcript with what intake did to the file and what it would be billed."""

    path: str
    duration_s: float
    sample_rate: int
    channels: int
    bits: int
    conversions: tuple[str, ...]
    words: tuple[TranscribedWord, ...]
    billed_minutes: int
    price_usd: float
    low_confidence_threshold: float

    @property
    def text(self) -> str:
        """The transcript as plain text."""
        return " ".join(word.text for word in self.words)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {
            "path": self.path,
            "duration_s": self.duration_s,
            "sample_rate": self.sample_rate,
            "channels": self.channels,
            "bits": self.bits,
            "conversions": list(self.conversions),
            "text": self.text,
            "words": [word.to_dict() for word in self.words],
            "billed_minutes": self.billed_minutes,
            "price_usd": self.price_usd,
            "low_confidence_threshold": self.low_confidence_threshold,
        }


@cache
def _speech_model() -> Any:
    from mlip.systems.transcription import TranscriptionSystem

    return TranscriptionSystem().load_model()


def transcribe_file(*, path: Path, alternatives: bool = False) -> TranscriptResult:
    """Transcribe the WAV file at ``path``; ``alternatives`` adds each word's top-3 guesses."""
    from mlip.systems.transcription._features import segment_words
    from mlip.systems.transcription._intake import read_wav
    from mlip.systems.transcription._simulation import LOW_CONFIDENCE, PRICE_PER_MINUTE
    from mlip.systems.transcription._speech import SAMPLE_RATE

    if not path.exists():
        raise InputError(f"no such file: {path}")
    if not path.is_file():
        raise InputError(f"not a file: {path}")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(f"{path} is {size // (1024 * 1024)} MB; the service accepts at most "
                         f"{MAX_FILE_BYTES // (1024 * 1024)} MB")  # fmt: skip
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror}") from None
    intake = read_wav(data)
    spans = segment_words(intake.audio)
    recognition = _speech_model().recognize([intake.audio[a:b] for a, b in spans])
    words = tuple(
        TranscribedWord(
            text=guess.text,
            confidence=round(guess.confidence, 6),
            start_s=round(start / SAMPLE_RATE, 3),
            end_s=round(end / SAMPLE_RATE, 3),
            low_confidence=guess.confidence < LOW_CONFIDENCE,
            alternatives=tuple(guess.alternatives) if alternatives else (),
        )
        for guess, (start, end) in zip(recognition.words, spans, strict=True)
    )
    billed = max(1, math.ceil(intake.duration_s / 60))
    return TranscriptResult(
        path=str(path),
        duration_s=round(intake.duration_s, 3),
        sample_rate=intake.sample_rate,
        channels=intake.channels,
        bits=intake.bits,
        conversions=intake.conversions,
        words=words,
        billed_minutes=billed,
        price_usd=round(billed * PRICE_PER_MINUTE, 2),
        low_confidence_threshold=LOW_CONFIDENCE,
    )
