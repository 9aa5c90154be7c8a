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


def test_record_then_transcribe_gives_back_mostly_the_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    said = ["seven", "toaster", "refund", "please", "tomorrow", "budget"]
    memo = tmp_path / "memo.wav"
    assert main(["systems", "record", " ".join(said), "-o", str(memo), "--json"]) == 0
    recorded = json.loads(capsys.readouterr().out)
    assert recorded["words"] == said and recorded["unknown_words"] == []
    assert "pause" in recorded["tip"] and memo.is_file()
    assert main(["systems", "transcribe", str(memo), "--json"]) == 0
    heard = [w["text"] for w in json.loads(capsys.readouterr().out)["words"]]
    assert len(heard) == len(said)
    assert sum(a == b for a, b in zip(heard, said, strict=True)) >= len(said) - 1, heard


def test_record_names_words_outside_the_vocabulary_and_gives_the_tip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    memo = tmp_path / "memo.wav"
    assert main(["systems", "record", "Seven, elephant!", "-o", str(memo)]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "2 word(s)" in shown and "will come back as <unk>): elephant" in shown
    assert "one at a time with a clear pause" in shown
    # a long temporary path may wrap anywhere, even inside a word
    assert f"mlipsystemstranscribe{memo}" in "".join(shown.split())


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["   ", "-o", "{tmp}/a.wav"], "give the words to say"),
        (["seven", "-o", "{tmp}/a.mp3"], "name it *.wav"),
        (["seven", "-o", "{tmp}/missing/a.wav"], "does not exist"),
        (["seven", "-o", "{tmp}"], "is a folder"),
        (["seven", "-o", "{tmp}/a.wav", "--voice", "en-us+nosuch"], "no voice 'en-us+nosuch'"),
    ],
)
def test_record_refuses_bad_input_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    code = main(["systems", "record", *(a.replace("{tmp}", str(tmp_path)) for a in arguments)])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "a.wav").exists()


def test_record_never_replaces_a_file_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    memo = tmp_path / "memo.wav"
    memo.write_bytes(b"my own recording")
    assert main(["systems", "record", "seven", "-o", str(memo)]) == 2
    assert "--force" in capsys.readouterr().err
    assert memo.read_bytes() == b"my own recording"
    assert main(["systems", "record", "seven", "-o", str(memo), "--force"]) == 0
    assert memo.read_bytes()[:4] == b"RIFF"
    assert [p.name for p in tmp_path.iterdir()] == ["memo.wav"]  # no temporary file left


def test_a_silent_file_is_not_billed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    silent = tmp_path / "silent.wav"
    with wave.open(str(silent), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(b"\0\0" * SAMPLE_RATE * 2)
    assert main(["systems", "transcribe", str(silent), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["words"] == [] and data["billed_minutes"] == 0 and data["price_usd"] == 0.0
    assert main(["systems", "transcribe", str(silent)]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "nothing is billed" in shown and "clear pause" in shown
