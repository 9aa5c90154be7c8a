"""``mlip systems transcribe`` through the CLI's one error handler."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import pytest

from mlip.cli import main
from mlip.systems.transcription._speech import SAMPLE_RATE, synthesize_word


def _write_wav(path: Path, words: tuple[str, ...], *, channels: int = 1) -> Path:
    pause = np.zeros(int(0.4 * SAMPLE_RATE), np.float32)
    pieces = [pause]
    for word in words:
        pieces += [synthesize_word(word, "en-us+m1", 160, 45) * np.float32(0.6), pause]
    samples = (np.concatenate(pieces) * 32767).astype("<i2")
    if channels == 2:
        samples = np.repeat(samples, 2)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(samples.tobytes())
    return path


def test_transcribes_a_file_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write_wav(tmp_path / "memo.wav", ("seven", "toaster", "refund"))
    code = main(["systems", "transcribe", str(path), "--json", "--alternatives"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [w["text"] for w in data["words"]] == ["seven", "toaster", "refund"]
    assert all(len(w["alternatives"]) == 3 for w in data["words"])


def test_rich_view_prints_the_transcript(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write_wav(tmp_path / "stereo.wav", ("seven", "refund"), channels=2)
    code = main(["systems", "transcribe", str(path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "seven" in out and "refund" in out
    assert "downmix" in out.lower() or "channel" in out.lower()


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(b"", "empty"), (b"this is not a wav file at all", "WAV"), (b"RIFF\x10\x00", "")],
)
def test_bad_files_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, fragment: str
) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    code = main(["systems", "transcribe", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert fragment in err
    assert "Traceback" not in err
    assert len([line for line in err.splitlines() if line.strip()]) == 1


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["systems", "transcribe", str(tmp_path / "nope.wav")])
    assert code == 2
    assert "Traceback" not in capsys.readouterr().err
