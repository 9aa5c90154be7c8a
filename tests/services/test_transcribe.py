"""Transcribing a WAV file: intake validation and conversions, the transcript, and its rendering."""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

import mlip.cli.transcribe as transcribe_cli
from mlip.errors import InputError
from mlip.services.transcribe import TranscriptResult, transcribe_file
from mlip.systems.transcription._speech import SAMPLE_RATE, synthesize_word

WORDS = ("seven", "toaster", "refund")


def _speech(rate: int = SAMPLE_RATE) -> np.ndarray:
    """Three clearly separated words at ``rate`` Hz (float in [-1, 1])."""
    pause = np.zeros(int(0.4 * SAMPLE_RATE), np.float32)
    pieces = [pause]
    for word in WORDS:
        pieces += [synthesize_word(word, "en-us+m1", 160, 45) * np.float32(0.6), pause]
    audio = np.concatenate(pieces)
    if rate != SAMPLE_RATE:
        audio = np.interp(
            np.arange(int(len(audio) * rate / SAMPLE_RATE)) * SAMPLE_RATE / rate,
            np.arange(len(audio)),
            audio,
        ).astype(np.float32)
    return audio


def _wav(
    samples: np.ndarray | bytes,
    *,
    rate: int = SAMPLE_RATE,
    channels: int = 1,
    bits: int = 16,
    format_code: int = 1,
    declared_data_bytes: int | None = None,
) -> bytes:
    """A WAV file built by hand, so tests control every header field."""
    if isinstance(samples, bytes):
        data = samples
    elif bits == 8:
        data = (np.clip(samples, -1, 1) * 127 + 128).astype(np.uint8).tobytes()
    elif bits == 24:
        ints = (np.clip(samples, -1, 1) * 8_388_607).astype("<i4")
        data = b"".join(int(v).to_bytes(3, "little", signed=True) for v in ints)
    else:
        scale, dtype = (32767, "<i2") if bits == 16 else (2_147_483_647, "<i4")
        data = (np.clip(samples, -1, 1) * scale).astype(dtype).tobytes()
    size = len(data) if declared_data_bytes is None else declared_data_bytes
    block = channels * bits // 8
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + size,
        b"WAVE",
        b"fmt ",
        16,
        format_code,
        channels,
        rate,
        rate * block,
        block,
        bits,
        b"data",
        size,
    )
    return header + data


def _write(tmp_path: Path, content: bytes, name: str = "upload.wav") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_transcribes_a_clean_file(tmp_path: Path) -> None:
    result = transcribe_file(path=_write(tmp_path, _wav(_speech())))
    assert result.text == " ".join(WORDS)
    assert result.conversions == () and result.billed_minutes == 1
    starts = [w.start_s for w in result.words]
    assert starts == sorted(starts) and all(w.end_s > w.start_s for w in result.words)
    assert all(w.alternatives == () for w in result.words)


def test_alternatives_on_request(tmp_path: Path) -> None:
    result = transcribe_file(path=_write(tmp_path, _wav(_speech())), alternatives=True)
    for word in result.words:
        assert len(word.alternatives) == 3 and word.alternatives[0][0] == word.text
        assert word.alternatives[0][1] >= word.alternatives[1][1] >= word.alternatives[2][1]


def test_stereo_is_downmixed(tmp_path: Path) -> None:
    mono = _speech()
    stereo = np.stack([mono, mono * 0.5], axis=1).reshape(-1)
    result = transcribe_file(path=_write(tmp_path, _wav(stereo, channels=2)))
    assert result.channels == 2 and "downmixed 2 channels to mono" in result.conversions
    assert result.text == " ".join(WORDS)


def test_higher_sample_rates_are_resampled(tmp_path: Path) -> None:
    result = transcribe_file(path=_write(tmp_path, _wav(_speech(44_100), rate=44_100)))
    assert "resampled 44100 Hz to 16000 Hz" in result.conversions
    assert result.text == " ".join(WORDS)


def test_24_bit_pcm_is_converted(tmp_path: Path) -> None:
    result = transcribe_file(path=_write(tmp_path, _wav(_speech(), bits=24)))
    assert result.bits == 24 and result.text == " ".join(WORDS)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: b"", "empty file"),
        (lambda: b"ID3\x04 this is an mp3, honest" * 4, "not a WAV file"),
        (lambda: b"RIFF\x10\x00", "truncated WAV header"),
        (lambda: _wav(_speech())[:30], "truncated WAV header"),
        (lambda: _wav(_speech())[:2000], "truncated WAV file"),
        (lambda: _wav(_speech(), bits=8), "8-bit"),
        (lambda: _wav(_speech(8_000), rate=8_000), "8000 Hz is too low"),
        (lambda: _wav(b"\x00" * 64, format_code=3, bits=32), "IEEE float"),
        (lambda: _wav(b"\x00" * 64, declared_data_bytes=2 * 3600 * SAMPLE_RATE * 2), "2h 00m 00s"),
        (lambda: _wav(np.zeros(400, np.float32)), "too short"),
    ],
    ids=[
        "empty",
        "not-wav",
        "riff-stub",
        "header-cut",
        "data-cut",
        "8-bit",
        "8-khz",
        "float",
        "two-hours",
        "too-short",
    ],
)
def test_bad_files_are_clear_input_errors(tmp_path: Path, make: object, message: str) -> None:
    path = _write(tmp_path, make())  # type: ignore[operator]
    with pytest.raises(InputError, match=message) as caught:
        transcribe_file(path=path)
    assert "\n" not in str(caught.value)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        transcribe_file(path=tmp_path / "nope.wav")


def test_result_is_plain_json_data(tmp_path: Path) -> None:
    result = transcribe_file(path=_write(tmp_path, _wav(_speech())), alternatives=True)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["text"] == " ".join(WORDS) and len(data["words"]) == 3
    assert {"confidence", "low_confidence", "alternatives"} <= set(data["words"][0])


def _rendered(monkeypatch: pytest.MonkeyPatch, result: TranscriptResult) -> str:
    buffer = io.StringIO()
    monkeypatch.setattr(transcribe_cli, "console", Console(file=buffer, width=80))
    transcribe_cli.render_transcript(result)
    return buffer.getvalue()


def test_rendering_highlights_low_confidence_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    result = transcribe_file(path=_write(tmp_path, _wav(_speech())), alternatives=True)
    unsure = replace(result.words[1], confidence=0.31, low_confidence=True)
    shown = _rendered(
        monkeypatch, replace(result, words=(result.words[0], unsure, result.words[2]))
    )
    assert "seven toaster? refund" in shown
    assert "1 word(s) below confidence" in shown
    assert "0.31" in shown  # the alternatives table


def test_command_prints_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, _wav(_speech()))
    transcribe_cli.transcribe(path, json_output=True, alternatives=False)
    data = json.loads(capsys.readouterr().out)
    assert data["text"] == " ".join(WORDS) and "alternatives" not in data["words"][0]
