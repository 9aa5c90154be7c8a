"""Recording conditions: how spoken words become the audio a customer uploads.

An utterance is a few words with short, varying pauses between them (a dictation product asks
speakers to pause, which keeps voice-activity segmentation simple). The room and microphone then
add what real uploads suffer from: a gain, white noise or babble (other people talking) at a set
signal-to-noise ratio, or reverberation from an exponentially decaying noise impulse response.
Audio faults (clipping, a dead microphone, dropouts) model broken recording hardware.
Everything is drawn from the ``numpy`` generator passed in, so a seed fixes the recording.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from mlip.systems.transcription._speech import SAMPLE_RATE, synthesize_word
from mlip.systems.transcription._vocabulary import FILLER_WORDS, HELD_OUT_VOICES, TRAIN_VOICES

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "AUDIO_FAULTS",
    "NOISE_KINDS",
    "PITCHES",
    "RATES",
    "Recording",
    "record_utterance",
]

NOISE_KINDS = ("clean", "white", "babble", "reverb")
AUDIO_FAULTS = ("none", "clipped", "silence", "dropout")
#: Speaking rates (words per minute) and pitches (espeak-ng 0-100) a speaker may use.
RATES = (140, 160, 180, 200)
PITCHES = (30, 45, 60, 75)

#: Signal-to-noise ratio ranges (dB) per noise kind; ``noisier`` rooms subtract ``extra_noise_db``.
_SNR_DB = {"clean": (35.0, 45.0), "white": (12.0, 22.0), "babble": (10.0, 18.0)}


@dataclass(frozen=True)
class Recording:
    """One upload's audio with the ground truth the simulator keeps hidden from the system."""

    words: tuple[str, ...]
    audio: np.ndarray  # float32 mono at 16 kHz
    word_spans: tuple[tuple[int, int], ...]  # sample range of each word before effects
    voice: str

    @property
    def duration_s(self) -> float:
        return len(self.audio) / SAMPLE_RATE


def record_utterance(
    rng: np.random.Generator,
    words: tuple[str, ...],
    voice: str,
    *,
    noise: str = "clean",
    audio_fault: str = "none",
    extra_noise_db: float = 0.0,
) -> Recording:
    """Speak ``words`` in ``voice`` with random pauses, rate, pitch and gain, then add the room."""
    import numpy as np

    rate = int(rng.choice(RATES))
    pitch = int(rng.choice(PITCHES))
    pieces: list[np.ndarray] = [np.zeros(int(rng.uniform(0.15, 0.4) * SAMPLE_RATE), np.float32)]
    spans: list[tuple[int, int]] = []
    cursor = len(pieces[0])
    for index, word in enumerate(words):
        spoken = synthesize_word(word, voice, rate, pitch)
        pieces.append(spoken)
        spans.append((cursor, cursor + len(spoken)))
        cursor += len(spoken)
        pause_s = rng.uniform(0.25, 0.55) if index < len(words) - 1 else rng.uniform(0.15, 0.35)
        pause = np.zeros(int(pause_s * SAMPLE_RATE), np.float32)
        pieces.append(pause)
        cursor += len(pause)
    speech = np.concatenate(pieces) * np.float32(rng.uniform(0.25, 0.9))
    speech_power = _speech_power(speech, spans)
    audio = _add_room(rng, speech, speech_power, noise, extra_noise_db)
    audio = _add_fault(rng, audio, audio_fault)
    return Recording(tuple(words), audio.astype(np.float32), tuple(spans), voice)


def _speech_power(speech: np.ndarray, spans: list[tuple[int, int]]) -> float:
    import numpy as np

    if not spans:
        return 1e-4
    return float(np.mean(np.concatenate([speech[a:b] for a, b in spans]) ** 2)) + 1e-12


def _add_room(
    rng: np.random.Generator,
    speech: np.ndarray,
    speech_power: float,
    noise: str,
    extra_noise_db: float,
) -> np.ndarray:
    import numpy as np

    if noise == "reverb":
        speech = _reverberate(rng, speech)
        noise = "clean"
    low, high = _SNR_DB[noise]
    snr_db = rng.uniform(low, high) - extra_noise_db
    noise_power = speech_power / 10 ** (snr_db / 10)
    if noise == "babble":
        bed = _babble_bed()
        start = int(rng.integers(0, len(bed) - len(speech)))
        background = bed[start : start + len(speech)]
        background = background / np.sqrt(np.mean(background**2) + 1e-12)
    else:
        background = rng.standard_normal(len(speech)).astype(np.float32)
    return speech + background.astype(np.float32) * np.float32(np.sqrt(noise_power))


def _reverberate(rng: np.random.Generator, speech: np.ndarray) -> np.ndarray:
    """Convolve with exponentially decaying noise: a cheap model of a reverberant room."""
    import numpy as np

    rt60_s = rng.uniform(0.25, 0.6)  # time for the reverb to decay by 60 dB
    length = int(rt60_s * SAMPLE_RATE)
    times = np.arange(length) / SAMPLE_RATE
    response = rng.standard_normal(length) * np.exp(-6.9 * times / rt60_s)
    response[0] = 1.0 / 0.3  # direct sound dominates the early reflections
    response *= 0.3 / np.sqrt(np.sum(response**2))
    size = 1 << int(np.ceil(np.log2(len(speech) + length)))
    wet = np.fft.irfft(np.fft.rfft(speech, size) * np.fft.rfft(response, size), size)
    wet = wet[: len(speech)]
    peak_ratio = np.max(np.abs(speech)) / (np.max(np.abs(wet)) + 1e-12)
    return (wet * peak_ratio).astype(np.float32)


def _add_fault(rng: np.random.Generator, audio: np.ndarray, fault: str) -> np.ndarray:
    import numpy as np

    if fault == "clipped":  # an over-driven input stage
        return np.clip(audio * 6.0, -0.35, 0.35).astype(np.float32)
    if fault == "silence":  # a dead microphone: only faint electrical noise
        return (rng.standard_normal(len(audio)) * 1e-4).astype(np.float32)
    if fault == "dropout":  # a flaky connection loses 30 ms packets
        packet = int(0.03 * SAMPLE_RATE)
        out = audio.copy()
        lost = rng.random(len(audio) // packet) < 0.25
        for index in np.flatnonzero(lost):
            out[index * packet : (index + 1) * packet] = 0.0
        return out
    return audio


@lru_cache(maxsize=1)
def _babble_bed() -> np.ndarray:
    """Thirty seconds of several people talking at once; the same bed for every run."""
    import numpy as np

    rng = np.random.default_rng(12345)
    length = 30 * SAMPLE_RATE
    bed = np.zeros(length, np.float32)
    voices = TRAIN_VOICES + HELD_OUT_VOICES
    for _talker in range(6):
        voice = str(rng.choice(voices))
        cursor = int(rng.integers(0, SAMPLE_RATE))
        while cursor < length:
            word = synthesize_word(str(rng.choice(FILLER_WORDS)), voice, 180, 50)
            end = min(length, cursor + len(word))
            bed[cursor:end] += word[: end - cursor]
            cursor = end + int(rng.uniform(0.02, 0.15) * SAMPLE_RATE)
    return bed
