"""Voice-activity segmentation (non-ML) and log-mel features (the ML model's input).

Segmentation is plain signal processing: frames louder than a threshold set between the
recording's noise floor and its loudest speech are speech; short gaps inside a word are closed,
blips too short to be a word are dropped. Each segment should hold one word. Its failures
(words merged in reverberant rooms, words lost under babble) are system errors that no amount
of model accuracy fixes.

Features are log-mel spectrograms computed with torch (no torchaudio), on a fixed window of
``WINDOW_SAMPLES`` centred on the segment, normalised to the segment's loudest bin so that the
recording gain does not matter.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from mlip.systems.transcription._speech import SAMPLE_RATE

if TYPE_CHECKING:
    import numpy as np
    import torch

__all__ = [
    "MEL_BANDS",
    "WINDOW_FRAMES",
    "WINDOW_SAMPLES",
    "fixed_windows",
    "log_mel",
    "segment_words",
]

_FRAME = SAMPLE_RATE // 100  # 10 ms analysis frames for segmentation
_MIN_GAP_FRAMES = 15  # silences shorter than 150 ms are inside a word
_MIN_WORD_FRAMES = 8  # 80 ms: anything shorter is a click, not a word
_PAD_FRAMES = 4

N_FFT = 400
HOP = 200
MEL_BANDS = 32
WINDOW_FRAMES = 64
WINDOW_SAMPLES = HOP * (WINDOW_FRAMES - 1)  # about 0.8 s: long enough for the longest word


def segment_words(audio: np.ndarray) -> list[tuple[int, int]]:
    """Sample ranges ``(start, end)`` of the words found in ``audio`` (16 kHz mono float)."""
    import numpy as np

    frames = len(audio) // _FRAME
    if frames == 0:
        return []
    power = np.mean(
        audio[: frames * _FRAME].reshape(frames, _FRAME).astype(np.float64) ** 2, axis=1
    )
    level_db = 10 * np.log10(power + 1e-10)
    floor_db = float(np.percentile(level_db, 10))
    peak_db = float(np.percentile(level_db, 99))
    if peak_db - floor_db < 6 or peak_db < -60:
        return []  # nothing stands out from the background: no speech
    threshold = floor_db + max(4.0, 0.5 * (peak_db - floor_db))
    active = level_db > threshold
    segments: list[list[int]] = []
    for index in np.flatnonzero(active):
        if segments and index - segments[-1][1] <= _MIN_GAP_FRAMES:
            segments[-1][1] = int(index) + 1
        else:
            segments.append([int(index), int(index) + 1])
    words = []
    for start, end in segments:
        if end - start < _MIN_WORD_FRAMES:
            continue
        first = max(0, start - _PAD_FRAMES) * _FRAME
        last = min(frames, end + _PAD_FRAMES) * _FRAME
        words.append((first, last))
    return words


def fixed_windows(pieces: Sequence[np.ndarray]) -> np.ndarray:
    """Each piece centred in a ``WINDOW_SAMPLES`` window (cropped or zero-padded)."""
    import numpy as np

    out = np.zeros((len(pieces), WINDOW_SAMPLES), np.float32)
    for row, piece in enumerate(pieces):
        if len(piece) > WINDOW_SAMPLES:
            cut = (len(piece) - WINDOW_SAMPLES) // 2
            piece = piece[cut : cut + WINDOW_SAMPLES]
        offset = (WINDOW_SAMPLES - len(piece)) // 2
        out[row, offset : offset + len(piece)] = piece
    return out


@lru_cache(maxsize=1)
def _mel_filters() -> torch.Tensor:
    """Triangular mel filterbank ``(MEL_BANDS, N_FFT // 2 + 1)`` from 60 Hz to 7.6 kHz."""
    import torch

    def to_mel(hz: torch.Tensor) -> torch.Tensor:
        return 2595.0 * torch.log10(1.0 + hz / 700.0)

    def to_hz(mel: torch.Tensor) -> torch.Tensor:
        return 700.0 * (10 ** (mel / 2595.0) - 1.0)

    edges = to_hz(
        torch.linspace(
            float(to_mel(torch.tensor(60.0))), float(to_mel(torch.tensor(7600.0))), MEL_BANDS + 2
        )
    )
    bins = torch.linspace(0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins - lower) / (centre - lower)
    falling = (upper - bins) / (upper - centre)
    return torch.clamp(torch.minimum(rising, falling), min=0.0)


def log_mel(windows: np.ndarray) -> torch.Tensor:
    """Log-mel spectrograms ``(n, 1, MEL_BANDS, WINDOW_FRAMES)`` of ``(n, samples)`` windows."""
    import torch

    signal = torch.from_numpy(windows)
    spectrum = torch.stft(
        signal,
        n_fft=N_FFT,
        hop_length=HOP,
        window=torch.hann_window(N_FFT),
        center=True,
        return_complex=True,
    )
    mel = torch.matmul(_mel_filters(), spectrum.abs() ** 2)
    logs = torch.log(mel + 1e-9)
    loudest = logs.amax(dim=(1, 2), keepdim=True)
    features = torch.clamp(logs - loudest, min=-12.0) / 4.0 + 1.5
    return features.unsqueeze(1)
