"""Words and voices of the transcription service's simulated world (pure Python, no heavy imports).

The speech model knows a closed vocabulary: digits, commands and the domain words of the course's
three running examples. Everything else it should call ``<unk>``; to learn that, training mixes in
*filler* words labelled ``<unk>``. *New words* (product and politician names) are never seen in
training: the drift generator brings them in later, the way a real service meets words that did
not exist when its model was trained.

Voices are espeak-ng voice names (``accent+variant``). They are split into the voices training may
use, held-out voices of the same kind (how well the model generalises to new speakers) and *new*
voices that sound unlike anything in training (whispering, robotic, croaky), a kind of drift.
"""

from __future__ import annotations

__all__ = [
    "FILLER_WORDS",
    "HELD_OUT_VOICES",
    "NEW_VOICES",
    "NEW_WORDS",
    "TRAIN_VOICES",
    "UNKNOWN",
    "VOCABULARY",
    "voices_for",
]

#: The label the model gives a word outside its vocabulary.
UNKNOWN = "<unk>"

_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_COMMANDS = (
    "start", "stop", "pause", "resume", "cancel", "undo", "delete", "save", "open", "close",
    "next", "back", "yes", "no", "help", "repeat",
)  # fmt: skip
_TOASTER = (
    "toaster", "bread", "bagel", "darker", "lighter", "crumb", "heat", "smoke", "burn", "timer",
    "level", "butter",
)  # fmt: skip
_TAX = (
    "tax", "refund", "audit", "income", "deduction", "receipt", "return", "wage", "charity",
    "expense", "credit", "penalty", "deadline", "salary", "invoice",
)  # fmt: skip
_SERVICE = (
    "meeting", "record", "upload", "minute", "hour", "speaker", "note", "transcript", "review",
    "edit", "correct", "sentence",
)  # fmt: skip
_EVERYDAY = (
    "morning", "evening", "today", "tomorrow", "monday", "friday", "please", "thanks", "hello",
    "goodbye", "call", "send", "email", "report", "budget", "payment", "account", "balance",
    "office", "doctor",
)  # fmt: skip

#: What the speech model can transcribe (85 words), in class-index order after ``<unk>``.
VOCABULARY: tuple[str, ...] = _DIGITS + _COMMANDS + _TOASTER + _TAX + _SERVICE + _EVERYDAY

#: Out-of-vocabulary words used in training as examples of ``<unk>`` (and in babble noise).
FILLER_WORDS: tuple[str, ...] = (
    "window", "garden", "purple", "elephant", "guitar", "river", "mountain", "pencil", "yellow",
    "kitchen", "bicycle", "orange", "jacket", "summer", "winter", "island", "rabbit", "silver",
    "planet", "castle", "forest", "dragon", "violin", "pocket", "ladder", "tunnel", "candle",
    "marble", "basket", "cotton",
)  # fmt: skip

#: Words that appear only under drift: product names and politicians' names, never trained on.
NEW_WORDS: tuple[str, ...] = (
    "zoomcast", "quibbly", "taxomatic", "breadbot", "snackwave", "voxly", "fintrix", "crumbly",
    "macron", "merkel", "trudeau", "ardern", "sunak", "modi", "lula", "obama", "albanese",
    "scholz", "meloni", "zelensky",
)  # fmt: skip

#: Speakers the model may train on (accent+variant).
TRAIN_VOICES: tuple[str, ...] = tuple(
    f"{accent}+{variant}"
    for accent, variants in (
        ("en-us", ("m1", "m2", "m3", "f1", "f2", "adam", "boris", "david", "john", "linda")),
        ("en", ("m4", "m5", "f3", "f4", "benjamin", "caleb", "grandma", "max", "paul", "steph")),
        ("en-gb-x-rp", ("m6", "m7", "edward", "norbert", "quincy", "robert")),
        ("en-029", ("m2", "f2", "travis", "victor")),
    )
    for variant in variants
)

#: Speakers of the same kind as the training voices, kept out of training to measure generalisation.
HELD_OUT_VOICES: tuple[str, ...] = (
    "en-us+m8", "en-us+f5", "en+aunty", "en+gustave", "en-gb-x-rp", "en-029+belinda",  # rp: default
    "en-us+ian", "en+zac",
)  # fmt: skip

#: Voices unlike anything in training (drift): whispering, croaky, robotic, other accents.
NEW_VOICES: tuple[str, ...] = (
    "en+whisper", "en-us+croak", "en+klatt2", "en-gb-scotland+Storm", "en-us+Tweaky",
    "en+UniRobot", "en-gb-scotland+grandpa", "en-us+whisperf",
)  # fmt: skip


def voices_for(group: str) -> tuple[str, ...]:
    """The voices of one group: ``train``, ``held_out`` or ``new``."""
    return {"train": TRAIN_VOICES, "held_out": HELD_OUT_VOICES, "new": NEW_VOICES}[group]
