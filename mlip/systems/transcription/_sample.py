"""Sample recordings: the kit speaks words the way the service wants them said.

The service's segmentation expects one word at a time with a short pause around each (a
dictation product asks its speakers for that), so a sample recording is each word spoken by
espeak-ng, separated by :data:`PAUSE_S` of silence. Students recording themselves should do the
same: vocabulary words, with a clear pause between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from mlip.systems.transcription._speech import SAMPLE_RATE, synthesize_word

if TYPE_CHECKING:
    import numpy as np

__all__ = ["DEFAULT_VOICE", "PAUSE_S", "speak"]

#: The voice sample recordings use unless told otherwise (one the model was trained on).
DEFAULT_VOICE = "en-us+m1"
#: Silence before, between and after words (seconds).
PAUSE_S = 0.4


def speak(words: Sequence[str], *, voice: str = DEFAULT_VOICE) -> np.ndarray:
    """``words`` spoken one at a time with pauses: 16 kHz mono float samples in [-1, 1].

    Raises ``ValueError`` for a voice espeak-ng does not have or for no words at all.
    """
    import numpy as np

    if not words:
        raise ValueError("no words to speak")
    pause = np.zeros(int(PAUSE_S * SAMPLE_RATE), np.float32)
    pieces = [pause]
    for word in words:
        pieces += [synthesize_word(word, voice, 160, 45) * np.float32(0.6), pause]
    return np.concatenate(pieces)
