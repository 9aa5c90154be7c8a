"""Speech synthesis with espeak-ng: the project makes its own recordings instead of downloading any.

espeak-ng (GPL-3.0, shipped as a shared library by the ``espeakng-loader`` wheel) is loaded with
ctypes and used only as a data source. It is one process-global engine, so every call holds a
lock. It speaks at 22.05 kHz; words are trimmed of silence, resampled to the service's 16 kHz and
cached in memory per (word, voice, rate, pitch), because the simulator asks for the same word in
the same voice many times.

Reproducibility: espeak-ng keeps state between utterances in the library's static variables
(pitch flutter position, gain control, wave phase, echo and filter memories) that no API call
resets, not even ``espeak_Terminate`` followed by ``espeak_Initialize``; a few voices also draw
noise from the C library's ``rand()``. Left alone, a word would sound slightly different depending
on what the process said before, and a run's numbers would depend on which runs came earlier. So
every word is spoken by a fresh instance of the library: loaded, initialised, used once,
terminated and unloaded again (``dlclose``), so the next load starts from pristine static
variables; espeak-ng's noise generator and ``rand()`` are seeded before each word. The samples
of a word therefore depend only on (word, voice, rate, pitch), never on call history or on the
cache. The fresh instance costs about half a millisecond per word (synthesis stays a few hundred
times faster than real time) because voices are found by file name, see ``_engine_data``.
Unknown voices, including a misspelt variant that espeak-ng would silently ignore, are a
``ValueError``.
"""

from __future__ import annotations

import ctypes
import os
import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

__all__ = ["ESPEAK_RATE", "SAMPLE_RATE", "synthesize_word"]

#: Sample rate of the whole service (Hz).
SAMPLE_RATE = 16_000
#: Sample rate espeak-ng produces (Hz).
ESPEAK_RATE = 22_050

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAM_RATE, _PARAM_VOLUME, _PARAM_PITCH, _PARAM_RANGE = 1, 2, 3, 4

_lock = threading.Lock()
_CALLBACK_TYPE = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)
_chunks: list[bytes] = []  # filled by the callback while one word is spoken, under the lock


def _collect(wav: Any, count: int, _events: Any) -> int:
    if count > 0 and wav:
        _chunks.append(ctypes.string_at(wav, count * 2))
    return 0


_callback = _CALLBACK_TYPE(_collect)  # module-level: must outlive every library instance


@lru_cache(maxsize=1)
def _paths() -> tuple[str, str]:
    """The wheel's library file and its data directory."""
    import espeakng_loader

    return espeakng_loader.get_library_path(), espeakng_loader.get_data_path()


@lru_cache(maxsize=1)
def _languages() -> dict[str, str]:
    """Lower-case language name (what voice names use) -> its file under ``lang/``."""
    languages: dict[str, str] = {}
    for folder, _dirs, files in sorted(os.walk(os.path.join(_paths()[1], "lang"))):
        for name in sorted(files):
            languages.setdefault(name.lower(), os.path.join(folder, name))
    return languages


@lru_cache(maxsize=1)
def _engine_data() -> str:
    """A private data directory of symbolic links where every language has a lower-case name.

    espeak-ng lower-cases a voice name and looks for that file; ``en-us`` is stored as
    ``lang/gmw/en-US``, so the lookup fails and espeak-ng reads all its ~250 voice files to find
    it: milliseconds that a fresh library instance would pay for every word. Here each language
    file is also reachable as ``voices/<lower-case name>``, next to the real data (linked, not
    copied). Where links cannot be made, the real directory is used: slower, same guarantees.
    """
    import atexit
    import shutil
    import tempfile

    data = _paths()[1]
    private = tempfile.mkdtemp(prefix="mlip-espeak-")
    owner = os.getpid()

    def remove() -> None:
        if os.getpid() == owner:  # a forked child exiting must not delete its parent's directory
            shutil.rmtree(private, ignore_errors=True)

    atexit.register(remove)
    try:
        for entry in os.listdir(data):
            if entry != "voices":
                os.symlink(os.path.join(data, entry), os.path.join(private, entry))
        voices = os.path.join(private, "voices")
        os.mkdir(voices)
        for entry in os.listdir(os.path.join(data, "voices")):
            os.symlink(os.path.join(data, "voices", entry), os.path.join(voices, entry))
        for alias, target in _languages().items():
            os.symlink(target, os.path.join(voices, alias))
    except OSError:
        return data
    return private


def _check_voice(voice: str) -> None:
    """``ValueError`` unless espeak-ng has ``accent+variant``.

    espeak-ng itself silently ignores an unknown variant, which would hide a typo in a voice list.
    """
    accent, _, variant = voice.partition("+")
    variants = os.path.join(_paths()[1], "voices", "!v")
    if accent.lower() not in _languages() or (
        variant and not os.path.isfile(os.path.join(variants, variant))
    ):
        raise ValueError(f"espeak-ng has no voice {voice!r}")


@lru_cache(maxsize=1)
def _c_library() -> Any:
    """The process's C library, whose ``rand()`` state espeak-ng shares with everything else."""
    return ctypes.CDLL(None)


def _load_library() -> Any:
    """A pristine instance of espeak-ng, initialised and ready to speak one utterance."""
    lib: Any = ctypes.CDLL(_paths()[0])
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
    lib.espeak_Synth.argtypes = [
        ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
        ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
    ]  # fmt: skip
    rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, _engine_data().encode(), 0)
    if rate != ESPEAK_RATE:
        _unload_library(lib)
        raise RuntimeError(f"espeak-ng failed to initialise (returned {rate})")
    lib.espeak_SetSynthCallback(_callback)
    return lib


def _unload_library(lib: Any) -> None:
    """Free espeak-ng's memory and unload it, so the next load starts with fresh static state."""
    import _ctypes

    lib.espeak_Terminate()
    close = getattr(_ctypes, "dlclose", None) or getattr(_ctypes, "FreeLibrary", None)
    if close is not None:
        close(lib._handle)


def library_is_unloaded() -> bool:
    """Whether no espeak-ng instance stays loaded between words (what keeps each word pristine)."""
    if not hasattr(os, "RTLD_NOLOAD"):
        return True  # cannot ask the dynamic loader; assume dlclose did its job
    try:
        ctypes.CDLL(_paths()[0], mode=os.RTLD_NOLOAD | os.RTLD_LAZY)
    except OSError:
        return True
    return False


def _speak(text: str, voice: str, rate: int, pitch: int) -> bytes:
    """16-bit PCM at 22.05 kHz for ``text``, from a fresh library instance. Hold ``_lock``."""
    _check_voice(voice)
    lib = _load_library()
    try:
        if lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ValueError(f"espeak-ng has no voice {voice!r}")
        lib.espeak_SetParameter(_PARAM_RATE, rate, 0)
        lib.espeak_SetParameter(_PARAM_PITCH, pitch, 0)
        lib.espeak_SetParameter(_PARAM_RANGE, 50, 0)
        lib.espeak_SetParameter(_PARAM_VOLUME, 100, 0)
        lib.espeak_ng_SetRandSeed(1)
        _c_library().srand(1)  # some voices (klatt 6) draw noise from the C library's rand()
        _chunks.clear()
        data = text.encode() + b"\0"
        lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        return b"".join(_chunks)
    finally:
        _chunks.clear()
        _unload_library(lib)


@lru_cache(maxsize=1)
def _resampling_filter() -> np.ndarray:
    """Low-pass FIR for 22.05 -> 16 kHz, designed once (scipy would redesign it on every call)."""
    from scipy.signal import firwin

    return firwin(2 * 441 * 6 + 1, 1 / 441, window=("kaiser", 5.0))


@lru_cache(maxsize=50_000)
def synthesize_word(word: str, voice: str, rate: int = 170, pitch: int = 50) -> np.ndarray:
    """One spoken word as float32 samples at 16 kHz in [-1, 1], leading/trailing silence trimmed.

    ``rate`` is words per minute, ``pitch`` 0-100 (espeak-ng's scales). The samples depend only on
    the arguments, not on what was synthesised before. The array is cached and shared: callers
    must not modify it in place.
    """
    import numpy as np
    from scipy.signal import resample_poly

    with _lock:
        pcm = _speak(word, voice, rate, pitch)
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768.0
    audio = resample_poly(samples, 320, 441, window=_resampling_filter()).astype(np.float32)
    loud = np.flatnonzero(np.abs(audio) > 0.01)
    if loud.size:
        audio = audio[max(0, loud[0] - 80) : loud[-1] + 80]
    audio.setflags(write=False)
    return audio
