"""The service around the model, simulated upload by upload.

For every upload the environment picks words, a speaker and a room (drifting over time when
asked), and records the audio. The service then runs its non-ML pipeline: intake, voice-activity
segmentation, the speech model (the only ML part), the publish guard deciding per word whether it
goes straight into the customer's transcript or to the human review queue, billing, and finally
the customer acting as editor: they fix the errors they notice, more often where the UI
highlighted a low-confidence word, and every fix is telemetry a team could retrain on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlip.errors import InputError, UsageError
from mlip.systems._contract import Extension, Simulation, TelemetryStream
from mlip.systems.metrics import expected_calibration_error
from mlip.systems.transcription._audio import record_utterance
from mlip.systems.transcription._model import torch_threads
from mlip.systems.transcription._transcribe import (
    LOW_CONFIDENCE,
    PRICE_PER_MINUTE,
    _finite,
    transcribe,
)
from mlip.systems.transcription._vocabulary import NEW_VOICES, NEW_WORDS, VOCABULARY, voices_for

if TYPE_CHECKING:
    import numpy as np

__all__ = ["LATENCY_BUDGET_S", "LOW_CONFIDENCE", "align", "simulate", "word_error_count"]

#: Seconds the service may take per upload before the customer's transcript is late.
LATENCY_BUDGET_S = 30.0
COMPUTE_COST_PER_MINUTE = 0.01  # cloud cost of running the model per audio minute (USD)
REVIEW_COST_PER_WORD = 0.04  # a professional reviewer's time per queued word (USD)
REVIEWER_MISS_RATE = 0.03  # reviewers are good, not perfect
EDITOR_NOTICE_HIGHLIGHTED = 0.85  # chance a customer spots an error the UI highlighted
EDITOR_NOTICE_PLAIN = 0.35  # ... and one it did not highlight


@dataclass
class _Tally:
    """Running sums for the metrics."""

    reference_words: int = 0
    model_errors: int = 0
    residual_errors: int = 0
    guesses: int = 0
    correct: int = 0
    unknown: int = 0
    confidences: list[float] = field(default_factory=list)
    hits: list[bool] = field(default_factory=list)
    reviewed: int = 0
    published: int = 0
    published_wrong: int = 0
    published_low_confidence: int = 0
    edits: int = 0
    uploads: int = 0
    model_failures: int = 0
    late: int = 0
    segmentation_misses: int = 0
    audio_minutes: float = 0.0
    billed_minutes: int = 0


def align(reference: tuple[str, ...], hypothesis: tuple[str, ...]) -> list[int | None]:
    """For each hypothesis word, the index of the reference word it stands for (None = inserted).

    A minimum-edit-distance alignment, the one word error rate is defined on.
    """
    rows, cols = len(reference), len(hypothesis)
    cost = [[0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(rows + 1):
        cost[i][0] = i
    for j in range(cols + 1):
        cost[0][j] = j
    for i in range(1, rows + 1):
        for j in range(1, cols + 1):
            change = cost[i - 1][j - 1] + (reference[i - 1] != hypothesis[j - 1])
            cost[i][j] = min(change, cost[i - 1][j] + 1, cost[i][j - 1] + 1)
    mapping: list[int | None] = [None] * cols
    i, j = rows, cols
    while i > 0 and j > 0:
        if cost[i][j] == cost[i - 1][j - 1] + (reference[i - 1] != hypothesis[j - 1]):
            mapping[j - 1] = i - 1
            i, j = i - 1, j - 1
        elif cost[i][j] == cost[i][j - 1] + 1:
            j -= 1
        else:
            i -= 1
    return mapping


def word_error_count(reference: tuple[str, ...], hypothesis: tuple[str, ...]) -> int:
    """Substitutions + insertions + deletions between two word sequences."""
    mapping = align(reference, hypothesis)
    matched = sum(1 for m in mapping if m is not None)
    wrong = sum(1 for j, m in enumerate(mapping) if m is not None and reference[m] != hypothesis[j])
    return wrong + (len(hypothesis) - matched) + (len(reference) - matched)


def _usable_confidence(value: Any) -> float:
    """Confidence as metrics see it: missing or non-finite counts as 0, clipped to [0, 1]."""
    number = _finite(value)
    return 0.0 if number is None else min(1.0, max(0.0, number))


@dataclass(frozen=True)
class _World:
    """What the environment looks like at one moment of the run."""

    voices: tuple[str, ...]
    new_word_share: float
    noise: str
    extra_noise_db: float


def _world_at(progress: float, conditions: Mapping[str, str]) -> _World:
    """The drift generator: later periods bring new words, new voices and noisier rooms."""
    drift = conditions["drift"]
    amount = 0.0 if drift == "none" else progress if drift == "gradual" else float(progress >= 0.5)
    voices = voices_for(conditions["voices"])
    if amount > 0 and conditions["voices"] != "new":
        share = round(len(voices) * amount * 0.5 / max(1e-9, 1 - amount * 0.5))
        voices = voices + NEW_VOICES[: min(len(NEW_VOICES), share)]
    new_words = 0.0
    if conditions["vocabulary"] == "new_words":
        new_words = 0.35 * min(1.0, max(0.0, (progress - 0.2) / 0.6))
    new_words = max(new_words, 0.25 * amount)
    return _World(voices, new_words, conditions["noise"], 12.0 * amount)


@torch_threads()
def simulate(simulation: Simulation) -> tuple[dict[str, float], dict[str, float]]:
    """Run ``n`` uploads; returns ``(model_metrics, system_metrics)``.

    The model runs on one torch thread: small batches gain nothing from more, and a single
    thread keeps runs fast and repeatable on a busy machine.
    """
    import numpy as np

    n, seed, model = simulation.n, simulation.seed, simulation.model
    conditions, stream = simulation.conditions, simulation.telemetry
    publish_guard = simulation.extensions.get("publish_guard")
    interaction = _interaction(simulation)
    tally = _Tally()
    world_rng = np.random.default_rng([seed, 0])
    for index in range(n):
        world = _world_at(index / max(1, n - 1), conditions)
        count = int(world_rng.integers(1, 9))
        words = tuple(
            str(world_rng.choice(NEW_WORDS)) if world_rng.random() < world.new_word_share
            else str(world_rng.choice(VOCABULARY))
            for _ in range(count)
        )  # fmt: skip
        voice = str(world_rng.choice(world.voices))
        recording = record_utterance(
            world_rng,
            words,
            voice,
            noise=world.noise,
            audio_fault=conditions["audio_fault"],
            extra_noise_db=world.extra_noise_db,
        )
        people_rng = np.random.default_rng([seed, 1, index])
        _serve_upload(
            index, recording.audio, words, model, publish_guard, people_rng, stream, tally,
            interaction,
        )  # fmt: skip
        simulation.progress(index + 1, n, "transcribing uploads")
    model_metrics, system_metrics = _metrics(tally, stream)
    if interaction is not None:
        system_metrics.update(interaction.metrics(tally.audio_minutes))
    return model_metrics, system_metrics


def _interaction(simulation: Simulation) -> Any:
    """The customers' side of an ``interaction_policy``, when one is filled (else None)."""
    policy = simulation.extensions.get("interaction_policy")
    if policy is None:
        return None
    from mlip.systems.transcription._interaction import TranscriptInteraction

    return TranscriptInteraction(policy=policy, seed=simulation.seed, n_uploads=simulation.n)


def _serve_upload(
    index: int,
    audio: np.ndarray,
    reference: tuple[str, ...],
    model: Any,
    publish_guard: Extension | None,
    people_rng: np.random.Generator,
    stream: TelemetryStream,
    tally: _Tally,
    interaction: Any = None,
) -> None:
    """One upload through intake, segmentation, model, guard, review, billing and editing.

    ``interaction`` (a ``TranscriptInteraction``) decides per published word whether it is
    published, asked about or highlighted; without it the editor highlights doubtful words.
    """
    tally.uploads += 1
    try:
        transcript = transcribe(audio, model=model)
    except InputError as error:
        stream.emit("intake_rejected", index, upload=index, reason=str(error))
        return
    minutes = transcript.duration_s / 60
    billed = transcript.billed_minutes
    tally.audio_minutes += minutes
    tally.billed_minutes += billed
    stream.emit("upload", index, upload=index, duration_s=round(transcript.duration_s, 3))
    if interaction is not None:
        interaction.start_upload(index, billed)
    spans = transcript.segments
    stream.emit("segmented", index, upload=index, segments=len(spans))
    tally.segmentation_misses += len(spans) != len(reference)
    guesses = transcript.words
    seconds = transcript.model_seconds
    if transcript.model_error is not None:
        tally.model_failures += 1
        stream.emit("model_error", index, upload=index, error=transcript.model_error)
    if seconds > LATENCY_BUDGET_S:
        tally.late += 1
        stream.emit("deadline_missed", index, upload=index, seconds=round(seconds, 3))

    hypothesis = tuple(str(g.text) for g in guesses)
    mapping = align(reference, hypothesis)
    tally.reference_words += len(reference)
    tally.model_errors += word_error_count(reference, hypothesis)
    final: list[str] = []
    review_draws = people_rng.random(len(guesses))
    editor_draws = people_rng.random(len(guesses))
    reviewed_here = 0
    words: list[dict[str, Any]] = [
        {
            "text": str(guess.text),
            "confidence": guess.confidence,
            "alternatives": [[t, p] for t, p in guess.alternatives],
            "position": position,
            "duration_s": round((spans[position][1] - spans[position][0]) / 16_000, 3),
            "upload": index,
        }
        for position, guess in enumerate(guesses)
    ]
    # The words of one upload are judged independently: one batch of publish_guard calls.
    decisions = (
        publish_guard.many([(dict(word),) for word in words])
        if publish_guard is not None
        else ["publish"] * len(words)
    )
    actions = iter(
        interaction.decide([w for w, d in zip(words, decisions, strict=True) if d == "publish"])
        if interaction is not None
        else ()
    )
    for position, (guess, word, decision) in enumerate(zip(guesses, words, decisions, strict=True)):
        target = mapping[position]
        truth = reference[target] if target is not None else None
        correct = truth == guess.text
        confidence = _usable_confidence(guess.confidence)
        tally.guesses += 1
        tally.correct += correct
        tally.unknown += guess.text == "<unk>"
        tally.confidences.append(confidence)
        tally.hits.append(correct)
        if decision not in ("publish", "review"):
            raise UsageError(f"publish_guard must return 'publish' or 'review', not {decision!r}")
        stream.emit(
            "word",
            index,
            upload=index,
            position=position,
            text=word["text"],
            confidence=_finite(guess.confidence),
            alternatives=[[t, _finite(p)] for t, p in word["alternatives"]],
            duration_s=word["duration_s"],
            decision=decision,
        )
        if decision == "review":
            tally.reviewed += 1
            reviewed_here += 1
            fixed = correct or review_draws[position] >= REVIEWER_MISS_RATE
            after = (truth or "") if fixed else guess.text
            stream.emit("review", index, upload=index, position=position, before=guess.text,
                        after=after)  # fmt: skip
            if after:
                final.append(after)
            continue
        tally.published += 1
        tally.published_wrong += not correct
        highlighted = confidence < LOW_CONFIDENCE
        tally.published_low_confidence += highlighted
        if interaction is not None:
            answered, highlighted = interaction.respond(
                action=next(actions), position=position, guess=guess.text, truth=truth,
                alternatives=[str(t) for t, _ in guess.alternatives],
                confidence=_finite(guess.confidence), stream=stream, index=index,
            )  # fmt: skip
            if answered is not None:
                if answered:
                    final.append(answered)
                continue
            notice = interaction.notice(position, highlighted=highlighted)
            looked = bool(editor_draws[position] < notice)
            interaction.edited(highlighted=highlighted, looked=looked, wrong=not correct)
        else:
            notice = EDITOR_NOTICE_HIGHLIGHTED if highlighted else EDITOR_NOTICE_PLAIN
        if not correct and editor_draws[position] < notice:
            tally.edits += 1
            stream.emit(
                "edit", index, upload=index, position=position, before=guess.text,
                after=truth or "", confidence=_finite(guess.confidence), highlighted=highlighted,
            )  # fmt: skip
            if truth:
                final.append(truth)
        else:
            final.append(guess.text)
    tally.residual_errors += word_error_count(reference, tuple(final))
    stream.emit(
        "transcript",
        index,
        upload=index,
        words=len(guesses),
        published=len(guesses) - reviewed_here,
        reviewed=reviewed_here,
        billed_minutes=billed,
        latency_s=round(seconds, 3),
    )


def _rate(part: float, whole: float) -> float:
    return round(part / whole, 6) if whole else 0.0


def _metrics(tally: _Tally, stream: TelemetryStream) -> tuple[dict[str, float], dict[str, float]]:
    model = {
        "wer": _rate(tally.model_errors, tally.reference_words),
        "accuracy": _rate(tally.correct, tally.guesses),
        "ece": round(expected_calibration_error(tally.confidences, tally.hits), 6),
        "unk_rate": _rate(tally.unknown, tally.guesses),
    }
    minutes = tally.audio_minutes
    review_cost = tally.reviewed * REVIEW_COST_PER_WORD
    cost = minutes * COMPUTE_COST_PER_MINUTE + review_cost
    system = {
        "flagged_rate": _rate(tally.reviewed, tally.guesses),
        "residual_wer": _rate(tally.residual_errors, tally.reference_words),
        "cost_per_minute": _rate(cost, minutes),
        "revenue_per_minute": _rate(tally.billed_minutes * PRICE_PER_MINUTE, minutes),
        "published_error_rate": _rate(tally.published_wrong, tally.published),
        "low_confidence_published": _rate(tally.published_low_confidence, tally.published),
        "edits_per_minute": _rate(tally.edits, minutes),
        "model_failure_rate": _rate(tally.model_failures, tally.uploads),
        "late_rate": _rate(tally.late, tally.uploads),
        "segmentation_error_rate": _rate(tally.segmentation_misses, tally.uploads),
        "alerts": float(stream.alerts),
    }
    return model, system
