"""The transcription service's feedback loop: what customers correct in the editor becomes labels.

One round is a week of uploads from the same customers (no drift: what changes is only the
model and the data it learns from). Every word is published without a guard; the editor
highlights the words the model is unsure of, and customers fix the errors they notice (the
service's editor model: most highlighted errors, about a third of the others). Each fix is an
``edit`` event whose text is the right word.

Label sources (:data:`LABEL_SOURCES`):

``edits_and_silence``
    Every published word: the customer's correction where they fixed one, otherwise the
    model's own word, taken as confirmed because nobody changed it. Errors nobody noticed come
    back as labels that agree with the model (confirmation), and the team measures itself on
    labels that are mostly its own answers.
``edits``
    Only the corrected words: true labels, but only for errors, and mostly highlighted ones.
``none``
    No telemetry labels; only the professionally transcribed sample teaches the model.

Exploration sends a random share of words to professional transcribers (the review queue's
price per word), whatever the model said.

Unlike the tax and toaster loops, the naive design does not collapse here: a label that repeats
the model's own word cannot pull it anywhere new, and a correction is the truth. What it gets
wrong is its measurement (on its own labels the error rate is the share of words customers
happened to correct) and who gains (the familiar voices, which already had most of the labels).

Cheap by construction, so a check can run a round: the customers' voices are a fixed set, and
each (word, voice, room) is synthesised, recorded and passed through the frozen convolutional
part of the network once (:func:`voice_bank`), cached in memory and on disk. A round then only
runs the classifier layers on cached features, and a retrain fits only those layers
(:func:`~mlip.systems.transcription._training.fit_speech_model`), starting from the shipped ones.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mlip.systems.loops import LoopDesign, RoundOutcome
from mlip.systems.metrics import expected_calibration_error
from mlip.systems.transcription._model import torch_threads
from mlip.systems.transcription._simulation import (
    EDITOR_NOTICE_HIGHLIGHTED,
    EDITOR_NOTICE_PLAIN,
    REVIEW_COST_PER_WORD,
)
from mlip.systems.transcription._transcribe import LOW_CONFIDENCE
from mlip.systems.transcription._vocabulary import VOCABULARY

if TYPE_CHECKING:
    from mlip.systems.transcription._model import SpeechModel

__all__ = [
    "DESIGNS",
    "LABEL_SOURCES",
    "POPULATIONS",
    "VOICE_GROUPS",
    "LoopWorld",
    "VoiceBank",
    "voice_bank",
]

DEFAULT_N = 1_000  # words per round (about 220 uploads)
QUALITY_METRIC = "wer"  # share of words the model names wrong, whole population
HIGHER_QUALITY_IS_BETTER = False
VALUE_METRIC = "share of words right in delivered transcripts"
FAIRNESS_METRIC = "WER gap between voice groups"
#: The customers' voices: espeak-ng voices none of which the model trained on. ``familiar``
#: ones resemble the training voices; ``unfamiliar`` ones (whispered, robotic, a Scottish
#: accent) do not.
VOICE_GROUPS: dict[str, tuple[str, ...]] = {
    "familiar": ("en-us+m8", "en+aunty", "en-gb-x-rp", "en+zac"),
    "unfamiliar": ("en+whisper", "en+klatt2", "en-gb-scotland+Storm", "en+UniRobot"),
}
#: Share of the customers' words spoken in each group's voices.
GROUP_SHARES: dict[str, float] = {"familiar": 0.75, "unfamiliar": 0.25}
#: Customer populations a loop can run on: ``usual`` is the public one; ``more_unfamiliar`` is a
#: service that won customers whose voices the model finds hard (hidden checks run it).
POPULATIONS: dict[str, dict[str, float]] = {
    "usual": GROUP_SHARES,
    "more_unfamiliar": {"familiar": 0.45, "unfamiliar": 0.55},
}
ROOMS = ("clean", "white", "babble", "reverb")
#: What professional transcribers charge per word of the exploration sample (USD).
PROFESSIONAL_COST_PER_WORD = REVIEW_COST_PER_WORD
#: A retrain needs this many labelled words, else the model stays.
MIN_LABELS = 200
#: Epochs, peak learning rate and batch size of a retrain of the classifier layers.
RETRAIN_EPOCHS = 5
RETRAIN_LEARNING_RATE = 1e-3
RETRAIN_BATCH = 128
#: Temperatures tried when a retrain is calibrated (a coarser grid than full training's).
RETRAIN_TEMPERATURE_STEPS = 61
#: Every fifth training label fits the temperature, as the team's calibration split.
CALIBRATION_EVERY = 5
_BANK_VERSION = 1

LABEL_SOURCES: dict[str, str] = {
    "edits_and_silence": "customers' corrections, and the model's own word where nobody edited",
    "edits": "only the words customers corrected (true words, but only for noticed errors)",
    "none": "no telemetry labels; only the professionally transcribed sample",
}

DESIGNS: dict[str, LoopDesign] = {
    "naive": LoopDesign(name="naive", label_source="edits_and_silence"),
    "reference": LoopDesign(
        name="reference",
        label_source="edits",
        exploration_share=0.1,
        holdout_share=0.5,
        memory_rounds=2,
    ),
}


@dataclass(frozen=True)
class VoiceBank:
    """Every (voice, word, room) once: its 128 learned features and what was said.

    ``features`` come from the shipped network's frozen convolutional part; ``word`` is the
    class index the model should answer (its label order), ``group`` the voice group's index.
    """

    features: np.ndarray  # (tokens, 128) float32
    word: np.ndarray  # (tokens,) int
    voice: np.ndarray  # (tokens,) int, index into voices
    room: np.ndarray  # (tokens,) int, index into ROOMS
    group: np.ndarray  # (tokens,) int, index into VOICE_GROUPS
    voices: tuple[str, ...]


def _cache_dir() -> Path:
    """Where the bank is kept between runs: ``MLIP_CACHE_DIR``, else the user's cache folder."""
    configured = os.environ.get("MLIP_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mlip"


def _bank_key(checkpoint: Path) -> str:
    """Changes whenever the checkpoint, the voices, the words or the recording recipe change."""
    digest = hashlib.sha256(checkpoint.read_bytes())
    digest.update(repr((_BANK_VERSION, VOICE_GROUPS, VOCABULARY, ROOMS)).encode())
    return digest.hexdigest()[:20]


def voice_bank(checkpoint: Path | None = None) -> VoiceBank:
    """The bank for ``checkpoint`` (default: the shipped model), built at most once per machine.

    Kept in memory for the process and as a small ``.npz`` under :func:`_cache_dir`; a cache
    that cannot be read or written is rebuilt or skipped, never trusted half-written.
    """
    from mlip.systems.transcription import TranscriptionSystem

    return _voice_bank(checkpoint or TranscriptionSystem().checkpoint_path())


@lru_cache(maxsize=2)
def _voice_bank(checkpoint: Path) -> VoiceBank:
    key = _bank_key(checkpoint)
    path = _cache_dir() / f"transcription-loop-bank-{key}.npz"
    voices = tuple(v for group in VOICE_GROUPS.values() for v in group)
    try:
        with np.load(path) as stored:
            arrays = {name: stored[name] for name in ("features", "word", "voice", "room")}
    except (OSError, KeyError, ValueError):
        arrays = _record_bank(checkpoint, voices)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
            np.savez(
                partial,
                features=arrays["features"],
                word=arrays["word"],
                voice=arrays["voice"],
                room=arrays["room"],
            )
            os.replace(partial, path)
        except OSError:
            pass  # a read-only home: the bank stays in memory for this process
    group_of_voice = np.array(
        [i for i, group in enumerate(VOICE_GROUPS.values()) for _ in group], dtype=np.int64
    )
    return VoiceBank(
        features=arrays["features"].astype(np.float32),
        word=arrays["word"].astype(np.int64),
        voice=arrays["voice"].astype(np.int64),
        room=arrays["room"].astype(np.int64),
        group=group_of_voice[arrays["voice"]],
        voices=voices,
    )


def _record_bank(checkpoint: Path, voices: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Speak every word in every voice, record it in every room, keep the learned features."""
    import torch

    from mlip.systems.transcription._audio import _add_room
    from mlip.systems.transcription._features import fixed_windows, log_mel
    from mlip.systems.transcription._model import SpeechModel, feature_layers
    from mlip.systems.transcription._speech import synthesize_word

    body = feature_layers(SpeechModel.load(checkpoint).network).eval()
    blocks: list[np.ndarray] = []
    words: list[int] = []
    voice_index: list[int] = []
    rooms: list[int] = []
    with torch_threads():
        for v, voice in enumerate(voices):
            spoken = [synthesize_word(word, voice) for word in VOCABULARY]
            for r, room in enumerate(ROOMS):
                rng = np.random.default_rng([_BANK_VERSION, v, r])
                recorded = []
                for audio in spoken:
                    speech = audio * np.float32(rng.uniform(0.25, 0.9))
                    power = float(np.mean(speech.astype(np.float64) ** 2)) + 1e-12
                    recorded.append(_add_room(rng, speech, power, room, 0.0))
                with torch.inference_mode():
                    blocks.append(body(log_mel(fixed_windows(recorded))).numpy())
                words += range(1, len(VOCABULARY) + 1)  # class 0 is <unk>
                voice_index += [v] * len(VOCABULARY)
                rooms += [r] * len(VOCABULARY)
    return {
        "features": np.concatenate(blocks).astype(np.float32),
        "word": np.array(words, dtype=np.int64),
        "voice": np.array(voice_index, dtype=np.int64),
        "room": np.array(rooms, dtype=np.int64),
    }


def _scores(model: SpeechModel, features: np.ndarray) -> np.ndarray:
    """Temperature-scaled probabilities ``(rows, classes)`` from the model's classifier layers."""
    import torch

    from mlip.systems.transcription._model import classifier_layers

    head = classifier_layers(model.network).eval()
    with torch.inference_mode():
        logits = head(torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32)))
        return torch.softmax(logits / model.temperature, dim=1).numpy()


class LoopWorld:
    """Weeks of uploads from one set of customers; the model changes between them.

    ``population`` (a key of :data:`POPULATIONS`) sets how many of the words come in each voice
    group's voices; whole-population WER and value weigh the groups the same way.
    """

    def __init__(self, *, seed: int, n: int, population: str = "usual") -> None:
        self.seed = seed
        self.n = n
        self.bank = voice_bank()
        shares = POPULATIONS[population]
        group_share = np.array([shares[name] for name in VOICE_GROUPS])
        # Every token of a group weighs the same; groups weigh their share of the words.
        per_group = np.bincount(self.bank.group, minlength=len(group_share))
        self._token_weight = group_share[self.bank.group] / per_group[self.bank.group]

    def initial_model(self) -> SpeechModel:
        from mlip.systems.transcription import TranscriptionSystem

        model: SpeechModel = TranscriptionSystem().load_model()
        return model

    @property
    def _shipped(self) -> SpeechModel:
        """The shipped model, loaded once: every retrain starts from its classifier."""
        if not hasattr(self, "_shipped_model"):
            self._shipped_model = self.initial_model()
        return self._shipped_model

    def _population(self, model: SpeechModel) -> dict[str, Any]:
        """The model on every bank token, weighted as the customers speak (no sampling noise).

        WER overall and per voice group, calibration error, and the expected share of words
        right once customers have fixed what they notice.
        """
        probabilities = _scores(model, self.bank.features)
        confidence = probabilities.max(axis=1)
        wrong = probabilities.argmax(axis=1) != self.bank.word
        notice = np.where(
            confidence < LOW_CONFIDENCE, EDITOR_NOTICE_HIGHLIGHTED, EDITOR_NOTICE_PLAIN
        )
        return {
            "wer": float(np.sum(self._token_weight * wrong)),
            "groups": {
                name: float(wrong[self.bank.group == g].mean())
                for g, name in enumerate(VOICE_GROUPS)
            },
            "ece": expected_calibration_error(confidence.tolist(), (~wrong).tolist()),
            "delivered_right": 1.0 - float(np.sum(self._token_weight * wrong * (1 - notice))),
        }

    @torch_threads()
    def act(
        self,
        model: SpeechModel,
        *,
        round_index: int,
        explored: np.ndarray,
        design: LoopDesign,
    ) -> RoundOutcome:
        """Serve one week of words with ``model``; ``explored`` words go to professionals."""
        rng = np.random.default_rng([self.seed, 2_023, round_index])
        n, bank = self.n, self.bank
        token = rng.choice(len(bank.word), size=n, p=self._token_weight)
        features = bank.features[token]
        truth = bank.word[token]
        probabilities = _scores(model, features)
        said = probabilities.argmax(axis=1)
        confidence = probabilities.max(axis=1)
        wrong = said != truth
        highlighted = confidence < LOW_CONFIDENCE
        notice = np.where(highlighted, EDITOR_NOTICE_HIGHLIGHTED, EDITOR_NOTICE_PLAIN)
        edited = wrong & (rng.random(n) < notice)

        labels = np.where(edited, truth, said)
        if design.label_source == "edits_and_silence":
            labelled = np.ones(n, dtype=bool)
        elif design.label_source == "edits":
            labelled = edited
        else:
            labelled = np.zeros(n, dtype=bool)
        everyone = self._population(model)
        per_group: dict[str, float] = everyone["groups"]
        delivered_wrong = wrong & ~edited
        return RoundOutcome(
            features=features,
            labels=labels.astype(float),
            labelled=labelled,
            truth=truth.astype(float),
            explored=explored,
            quality=everyone["wer"],
            fairness_gap=max(per_group.values()) - min(per_group.values()),
            label_cost=PROFESSIONAL_COST_PER_WORD * float(explored.sum()),
            value=everyone["delivered_right"],
            extra={
                **{f"wer_{name}": value for name, value in per_group.items()},
                "calibration_error": everyone["ece"],
                "mean_confidence": float(confidence.mean()),
                "highlighted_rate": float(highlighted.mean()),
                "edit_rate": float(edited.mean()),
                "round_unnoticed_error_rate": float(delivered_wrong.mean()),
                "temperature": model.temperature,
            },
        )

    def quality(self, model: SpeechModel, features: np.ndarray, labels: np.ndarray) -> float:
        """Word error rate of the model on ``features`` against ``labels``."""
        with torch_threads():
            said = _scores(model, features).argmax(axis=1)
        return float(np.mean(said != labels.astype(np.int64)))

    def fit(
        self, features: np.ndarray, labels: np.ndarray, *, round_index: int
    ) -> SpeechModel | None:
        """Retrain the classifier layers with the system's own fitting code; None if too few.

        The retrain starts from the shipped classifier and keeps the convolutional part frozen;
        every :data:`CALIBRATION_EVERY`-th label fits the temperature (the team's own labels,
        whatever they are worth).
        """
        import copy

        import torch

        from mlip.systems.transcription._model import (
            SpeechModel,
            classifier_layers,
            feature_layers,
        )
        from mlip.systems.transcription._training import fit_speech_model

        if len(labels) < MIN_LABELS:
            return None
        shipped = self._shipped.network
        head = copy.deepcopy(classifier_layers(shipped))
        inputs = torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32))
        targets = torch.from_numpy(labels.astype(np.int64))
        calibration = torch.arange(len(targets)) % CALIBRATION_EVERY == 0
        with torch_threads():
            fitted = fit_speech_model(
                inputs[~calibration],
                targets[~calibration],
                inputs[calibration],
                targets[calibration],
                seed=self.seed * 1_000 + round_index,
                epochs=RETRAIN_EPOCHS,
                network=head,
                learning_rate=RETRAIN_LEARNING_RATE,
                batch_size=RETRAIN_BATCH,
                temperature_steps=RETRAIN_TEMPERATURE_STEPS,
            )
        network = torch.nn.Sequential(
            *feature_layers(shipped).children(), *fitted.network.children()
        )
        return SpeechModel(network, self._shipped.labels, fitted.temperature)
