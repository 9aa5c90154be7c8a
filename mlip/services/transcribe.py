"""Transcribe one WAV file with the transcription system's committed speech model.

The work is the transcription system's public :func:`mlip.systems.transcription.transcribe`,
the very pipeline its simulated service runs for every upload (intake with its documented
conversions, voice-activity segmentation, the speech model, billing); this service adds the
low-confidence annotation the editor UI shows and plain data for ``--json``. Bad files raise
:class:`~mlip.errors.InputError` with a one-line message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlip.errors import InputError, UsageError
from mlip.systems.transcription import MAX_FILE_BYTES

__all__ = [
    "MAX_FILE_BYTES",
    "RECORDING_TIP",
    "SampleRecording",
    "TranscribedWord",
    "TranscriptResult",
    "record_sample",
    "transcribe_file",
]


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


def transcribe_file(*, path: Path, alternatives: bool = False) -> TranscriptResult:
    """Transcribe the WAV file at ``path``; ``alternatives`` adds each word's top-3 guesses."""
    from mlip.systems.transcription import LOW_CONFIDENCE, transcribe

    transcript = transcribe(path)
    if transcript.model_error is not None:
        raise InputError(f"the speech model failed on {path}: {transcript.model_error}")
    words = tuple(
        TranscribedWord(
            text=word.text,
            confidence=round(word.confidence, 6),
            start_s=round(word.start_s, 3),
            end_s=round(word.end_s, 3),
            low_confidence=word.confidence < LOW_CONFIDENCE,
            alternatives=word.alternatives if alternatives else (),
        )
        for word in transcript.words
    )
    return TranscriptResult(
        path=str(path),
        duration_s=round(transcript.duration_s, 3),
        sample_rate=transcript.sample_rate,
        channels=transcript.channels,
        bits=transcript.bits,
        conversions=transcript.conversions,
        words=words,
        billed_minutes=transcript.billed_minutes,
        price_usd=transcript.price_usd,
        low_confidence_threshold=LOW_CONFIDENCE,
    )


#: What to tell someone about to record themselves for the service.
RECORDING_TIP = (
    "Recording yourself? Say words from the vocabulary (mlip systems show transcription), "
    "one at a time with a clear pause between them: the service cuts the audio at pauses and "
    "knows only its vocabulary (other words come back as <unk>)."
)


@dataclass(frozen=True)
class SampleRecording:
    """A sample recording ``mlip systems record`` wrote."""

    path: str
    words: tuple[str, ...]
    voice: str
    duration_s: float
    sample_rate: int
    unknown_words: tuple[str, ...]
    tip: str = RECORDING_TIP

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {
            "path": self.path,
            "words": list(self.words),
            "voice": self.voice,
            "duration_s": self.duration_s,
            "sample_rate": self.sample_rate,
            "unknown_words": list(self.unknown_words),
            "tip": self.tip,
        }


def record_sample(
    *, text: str, output: Path, voice: str | None = None, force: bool = False
) -> SampleRecording:
    """Speak ``text`` word by word with pauses and write it to ``output`` as a 16-bit WAV file.

    Refuses to replace an existing file unless ``force``; the file appears complete or not at
    all (written beside the target, then renamed).
    """
    import os
    import tempfile

    from mlip.systems.transcription import (
        DEFAULT_VOICE,
        SAMPLE_RATE,
        VOCABULARY,
        encode_wav,
        speak,
    )

    words = tuple(word.strip(".,;:!?\"'").lower() for word in text.split())
    words = tuple(word for word in words if word)
    if not words:
        raise UsageError('give the words to say, e.g. mlip systems record "seven toaster refund"')
    if output.is_dir():
        raise InputError(f"{output} is a folder; give a file name such as memo.wav")
    if output.suffix.lower() != ".wav":
        raise UsageError(f"the recording is a WAV file: name it *.wav, not {output.name!r}")
    if output.exists() and not force:
        raise UsageError(f"{output} already exists; use --force to replace it")
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"folder {folder} does not exist")
    chosen = voice or DEFAULT_VOICE
    try:
        samples = speak(words, voice=chosen)
    except ValueError as error:
        raise UsageError(f"{error}; try {DEFAULT_VOICE}, en-us+f1 or en+m4") from None
    data = encode_wav(samples)
    handle, temporary = tempfile.mkstemp(prefix=".mlip-record-", suffix=".wav", dir=folder)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, output)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise InputError(f"cannot write {output}: {error.strerror}") from None
    known = set(VOCABULARY)
    return SampleRecording(
        path=str(output),
        words=words,
        voice=chosen,
        duration_s=round(len(samples) / SAMPLE_RATE, 3),
        sample_rate=SAMPLE_RATE,
        unknown_words=tuple(word for word in words if word not in known),
    )
