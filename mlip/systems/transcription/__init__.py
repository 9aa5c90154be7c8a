"""The audio transcription service: a speech model inside ordinary software and people.

Customers upload WAV recordings and pay per started minute. Intake validates and converts the
file, voice-activity segmentation cuts it into words, a small CNN names each word (the only ML
component) with a confidence and alternatives, a publish guard decides which words go to a human
review queue, and the customer edits the transcript, with low-confidence words highlighted. The
simulated world (speech synthesised with espeak-ng, rooms, drift) comes from this package too.

Public API besides the system: :func:`transcribe` (one recording through the service, the same
function the simulation uses for every upload, with its one billing rule), :data:`VOCABULARY`
(the words the model knows: anything else comes back as ``<unk>``) and :func:`speak` (a sample
recording of words, spoken one at a time with pauses, which is how the service wants them).

This module stays light: numpy, torch and scipy load inside the methods that need them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from mlip.systems._contract import (
    ALERT_EVENT,
    MONITOR_EXTENSION,
    Component,
    ComponentKind,
    Condition,
    EventSchema,
    ExtensionPoint,
    ProgressCallback,
    Simulation,
    System,
    TrainReport,
    event_schema,
)
from mlip.systems.transcription._intake import encode_wav
from mlip.systems.transcription._interaction import (
    INTERACTION_ACTIONS,
    INTERACTION_METRICS,
    USER_POPULATIONS,
    naive_interaction_policy,
)
from mlip.systems.transcription._sample import DEFAULT_VOICE, PAUSE_S, speak
from mlip.systems.transcription._speech import SAMPLE_RATE
from mlip.systems.transcription._transcribe import (
    LOW_CONFIDENCE,
    MAX_FILE_BYTES,
    PRICE_PER_MINUTE,
    Transcript,
    TranscriptWord,
    billed_minutes,
    transcribe,
)
from mlip.systems.transcription._vocabulary import VOCABULARY

__all__ = [
    "DEFAULT_VOICE",
    "INTERACTION_ACTIONS",
    "LOW_CONFIDENCE",
    "MAX_FILE_BYTES",
    "PAUSE_S",
    "PRICE_PER_MINUTE",
    "SAMPLE_RATE",
    "USER_POPULATIONS",
    "VOCABULARY",
    "Transcript",
    "TranscriptWord",
    "TranscriptionSystem",
    "billed_minutes",
    "encode_wav",
    "speak",
    "transcribe",
]

_CHECKPOINT = Path(__file__).with_name("speech_model.pt")


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
                "billing",
                plain,
                "Charges per started minute of audio with speech in it (silence is free).",
                ("audio",),
                ("invoice",),
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
        """A guard deciding publish-or-review per word, the editor's interaction policy, and a
        monitor over telemetry."""
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
                naive=lambda word: "publish",
            ),
            ExtensionPoint(
                "interaction_policy",
                "policy",
                "interaction_policy(word: dict) -> str",
                "Decides, for every word going to the customer, how forcefully the editor acts "
                "on it: 'publish' (the model's word, unmarked), 'ask' (the customer chooses the "
                "right word among the model's alternatives, or types it) or 'highlight' (marked "
                "for the customer to check). word holds the publish_guard's keys plus customer, "
                "questions_asked (questions this customer got before this upload) and "
                "transcript_words. The naive policy is the editor's old rule: highlight words "
                f"below confidence {LOW_CONFIDENCE}, publish the rest.",
                "editor",
                naive=naive_interaction_policy,
                reports=INTERACTION_METRICS,
            ),
            MONITOR_EXTENSION,
        )

    def telemetry_schema(self) -> tuple[EventSchema, ...]:
        """Events of one run; ``t`` is the upload index."""
        return (
            event_schema(
                "upload",
                "An upload passed intake.",
                _UPLOAD,
                ("duration_s", "float", "audio length in seconds"),
            ),
            event_schema(
                "intake_rejected",
                "Intake refused an upload.",
                _UPLOAD,
                ("reason", "str", "the message the customer saw"),
            ),
            event_schema(
                "segmented",
                "Voice-activity segmentation finished.",
                _UPLOAD,
                ("segments", "int", "number of word segments found"),
            ),
            event_schema(
                "model_error",
                "The speech model failed; the transcript is empty.",
                _UPLOAD,
                ("error", "str", "exception type and message"),
            ),
            event_schema(
                "deadline_missed",
                "The model took longer than the latency budget.",
                _UPLOAD,
                ("seconds", "float", "simulated model seconds"),
            ),
            event_schema(
                "word",
                "The model's guess for one segment and the guard's decision.",
                _UPLOAD,
                ("position", "int", "word index in the transcript"),
                ("text", "str", "recognised word or <unk>"),
                ("confidence", "float|null", "model confidence (null if not finite)"),
                ("alternatives", "list", "top-3 [text, probability] pairs"),
                ("duration_s", "float", "segment length"),
                ("decision", "str", "'publish' or 'review'"),
            ),
            event_schema(
                "review",
                "A human reviewer handled a queued word.",
                _UPLOAD,
                ("position", "int", "word index"),
                ("before", "str", "model's word"),
                ("after", "str", "reviewed word ('' = deleted)"),
            ),
            event_schema(
                "edit",
                "The customer corrected a published word in the editor.",
                _UPLOAD,
                ("position", "int", "word index"),
                ("before", "str", "published word"),
                ("after", "str", "customer's correction ('' = deleted)"),
                ("confidence", "float|null", "model confidence of the word"),
                ("highlighted", "bool", "whether the UI highlighted the word"),
            ),
            event_schema(
                "question",
                "The editor asked the customer to choose a word (interaction_policy runs only).",
                _UPLOAD,
                ("position", "int", "word index"),
                ("offered", "list", "the model's alternatives offered as choices"),
                ("answer", "str", "the word the transcript ends with ('' = deleted)"),
                ("outcome", "str", "chosen, typed (none offered fitted) or clicked through"),
                ("confidence", "float|null", "model confidence of the word"),
            ),
            event_schema(
                "transcript",
                "The transcript was delivered and billed.",
                _UPLOAD,
                ("words", "int", "recognised words"),
                ("published", "int", "words published directly"),
                ("reviewed", "int", "words sent to review"),
                ("billed_minutes", "int", "started minutes charged"),
                ("latency_s", "float", "simulated model seconds"),
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

    def notes(self) -> tuple[str, ...]:
        """The vocabulary, and how to speak to the service."""
        return (
            f"vocabulary ({len(VOCABULARY)} words; any other word comes back as <unk>): "
            + " ".join(VOCABULARY),
            "speak one word at a time with a clear pause between words: segmentation cuts the "
            'audio at pauses. `mlip systems record "seven toaster refund" -o memo.wav` makes '
            "a sample recording; `mlip systems transcribe memo.wav` transcribes it.",
            "billing: every started minute of a recording with speech in it; a recording with "
            "no speech found is not billed.",
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

    def simulate(self, simulation: Simulation) -> tuple[dict[str, float], dict[str, float]]:
        """``n`` uploads; model metrics (WER, ECE) beside system metrics (cost, harm)."""
        from mlip.systems.transcription._simulation import simulate

        return simulate(simulation)
