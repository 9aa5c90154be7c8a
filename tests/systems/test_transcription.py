"""The transcription service: synthetic speech, segmentation, model quality, the whole system."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mlip.errors import UsageError
from mlip.systems import FAULT_KINDS, RunResult
from mlip.systems.transcription import TranscriptionSystem
from mlip.systems.transcription._audio import record_utterance
from mlip.systems.transcription._features import segment_words
from mlip.systems.transcription._simulation import LOW_CONFIDENCE, align, word_error_count
from mlip.systems.transcription._speech import SAMPLE_RATE, synthesize_word
from mlip.systems.transcription._vocabulary import (
    HELD_OUT_VOICES,
    NEW_VOICES,
    NEW_WORDS,
    TRAIN_VOICES,
    VOCABULARY,
)

SYSTEM = TranscriptionSystem()
QUALITY_N = 150  # uploads per quality run: about 670 words


@pytest.fixture(scope="module")
def model() -> Any:
    return SYSTEM.load_model()


@pytest.fixture(scope="module")
def held_out_clean(model: Any) -> RunResult:
    return SYSTEM.run(n=QUALITY_N, seed=11, model=model, conditions={"voices": "held_out"})


def _confidence_guard(word: dict[str, Any]) -> str:
    confidence = word["confidence"]
    ok = isinstance(confidence, float) and confidence == confidence and confidence >= LOW_CONFIDENCE
    return "publish" if ok else "review"


# --- the simulated world -------------------------------------------------------------------


def test_vocabulary_and_voices_are_disjoint_where_they_must_be() -> None:
    assert len(VOCABULARY) >= 80 and len(set(VOCABULARY)) == len(VOCABULARY)
    assert not set(NEW_WORDS) & set(VOCABULARY)
    groups = [set(TRAIN_VOICES), set(HELD_OUT_VOICES), set(NEW_VOICES)]
    assert all(not a & b for i, a in enumerate(groups) for b in groups[i + 1 :])


def test_synthesis_is_cached_and_word_sized() -> None:
    first = synthesize_word("toaster", "en-us+m1", 160, 45)
    assert synthesize_word("toaster", "en-us+m1", 160, 45) is first  # cached: no second synthesis
    assert 0.2 * SAMPLE_RATE < len(first) < 1.2 * SAMPLE_RATE
    assert 0.05 < float(np.max(np.abs(first))) <= 1.0
    assert not np.array_equal(first[:2000], synthesize_word("toaster", "en+f3", 160, 45)[:2000])


def test_synthesis_is_reproducible_across_processes() -> None:
    code = (
        "import hashlib; from mlip.systems.transcription._speech import synthesize_word as s; "
        "h = hashlib.sha256(); "
        "[h.update(s(w, v, 180, 60).tobytes()) for w in ('nine', 'audit', 'bread') "
        "for v in ('en+m4', 'en+whisper')]; print(h.hexdigest())"
    )
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        for _ in range(2)
    ]
    assert runs[0].stdout == runs[1].stdout and len(runs[0].stdout.strip()) == 64


_FRESH_PROCESS = """
import hashlib, json
from mlip.systems.transcription import TranscriptionSystem
from mlip.systems.transcription._speech import synthesize_word
first = hashlib.sha256(synthesize_word("audit", "en-us+m3", 160, 60).tobytes()).hexdigest()
result = TranscriptionSystem().run(n=12, seed=5, conditions={"vocabulary": "new_words"})
print(json.dumps({"audit": first, "run": result.to_dict()}))
"""


@pytest.fixture(scope="module")
def fresh_process() -> dict[str, Any]:
    """A word synthesised first thing, and a run made first thing, in a brand-new process."""
    import json

    done = subprocess.run(
        [sys.executable, "-c", _FRESH_PROCESS], capture_output=True, text=True, check=True
    )
    return dict(json.loads(done.stdout))


def test_a_word_sounds_the_same_whatever_was_synthesised_before(
    fresh_process: dict[str, Any],
) -> None:
    import hashlib

    from mlip.systems.transcription import _speech

    synthesize_word.cache_clear()  # force new syntheses, after many others in this process
    for word, voice in [("toaster", "en+f2"), ("seven", "en+caleb"), ("hello", "en+whisper")]:
        synthesize_word(word, voice, 140, 75)
    again = synthesize_word("audit", "en-us+m3", 160, 60)
    assert hashlib.sha256(again.tobytes()).hexdigest() == fresh_process["audit"]
    assert _speech.library_is_unloaded()  # each word had its own, pristine library instance


def test_run_does_not_depend_on_earlier_runs(model: Any, fresh_process: dict[str, Any]) -> None:
    SYSTEM.run(n=6, seed=9, model=model, conditions={"voices": "new"})
    synthesize_word.cache_clear()
    SYSTEM.run(n=6, seed=1, model=model, conditions={"noise": "babble"})
    later = SYSTEM.run(n=12, seed=5, model=model, conditions={"vocabulary": "new_words"})
    assert later.to_dict() == fresh_process["run"]


def test_unknown_voices_are_rejected() -> None:
    with pytest.raises(ValueError, match="no voice"):
        synthesize_word("audit", "en+no-such-variant")
    with pytest.raises(ValueError, match="no voice"):
        synthesize_word("audit", "xx-nowhere+m3")


def test_recordings_are_deterministic_given_the_generator() -> None:
    words = ("tax", "refund", "seven")
    a = record_utterance(np.random.default_rng(3), words, "en+m4", noise="babble")
    b = record_utterance(np.random.default_rng(3), words, "en+m4", noise="babble")
    c = record_utterance(np.random.default_rng(4), words, "en+m4", noise="babble")
    assert np.array_equal(a.audio, b.audio)
    assert not np.array_equal(a.audio[:1000], c.audio[:1000])
    assert a.audio.dtype == np.float32 and len(a.word_spans) == 3


def test_segmentation_finds_one_segment_per_word() -> None:
    rng = np.random.default_rng(5)
    words = ("start", "bread", "toaster", "nine", "audit")
    recording = record_utterance(rng, words, "en-us+m2")
    segments = segment_words(recording.audio)
    assert len(segments) == len(words)
    for (start, end), (word_start, word_end) in zip(segments, recording.word_spans, strict=True):
        assert start < word_end and word_start < end  # each segment overlaps its own word


def test_segmentation_mostly_copes_with_noise() -> None:
    rng = np.random.default_rng(6)
    right = 0
    for _ in range(30):
        words = tuple(str(w) for w in rng.choice(VOCABULARY, 4))
        recording = record_utterance(rng, words, str(rng.choice(TRAIN_VOICES)), noise="white")
        right += len(segment_words(recording.audio)) == len(words)
    assert right >= 0.75 * 30


def test_segmentation_of_silence_finds_nothing() -> None:
    quiet = np.random.default_rng(0).standard_normal(SAMPLE_RATE * 2).astype(np.float32) * 1e-4
    assert segment_words(quiet) == []
    assert segment_words(np.zeros(0, np.float32)) == []


def test_alignment_and_word_errors() -> None:
    assert word_error_count(("a", "b", "c"), ("a", "b", "c")) == 0
    assert word_error_count(("a", "b", "c"), ("a", "x", "c")) == 1
    assert word_error_count(("a", "b", "c"), ("a", "c")) == 1
    assert word_error_count(("a", "b"), ("a", "b", "b", "q")) == 2
    assert align(("a", "b", "c"), ("a", "c")) == [0, 2]


# --- model quality (committed checkpoint) ----------------------------------------------------


def test_committed_checkpoint_is_small_and_loads(model: Any) -> None:
    assert SYSTEM.checkpoint_path().stat().st_size < 5_000_000
    assert model.labels[0] == "<unk>" and set(VOCABULARY) <= set(model.labels)
    assert 0.2 < model.temperature < 7.0


def test_held_out_voices_clean_meet_quality_targets(held_out_clean: RunResult) -> None:
    assert held_out_clean.model["wer"] <= 0.10, held_out_clean.model
    assert held_out_clean.model["ece"] <= 0.05, held_out_clean.model


@pytest.mark.parametrize(
    "conditions", [{"noise": "white"}, {"noise": "babble"}, {"vocabulary": "new_words"}]
)
def test_noise_and_new_words_make_transcripts_worse(
    model: Any, held_out_clean: RunResult, conditions: dict[str, str]
) -> None:
    result = SYSTEM.run(
        n=QUALITY_N, seed=11, model=model, conditions={"voices": "held_out", **conditions}
    )
    assert result.model["wer"] > held_out_clean.model["wer"] + 0.03, (result.model, conditions)


def test_quick_training_writes_a_usable_checkpoint(tmp_path: Path) -> None:
    calls: list[tuple[int, int, str]] = []
    target = tmp_path / "speech.pt"
    report = SYSTEM.train(
        seed=0, quick=True, checkpoint=target, progress=lambda *a: calls.append(a)
    )
    assert target.is_file() and report.checkpoint == str(target)
    assert report.n_train > 500 and report.n_test > 100
    assert 0.0 <= report.metrics["accuracy"] <= 1.0
    assert calls and calls[-1][0] == calls[-1][1]
    trained = SYSTEM.load_model(target)
    result = SYSTEM.run(n=4, seed=0, model=trained)
    assert result.model != {} and SYSTEM.checkpoint_path().stat().st_mtime < target.stat().st_mtime


# --- the system around the model -------------------------------------------------------------


def test_run_is_deterministic_and_depends_on_the_seed(model: Any) -> None:
    first = SYSTEM.run(n=8, seed=2, model=model)
    assert first.to_dict() == SYSTEM.run(n=8, seed=2, model=model).to_dict()
    assert first.to_dict() != SYSTEM.run(n=8, seed=3, model=model).to_dict()
    assert first.system == "transcription" and first.n == 8 and first.seed == 2


def test_confidence_guard_stops_low_confidence_words_and_lowers_residual_errors(
    model: Any, held_out_clean: RunResult
) -> None:
    naive = SYSTEM.run(n=QUALITY_N, seed=11, model=model, conditions={"noise": "babble"})
    guarded = SYSTEM.run(
        n=QUALITY_N,
        seed=11,
        model=model,
        conditions={"noise": "babble"},
        extensions={"publish_guard": _confidence_guard},
    )
    assert naive.system_metrics["low_confidence_published"] > 0
    assert guarded.system_metrics["low_confidence_published"] == 0
    assert guarded.system_metrics["residual_wer"] < naive.system_metrics["residual_wer"]
    assert (
        guarded.system_metrics["published_error_rate"]
        < naive.system_metrics["published_error_rate"]
    )
    assert guarded.system_metrics["cost_per_minute"] > naive.system_metrics["cost_per_minute"]
    assert guarded.model == naive.model  # the guard changes the system, not the model


def test_identity_guard_reproduces_the_naive_system(model: Any) -> None:
    naive = SYSTEM.run(n=10, seed=4, model=model)
    identity = SYSTEM.run(
        n=10, seed=4, model=model, extensions={"publish_guard": lambda w: "publish"}
    )
    assert naive.to_dict() == identity.to_dict()


def test_guard_sees_the_documented_word_fields(model: Any) -> None:
    seen: list[dict[str, Any]] = []

    def recording_guard(word: dict[str, Any]) -> str:
        seen.append(word)
        return "publish"

    SYSTEM.run(
        n=3,
        seed=0,
        model=model,
        extensions={"publish_guard": recording_guard},
    )
    assert seen
    assert {"text", "confidence", "alternatives", "position", "duration_s"} <= set(seen[0])
    assert len(seen[0]["alternatives"]) == 3 and len(seen[0]["alternatives"][0]) == 2


def test_bad_guard_answer_is_a_usage_error(model: Any) -> None:
    with pytest.raises(UsageError, match="publish_guard"):
        SYSTEM.run(n=2, seed=0, model=model, extensions={"publish_guard": lambda w: "maybe"})


def test_telemetry_matches_the_schema_and_the_monitor_can_alert(model: Any) -> None:
    events: list[dict[str, Any]] = []
    result = SYSTEM.run(
        n=6,
        seed=1,
        model=model,
        telemetry=events.append,
        extensions={"monitor": lambda e: "long upload" if e.get("duration_s", 0) > 2.5 else None},
    )
    schema = {s.event: {f.name for f in s.fields} for s in SYSTEM.telemetry_schema()}
    for event in events:
        assert set(event) == {"event", "t"} | schema[event["event"]], event
    assert {"upload", "segmented", "word", "transcript"} <= {e["event"] for e in events}
    assert result.system_metrics["alerts"] == sum(e["event"] == "alert" for e in events) > 0


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_faulty_models_never_crash_the_service(model: Any, kind: str) -> None:
    result = SYSTEM.run(n=5, seed=0, model=SYSTEM.faulty_model(kind, model=model))
    metrics = {**result.model, **result.system_metrics}
    assert all(isinstance(v, float) and v == v for v in metrics.values())
    if kind == "exception":
        assert result.system_metrics["model_failure_rate"] == 1.0 and result.model["wer"] == 1.0
    if kind == "slow":
        assert result.system_metrics["late_rate"] == 1.0


def test_dead_microphone_gives_empty_transcripts(model: Any) -> None:
    result = SYSTEM.run(n=4, seed=0, model=model, conditions={"audio_fault": "silence"})
    assert result.model["wer"] == 1.0 and result.system_metrics["segmentation_error_rate"] == 1.0


def test_unknown_names_are_usage_errors(model: Any) -> None:
    with pytest.raises(UsageError, match="extension"):
        SYSTEM.run(n=1, seed=0, model=model, extensions={"guard": lambda w: "publish"})
    with pytest.raises(UsageError, match="condition"):
        SYSTEM.run(n=1, seed=0, model=model, conditions={"weather": "rain"})
    with pytest.raises(UsageError, match="value"):
        SYSTEM.run(n=1, seed=0, model=model, conditions={"noise": "loud"})
    with pytest.raises(UsageError):
        SYSTEM.faulty_model("melting")


def test_loading_the_system_class_imports_nothing_heavy() -> None:
    code = (
        "import sys; from mlip.systems.transcription import TranscriptionSystem; "
        "print([m for m in ('torch', 'numpy', 'scipy', 'sklearn') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
