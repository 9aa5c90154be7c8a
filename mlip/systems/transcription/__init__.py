"""The audio transcription service: a speech model inside ordinary software and people.

Customers upload WAV recordings and pay per started minute. Intake validates and converts the
file, voice-activity segmentation cuts it into words, a small CNN names each word (the only ML
component) with a confidence and alternatives, a publish guard decides which words go to a human
review queue, and the customer edits the transcript, with low-confidence words highlighted. The
simulated world (speech synthesised with espeak-ng, rooms, drift) comes from this package too.

This module stays light: numpy, torch and scipy load inside the methods that need them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from mlip.systems._contract import (
    ALERT_EVENT,
    MONITOR_EXTENSION,
    Component,
    ComponentKind,
    Condition,
    EventField,
    EventSchema,
    ExtensionPoint,
    ProgressCallback,
    RunResult,
    System,
    TelemetrySink,
    TrainReport,
)

__all__ = ["TranscriptionSystem"]

_CHECKPOINT = Path(__file__).with_name("speech_model.pt")


def _fields(*spec: tuple[str, str, str]) -> tuple[EventField, ...]:
    return tuple(EventField(name, kind, description) for name, kind, description in spec)


_UPLOAD = ("upload", "int", "index of the upload in this run")


class TranscriptionSystem(System):
    """Transcription service: intake, segmentation, speech model, review queue, billing, editor."""

    name: ClassVar[str] = "transcription"
    title: ClassVar[str] = "Audio transcription service"
    summary: ClassVar[str] = (
        "Customers upload recordings and get transcripts; a speech model names each word, "
        "surrounded by intake, segmentation, a human review queue, billing and an editor UI."
    )
    default_n: ClassVar[int] = 200

    def components(self) -> tuple[Component, ...]:
        """The pipeline from uploaded bytes to an edited, billed transcript."""
        ml, plain = ComponentKind.ML, ComponentKind.NON_ML
        return (
            Component(
                "intake",
                plain,
                "Validates WAV bytes; resamples and downmixes to 16 kHz mono.",
                ("wav bytes",),
                ("audio",),
            ),
            Component(
                "segmentation",
                plain,
                "Energy-based voice-activity detection: one segment per word.",
                ("audio",),
                ("word segments",),
            ),
            Component(
                "speech_model",
                ml,
                "CNN on log-mel features: word, calibrated confidence, top-3.",
                ("word segments",),
                ("word guesses",),
            ),
            Component(
                "transcript_assembly",
                plain,
                "Asks the publish guard per word; builds the transcript.",
                ("word guesses",),
                ("transcript", "review items"),
            ),
            Component(
                "review_queue",
                plain,
                "Human reviewers correct queued words (cost per word).",
                ("review items",),
                ("corrected words",),
            ),
            Component(
                "billing", plain, "Charges per started minute of audio.", ("audio",), ("invoice",)
            ),
            Component(
                "editor",
                plain,
                "Customer UI highlighting low-confidence words; logs every edit.",
                ("transcript", "corrected words"),
                ("edits",),
            ),
        )

    def extension_points(self) -> tuple[ExtensionPoint, ...]:
        """A guard deciding publish-or-review per word, and a monitor over telemetry."""
        return (
            ExtensionPoint(
                "publish_guard",
                "guard",
                "publish_guard(word: dict) -> str",
                "Called for every recognised word (keys: text, confidence, alternatives as "
                "[text, probability] pairs, position, duration_s, upload); return 'publish' to "
                "put it in the customer's transcript or 'review' to queue it for a human. "
                "Without a guard every word is published.",
                "transcript_assembly",
            ),
            MONITOR_EXTENSION,
        )

    def telemetry_schema(self) -> tuple[EventSchema, ...]:
        """Events of one run; ``t`` is the upload index."""
        return (
            EventSchema(
                "upload",
                "An upload passed intake.",
                _fields(_UPLOAD, ("duration_s", "float", "audio length in seconds")),
            ),
            EventSchema(
                "intake_rejected",
                "Intake refused an upload.",
                _fields(_UPLOAD, ("reason", "str", "the message the customer saw")),
            ),
            EventSchema(
                "segmented",
                "Voice-activity segmentation finished.",
                _fields(_UPLOAD, ("segments", "int", "number of word segments found")),
            ),
            EventSchema(
                "model_error",
                "The speech model failed; the transcript is empty.",
                _fields(_UPLOAD, ("error", "str", "exception type and message")),
            ),
            EventSchema(
                "deadline_missed",
                "The model took longer than the latency budget.",
                _fields(_UPLOAD, ("seconds", "float", "simulated model seconds")),
            ),
            EventSchema(
                "word",
                "The model's guess for one segment and the guard's decision.",
                _fields(
                    _UPLOAD,
                    ("position", "int", "word index in the transcript"),
                    ("text", "str", "recognised word or <unk>"),
                    ("confidence", "float|null", "model confidence (null if not finite)"),
                    ("alternatives", "list", "top-3 [text, probability] pairs"),
                    ("duration_s", "float", "segment length"),
                    ("decision", "str", "'publish' or 'review'"),
                ),
            ),
            EventSchema(
                "review",
                "A human reviewer handled a queued word.",
                _fields(
                    _UPLOAD,
                    ("position", "int", "word index"),
                    ("before", "str", "model's word"),
                    ("after", "str", "reviewed word ('' = deleted)"),
                ),
            ),
            EventSchema(
                "edit",
                "The customer corrected a published word in the editor.",
                _fields(
                    _UPLOAD,
                    ("position", "int", "word index"),
                    ("before", "str", "published word"),
                    ("after", "str", "customer's correction ('' = deleted)"),
                    ("confidence", "float|null", "model confidence of the word"),
                    ("highlighted", "bool", "whether the UI highlighted the word"),
                ),
            ),
            EventSchema(
                "transcript",
                "The transcript was delivered and billed.",
                _fields(
                    _UPLOAD,
                    ("words", "int", "recognised words"),
                    ("published", "int", "words published directly"),
                    ("reviewed", "int", "words sent to review"),
                    ("billed_minutes", "int", "started minutes charged"),
                    ("latency_s", "float", "simulated model seconds"),
                ),
            ),
            ALERT_EVENT,
        )

    def conditions(self) -> tuple[Condition, ...]:
        """Rooms, speakers, vocabulary drift and broken microphones."""
        return (
            Condition(
                "noise",
                ("clean", "white", "babble", "reverb"),
                "Recording room: quiet, white noise, other people talking, or reverberant.",
            ),
            Condition(
                "voices",
                ("train", "held_out", "new"),
                "Speakers: voices seen in training, unseen similar voices, or unusual ones.",
            ),
            Condition(
                "vocabulary",
                ("usual", "new_words"),
                "From 20% of the run on, new product and politician names appear.",
            ),
            Condition(
                "audio_fault",
                ("none", "clipped", "silence", "dropout"),
                "Broken recording: clipping, a dead microphone, or lost packets.",
            ),
            Condition(
                "drift",
                ("none", "gradual", "sudden"),
                "Over the run (or at its middle): new voices, new words, noisier rooms.",
            ),
        )

    def checkpoint_path(self) -> Path:
        """The committed speech model (a torch state dict with labels and temperature)."""
        return _CHECKPOINT

    def load_model(self, path: Path | None = None) -> Any:
        """The speech model from ``path`` (default: the committed checkpoint)."""
        from mlip.systems.transcription._model import SpeechModel

        return SpeechModel.load(path or _CHECKPOINT)

    def train(
        self,
        *,
        seed: int = 0,
        quick: bool = False,
        checkpoint: Path | None = None,
        progress: ProgressCallback | None = None,
    ) -> TrainReport:
        """Synthesise recordings, train the CNN, calibrate it and save the checkpoint."""
        from mlip.systems.transcription._training import train_speech_model

        outcome = train_speech_model(seed=seed, quick=quick, progress=progress)
        target = checkpoint or _CHECKPOINT
        outcome.model.save(target, metrics=outcome.metrics)
        return TrainReport(
            self.name,
            seed,
            outcome.n_train,
            outcome.n_test,
            outcome.metrics,
            str(target),
            outcome.seconds,
        )

    def faulty_model(self, kind: str, *, model: Any = None) -> Any:
        """A broken speech model: corrupt confidences, constant words, crashes or slowness."""
        self.check_fault_kind(kind)
        from mlip.systems.transcription._faults import FaultyModel

        return FaultyModel(kind, model if model is not None else self.load_model())

    def run(
        self,
        *,
        n: int,
        seed: int,
        model: Any = None,
        extensions: Mapping[str, Any] | None = None,
        conditions: Mapping[str, str] | None = None,
        telemetry: TelemetrySink | None = None,
        progress: ProgressCallback | None = None,
    ) -> RunResult:
        """Simulate ``n`` uploads; model metrics (WER, ECE) beside system metrics (cost, harm)."""
        from mlip.systems.transcription._simulation import simulate

        self.check_run_size(n)
        extensions = self.check_extensions(extensions)
        chosen = self.resolve_conditions(conditions)
        model_metrics, system_metrics = simulate(
            model=model if model is not None else self.load_model(),
            n=n,
            seed=seed,
            conditions=chosen,
            publish_guard=extensions.get("publish_guard"),
            monitor=extensions.get("monitor"),
            telemetry=telemetry,
            progress=progress,
        )
        return RunResult(self.name, n, seed, model_metrics, system_metrics, chosen)
