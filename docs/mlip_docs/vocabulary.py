"""The words a system's model knows, for the docs pages and the assignment notebooks.

Only the transcription system has a closed vocabulary. ``mlip.systems.transcription.VOCABULARY``
is becoming public (issue 14); until that lands this module reads the private constant, so the
published list is the one the model is trained on either way.
"""

from __future__ import annotations

__all__ = ["system_vocabulary", "vocabulary_markdown"]


def system_vocabulary(system_name: str) -> tuple[str, ...] | None:
    """The closed vocabulary of ``system_name``'s model, or None when it has none."""
    if system_name != "transcription":
        return None
    import importlib

    public = importlib.import_module("mlip.systems.transcription")
    # not public yet (issue 14): the private constant is the same list
    vocabulary = getattr(public, "VOCABULARY", None)
    if vocabulary is None:
        vocabulary = importlib.import_module("mlip.systems.transcription._vocabulary").VOCABULARY
    return tuple(str(word) for word in vocabulary)


def vocabulary_markdown(system_name: str) -> str:
    """A paragraph listing the vocabulary (empty for a system without one)."""
    words = system_vocabulary(system_name)
    if not words:
        return ""
    listed = ", ".join(f"`{word}`" for word in words)
    return (
        f"The speech model knows exactly these {len(words)} words; anything else it hears "
        f"becomes `<unk>` (the `new_words` vocabulary condition brings such words): {listed}.\n"
    )
