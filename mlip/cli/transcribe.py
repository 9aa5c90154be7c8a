"""``mlip systems transcribe FILE.wav`` and ``mlip systems record "WORDS" -o FILE.wav``.

``transcribe`` runs the transcription service on one of your own files. Low-confidence words
are highlighted (the "annotate" interaction: the system shows where it is unsure instead of
hiding it); ``--alternatives`` lists the model's top-3 guesses per word. ``record`` makes a
sample recording to try it on, spoken the way the service wants: vocabulary words with pauses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from mlip.cli._output import console, print_json

__all__ = ["record", "render_recording", "render_transcript", "transcribe"]


def transcribe(
    file: Annotated[Path, typer.Argument(help="A WAV file (16-bit or better PCM, >= 16 kHz).")],
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the transcript as JSON.")
    ] = False,
    alternatives: Annotated[
        bool, typer.Option("--alternatives", help="Show the top-3 guesses for every word.")
    ] = False,
) -> None:
    """Transcribe a WAV file; words the model is unsure about are highlighted.

    Example: mlip systems transcribe memo.wav --alternatives
    """
    from mlip.services.transcribe import transcribe_file

    result = transcribe_file(path=file, alternatives=alternatives)
    if json_output:
        print_json(result.to_dict())
    else:
        render_transcript(result)


def render_transcript(result: object) -> None:
    """Rich view: a header line, the transcript with highlights, optionally the alternatives."""
    from mlip.services.transcribe import TranscriptResult

    assert isinstance(result, TranscriptResult)
    console.print(
        f"{escape(result.path)}: {result.duration_s:.1f} s, "
        f"billed {result.billed_minutes} min (${result.price_usd:.2f})"
    )
    for conversion in result.conversions:
        console.print(f"  [dim]intake: {conversion}[/]")
    if not result.words:
        console.print("[yellow]No speech found: nothing is billed.[/]")
        from mlip.services.transcribe import RECORDING_TIP

        console.print(f"[dim]{escape(RECORDING_TIP)}[/]")
        return
    line = Text()
    for index, word in enumerate(result.words):
        if index:
            line.append(" ")
        if word.low_confidence:
            line.append(f"{word.text}?", style="bold black on yellow")
        else:
            line.append(word.text)
    console.print(line)
    unsure = sum(word.low_confidence for word in result.words)
    if unsure:
        console.print(
            f"[dim]{unsure} word(s) below confidence {result.low_confidence_threshold:.2f} "
            "are highlighted with '?': please check them.[/]"
        )
    if any(word.alternatives for word in result.words):
        table = Table("#", "word", "confidence", "alternatives", box=None)
        for index, word in enumerate(result.words):
            options = ", ".join(f"{text} ({p:.2f})" for text, p in word.alternatives)
            table.add_row(str(index + 1), word.text, f"{word.confidence:.2f}", options)
        console.print(table)


def record(
    words: Annotated[str, typer.Argument(help='The words to say, e.g. "seven toaster refund".')],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The WAV file to write, e.g. memo.wav.")
    ],
    voice: Annotated[
        str | None,
        typer.Option("--voice", help="espeak-ng voice ACCENT+VARIANT (default: en-us+m1)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace OUTPUT if it already exists.")
    ] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print what was recorded as JSON.")
    ] = False,
) -> None:
    """Make a sample recording: the words spoken one at a time with pauses, as a WAV file.

    Use vocabulary words (mlip systems show transcription lists them); other words come back
    as <unk>. Recording yourself instead? Say vocabulary words with a clear pause between them.

    Example: mlip systems record "seven toaster refund" -o memo.wav
    """
    from mlip.services.transcribe import record_sample

    result = record_sample(text=words, output=output, voice=voice, force=force)
    if json_output:
        print_json(result.to_dict())
    else:
        render_recording(result)


def render_recording(result: object) -> None:
    """Rich view: what was written, words the model does not know, and the recording tip."""
    from mlip.services.transcribe import SampleRecording

    assert isinstance(result, SampleRecording)
    console.print(
        f"wrote [bold]{escape(result.path)}[/]: {len(result.words)} word(s), "
        f"{result.duration_s:.1f} s, voice {escape(result.voice)}"
    )
    if result.unknown_words:
        console.print(
            f"[yellow]not in the vocabulary (will come back as <unk>): "
            f"{escape(', '.join(result.unknown_words))}[/]"
        )
    console.print(f"try it: mlip systems transcribe {escape(result.path)}")
    console.print(f"[dim]{escape(result.tip)}[/]")
