"""The transcription system's public API: transcribe(), one billing rule, vocabulary, speak()."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pytest

import mlip.services.transcribe
from mlip.errors import InputError
from mlip.systems import get_system
from mlip.systems.transcription import (
    PRICE_PER_MINUTE,
    SAMPLE_RATE,
    VOCABULARY,
    billed_minutes,
    encode_wav,
    speak,
    transcribe,
)

WORDS = ("seven", "toaster", "refund", "hello")


@pytest.fixture(scope="module")
def spoken() -> np.ndarray:
    return speak(WORDS)


def test_a_spoken_sample_transcribes_back_to_its_words(spoken: np.ndarray) -> None:
    transcript = transcribe(spoken)
    assert transcript.model_error is None
    assert len(transcript.segments) == len(transcript.words) == len(WORDS)
    assert transcript.text == " ".join(WORDS)
    first, second = transcript.words[:2]
    assert 0 < first.start_s < first.end_s < second.start_s
    assert all(len(word.alternatives) == 3 for word in transcript.words)
    assert transcript.billed_minutes == 1 and transcript.price_usd == PRICE_PER_MINUTE


def test_path_bytes_and_samples_give_the_same_transcript(
    spoken: np.ndarray, tmp_path: Path
) -> None:
    path = tmp_path / "memo.wav"
    path.write_bytes(encode_wav(spoken))
    assert transcribe(path) == transcribe(path.read_bytes()) == transcribe(spoken)
    assert transcribe(str(path)) == transcribe(path)


def test_one_billing_rule_every_started_minute_with_speech_and_silence_is_free() -> None:
    assert billed_minutes(0.5, speech_found=True) == 1
    assert billed_minutes(60.0, speech_found=True) == 1
    assert billed_minutes(60.01, speech_found=True) == 2
    assert billed_minutes(125.0, speech_found=False) == 0
    silent = transcribe(np.zeros(3 * SAMPLE_RATE, np.float32))
    assert silent.words == () and silent.billed_minutes == 0 and silent.price_usd == 0.0


def test_a_failing_model_gives_an_empty_transcript_not_an_exception(spoken: np.ndarray) -> None:
    system = get_system("transcription")
    crashed = transcribe(spoken, model=system.faulty_model("exception"))
    assert crashed.words == () and crashed.model_error is not None
    assert "RuntimeError" in crashed.model_error
    assert len(crashed.segments) == len(WORDS) and crashed.billed_minutes == 1
    corrupt = transcribe(spoken, model=system.faulty_model("nan"))
    assert corrupt.model_error is None and all(math.isnan(w.confidence) for w in corrupt.words)


def test_intake_refusals_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="empty file"):
        transcribe(b"")
    with pytest.raises(InputError, match="no such file"):
        transcribe(tmp_path / "missing.wav")
    with pytest.raises(InputError, match="too short"):
        transcribe(np.zeros(100, np.float32))


def test_the_vocabulary_is_public_and_shown() -> None:
    assert len(VOCABULARY) == len(set(VOCABULARY)) == 85
    assert {"seven", "toaster", "refund"} <= set(VOCABULARY) and "<unk>" not in VOCABULARY
    notes = " ".join(get_system("transcription").notes())
    assert "seven toaster refund" in notes and "pause" in notes and "not billed" in notes
    assert all(word in notes for word in VOCABULARY)


def test_speak_refuses_no_words_and_unknown_voices() -> None:
    with pytest.raises(ValueError, match="no words"):
        speak(())
    with pytest.raises(ValueError, match="no voice"):
        speak(("seven",), voice="en-us+nosuch")


def test_the_service_uses_only_the_public_transcription_api() -> None:
    source = Path(mlip.services.transcribe.__file__).read_text()
    imported = {
        node.module
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module
    }
    private = sorted(name for name in imported if ".transcription._" in name)
    assert not private, f"the service imports private transcription modules: {private}"
