"""Speed of the transcription service: real-time factor, synthesis speed, a run, and training.

Run with ``python benchmarks/bench_transcription.py`` (``--skip-train`` leaves training out,
``--quick-only`` trains only the reduced model). Prints figures; asserts nothing (timings depend
on the machine and on what else runs on it).

* real-time factor: seconds of processing (segmentation + features + model, one torch thread)
  per second of audio, on a 10 s upload; the target is <= 0.05.
* synthesis: seconds of speech espeak-ng produces per second of wall time, uncached and cached.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from mlip.systems.transcription import TranscriptionSystem
from mlip.systems.transcription._audio import record_utterance
from mlip.systems.transcription._features import segment_words
from mlip.systems.transcription._speech import SAMPLE_RATE, synthesize_word
from mlip.systems.transcription._vocabulary import HELD_OUT_VOICES, VOCABULARY


def _ten_seconds_of_speech() -> np.ndarray:
    rng = np.random.default_rng(0)
    pieces: list[np.ndarray] = []
    while sum(len(p) for p in pieces) < 10 * SAMPLE_RATE:
        words = tuple(str(w) for w in rng.choice(VOCABULARY, 8))
        pieces.append(record_utterance(rng, words, HELD_OUT_VOICES[0]).audio)
    return np.concatenate(pieces)[: 10 * SAMPLE_RATE]


def real_time_factor(model: object) -> None:
    audio = _ten_seconds_of_speech()
    torch.set_num_threads(1)
    recognize = model.recognize  # type: ignore[attr-defined]
    recognize([audio[a:b] for a, b in segment_words(audio)])  # warm up
    repeats = 10
    started = time.perf_counter()
    for _ in range(repeats):
        recognize([audio[a:b] for a, b in segment_words(audio)])
    seconds = (time.perf_counter() - started) / repeats
    print(f"{'transcribe 10 s of audio (1 thread)':<46} {seconds:7.3f} s   RTF {seconds / 10:.4f}")


def synthesis_speed() -> None:
    synthesize_word.cache_clear()
    words = VOCABULARY[:40]
    for label in ("synthesis, uncached", "synthesis, cached"):
        started = time.perf_counter()
        audio_seconds = (
            sum(len(synthesize_word(w, "en-us+m3", 170, 50)) for w in words) / SAMPLE_RATE
        )
        wall = time.perf_counter() - started
        print(f"{label:<46} {wall:7.3f} s   {audio_seconds / wall:8.0f} x real time")


def main() -> None:
    system = TranscriptionSystem()
    model = system.load_model()
    real_time_factor(model)
    synthesis_speed()
    started = time.perf_counter()
    system.run(n=system.default_n, seed=0, model=model)
    print(f"{f'run(n={system.default_n}, seed=0)':<46} {time.perf_counter() - started:7.2f} s")
    if "--skip-train" in sys.argv:
        return
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "speech_model.pt"
        for quick in (True, False):
            if not quick and "--quick-only" in sys.argv:
                break
            report = system.train(seed=0, quick=quick, checkpoint=target)
            label = f"train(seed=0, quick={quick})"
            print(f"{label:<46} {report.seconds:7.2f} s   {dict(report.metrics)}")


if __name__ == "__main__":
    main()
