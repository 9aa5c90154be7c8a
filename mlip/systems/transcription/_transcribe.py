"""The service's pipeline for one recording: intake, segmentation, speech model, billing.

One function, :func:`transcribe`, used by the simulated service for every upload and by
``mlip systems transcribe`` for a student's own file, so both follow the same rules, billing
included. Importing this module is light; numpy and torch load when a recording is transcribed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlip.errors import InputError
from mlip.systems.transcription._speech import SAMPLE_RATE

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "LOW_CONFIDENCE",
    "PRICE_PER_MINUTE",
    "Transcript",
    "TranscriptWord",
    "billed_minutes",
    "transcribe",
]

#: Words below this confidence are highlighted in the editor (and count as low-confidence).
LOW_CONFIDENCE = 0.7
#: What customers pay per started minute of audio in which the service found speech (USD).
PRICE_PER_MINUTE = 0.25


@dataclass(frozen=True)
class TranscriptWord:
    """One recognised word: the model's guess, how sure it is, and where it was heard.

    ``confidence`` is exactly what the model returned (a broken model may return NaN).
    """

    text: str
    confidence: float
    alternatives: tuple[tuple[str, float], ...]  # top-3 (text, probability), best first
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Transcript:
    """What the service made of one recording, and what it charges for it.

    ``segments`` are the word segments' sample ranges in the 16 kHz audio the model heard;
    ``words`` has one entry per segment, or none when the model failed (``model_error`` says
    why). ``model_seconds`` is the model's (simulated) compute time.
    """

    duration_s: float
    sample_rate: int
    channels: int
    bits: int
    conversions: tuple[str, ...]
    segments: tuple[tuple[int, int], ...]
    words: tuple[TranscriptWord, ...]
    model_seconds: float
    model_error: str | None
    billed_minutes: int

    @property
    def text(self) -> str:
        """The transcript as plain text."""
        return " ".join(word.text for word in self.words)

    @property
    def price_usd(self) -> float:
        """What the customer pays for this recording."""
        return round(self.billed_minutes * PRICE_PER_MINUTE, 2)


def billed_minutes(duration_s: float, *, speech_found: bool) -> int:
    """The service's one billing rule: every started minute of a recording with speech in it.

    A recording in which segmentation finds no speech at all (a dead microphone, a silent
    file) costs nothing: the customer gets an empty transcript and no invoice.
    """
    return math.ceil(duration_s / 60) if speech_found else 0


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def transcribe(audio: str | Path | bytes | np.ndarray, *, model: Any = None) -> Transcript:
    """Transcribe one recording: a WAV file's path, its bytes, or 16 kHz mono float samples.

    Samples are encoded as the 16-bit PCM WAV file a customer would upload, so every recording
    passes the same intake. Intake refuses what it cannot use with a one-line
    :class:`~mlip.errors.InputError`. ``model`` is the speech model (default: the committed
    one); whatever it does wrong (raising, a wrong number of words) becomes ``model_error``
    and an empty transcript, never an exception.
    """
    from mlip.systems.transcription._features import segment_words
    from mlip.systems.transcription._intake import encode_wav, read_wav

    if isinstance(audio, str | Path):
        data = _read_file(Path(audio))
    elif isinstance(audio, bytes | bytearray):
        data = bytes(audio)
    else:
        data = encode_wav(audio)
    intake = read_wav(data)
    spans = segment_words(intake.audio)
    if model is None:
        model = _committed_model()
    words: tuple[TranscriptWord, ...] = ()
    seconds = 0.0
    error: str | None = None
    try:
        recognition = model.recognize([intake.audio[a:b] for a, b in spans])
        guesses = tuple(recognition.words)
        seconds = _finite(recognition.seconds) or 0.0
        if len(guesses) != len(spans):
            raise ValueError(f"model returned {len(guesses)} words for {len(spans)} segments")
        words = tuple(
            TranscriptWord(
                text=str(guess.text),
                confidence=guess.confidence,
                alternatives=tuple((str(text), p) for text, p in guess.alternatives),
                start_s=start / SAMPLE_RATE,
                end_s=end / SAMPLE_RATE,
            )
            for guess, (start, end) in zip(guesses, spans, strict=True)
        )
    except Exception as failure:  # the service must survive any model failure
        words = ()
        error = f"{type(failure).__name__}: {failure}"
    return Transcript(
        duration_s=intake.duration_s,
        sample_rate=intake.sample_rate,
        channels=intake.channels,
        bits=intake.bits,
        conversions=intake.conversions,
        segments=tuple((int(a), int(b)) for a, b in spans),
        words=words,
        model_seconds=seconds,
        model_error=error,
        billed_minutes=billed_minutes(intake.duration_s, speech_found=bool(spans)),
    )


#: Larger files are refused before reading (10 minutes of 8-channel 32-bit 192 kHz fits).
MAX_FILE_BYTES = 512 * 1024 * 1024


def _read_file(path: Path) -> bytes:
    if not path.exists():
        raise InputError(f"no such file: {path}")
    if not path.is_file():
        raise InputError(f"not a file: {path}")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(f"{path} is {size // (1024 * 1024)} MB; the service accepts at most "
                         f"{MAX_FILE_BYTES // (1024 * 1024)} MB")  # fmt: skip
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror}") from None


_MODEL: list[Any] = []


def _committed_model() -> Any:
    """The committed speech model, loaded once per process."""
    if not _MODEL:
        from mlip.systems.transcription._model import SpeechModel

        _MODEL.append(SpeechModel.load(Path(__file__).with_name("speech_model.pt")))
    return _MODEL[0]
