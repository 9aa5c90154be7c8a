"""Intake: the non-ML gate every upload passes before the speech model hears it.

The service accepts RIFF/WAVE files with linear PCM audio and converts what it safely can:

* **converted** (each conversion is listed in the result): 24- and 32-bit PCM are scaled to the
  same float range as 16-bit; stereo and other multi-channel audio (up to 8 channels) is
  downmixed by averaging the channels; sample rates above 16 kHz (up to 192 kHz) are resampled to
  the model's 16 kHz.
* **rejected** with a one-line :class:`~mlip.errors.InputError`: an empty file, anything that is
  not RIFF/WAVE, a truncated header or truncated audio data, encodings other than PCM (float,
  A-law, mu-law, compressed), 8-bit audio (too coarse for the model), sample rates below 16 kHz
  (upsampling telephone audio cannot restore the frequencies the model relies on), audio shorter
  than ``MIN_DURATION_S`` and audio longer than ``MAX_DURATION_S`` (checked from the header,
  before any audio is read).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlip.errors import InputError
from mlip.systems.transcription._speech import SAMPLE_RATE

if TYPE_CHECKING:
    import numpy as np

__all__ = ["MAX_DURATION_S", "MIN_DURATION_S", "Intake", "encode_wav", "read_wav"]

MAX_DURATION_S = 600.0
MIN_DURATION_S = 0.1
MAX_CHANNELS = 8
MAX_SAMPLE_RATE = 192_000
_PCM = 1
_EXTENSIBLE = 0xFFFE
_FORMAT_NAMES = {3: "IEEE float", 6: "A-law", 7: "mu-law", 2: "ADPCM", 0x55: "MP3"}


@dataclass(frozen=True)
class Intake:
    """Audio ready for the model (16 kHz mono float32) and what was done to get it."""

    audio: np.ndarray
    sample_rate: int  # of the uploaded file
    channels: int
    bits: int
    duration_s: float
    conversions: tuple[str, ...]


def _format_duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def read_wav(data: bytes) -> Intake:
    """Validate WAV bytes and convert them to 16 kHz mono float32, or raise :class:`InputError`."""
    if not data:
        raise InputError("empty file: there is no audio to transcribe")
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        if data[:4] == b"RIFF" and len(data) < 12:
            raise InputError("truncated WAV header: the file ends inside the RIFF header")
        raise InputError("not a WAV file: expected a RIFF/WAVE header (export the audio as .wav)")
    fmt: tuple[int, int, int, int, int] | None = None
    position = 12
    while True:
        if position + 8 > len(data):
            what = "'fmt ' and 'data' chunks" if fmt is None else "'data' chunk"
            raise InputError(f"truncated WAV header: the file ends before its {what}")
        chunk_id = data[position : position + 4]
        (chunk_size,) = struct.unpack("<I", data[position + 4 : position + 8])
        body = position + 8
        if chunk_id == b"fmt ":
            if chunk_size < 16 or body + 16 > len(data):
                raise InputError("truncated WAV header: the 'fmt ' chunk is incomplete")
            fmt = _parse_format(data[body : body + chunk_size])
        elif chunk_id == b"data":
            if fmt is None:
                raise InputError("malformed WAV file: the 'data' chunk comes before 'fmt '")
            return _read_samples(data, body, chunk_size, *fmt)
        position = body + chunk_size + (chunk_size & 1)


def _parse_format(chunk: bytes) -> tuple[int, int, int, int, int]:
    code, channels, rate, _byte_rate, block_align, bits = struct.unpack("<HHIIHH", chunk[:16])
    if code == _EXTENSIBLE and len(chunk) >= 26:
        (code,) = struct.unpack("<H", chunk[24:26])  # first two bytes of the sub-format GUID
    if code != _PCM:
        name = _FORMAT_NAMES.get(code, f"format code {code}")
        raise InputError(f"unsupported WAV encoding ({name}); export the audio as 16-bit PCM")
    if bits == 8:
        raise InputError("8-bit audio is too coarse to transcribe reliably; export 16-bit PCM")
    if bits not in (16, 24, 32):
        raise InputError(f"unsupported bit depth ({bits} bits); export 16-bit PCM")
    if not 1 <= channels <= MAX_CHANNELS:
        raise InputError(f"unsupported channel count ({channels}); use 1 to {MAX_CHANNELS}")
    if rate < SAMPLE_RATE:
        raise InputError(
            f"sample rate {rate} Hz is too low: the service needs at least {SAMPLE_RATE} Hz "
            "(telephone-quality audio lacks the frequencies speech recognition uses)"
        )
    if rate > MAX_SAMPLE_RATE:
        raise InputError(f"sample rate {rate} Hz is above the supported {MAX_SAMPLE_RATE} Hz")
    if block_align != channels * bits // 8:
        raise InputError("malformed WAV header: block alignment does not match the format")
    return code, channels, rate, block_align, bits


def _read_samples(
    data: bytes, body: int, size: int, _code: int, channels: int, rate: int, block: int, bits: int
) -> Intake:
    import numpy as np

    declared_s = size / block / rate
    if declared_s > MAX_DURATION_S:
        raise InputError(
            f"audio is {_format_duration(declared_s)} long; the service accepts at most "
            f"{_format_duration(MAX_DURATION_S)} per upload (split the recording)"
        )
    available = len(data) - body
    if available < size:
        raise InputError(
            f"truncated WAV file: the header announces {size} bytes of audio but only "
            f"{available} are present"
        )
    frames = size // block
    if frames / rate < MIN_DURATION_S:
        raise InputError(
            f"audio is too short ({frames / rate:.3f} s); the service needs at least "
            f"{MIN_DURATION_S} s"
        )
    raw = data[body : body + frames * block]
    width = bits // 8
    if width == 3:
        bytes_ = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        values = bytes_[:, 0] | (bytes_[:, 1] << 8) | (bytes_[:, 2] << 16)
        values = np.where(values >= 1 << 23, values - (1 << 24), values)
    else:
        values = np.frombuffer(raw, {2: "<i2", 4: "<i4"}[width]).astype(np.int64)
    audio = (values / float(1 << (bits - 1))).astype(np.float32).reshape(frames, channels)
    conversions = []
    if bits != 16:
        conversions.append(f"converted {bits}-bit PCM to float")
    if channels > 1:
        conversions.append(f"downmixed {channels} channels to mono")
    mono = audio.mean(axis=1).astype(np.float32)
    if rate != SAMPLE_RATE:
        from math import gcd

        from scipy.signal import resample_poly

        common = gcd(rate, SAMPLE_RATE)
        mono = resample_poly(mono, SAMPLE_RATE // common, rate // common).astype(np.float32)
        conversions.append(f"resampled {rate} Hz to {SAMPLE_RATE} Hz")
    return Intake(mono, rate, channels, bits, frames / rate, tuple(conversions))


def encode_wav(audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> bytes:
    """Mono float audio in [-1, 1] as a 16-bit PCM WAV file (what a customer would upload)."""
    import numpy as np

    pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF", 36 + len(pcm), b"WAVE", b"fmt ", 16, _PCM, 1, sample_rate,
        sample_rate * 2, 2, 16, b"data", len(pcm),
    )  # fmt: skip
    return header + pcm
