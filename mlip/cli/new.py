"""``mlip new``: scaffold an assignment project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mlip.cli._output import console, err_console, print_json


def new(
    topic: Annotated[str, typer.Argument(help="Assignment topic (guards) or id (guards-tax).")],
    system: Annotated[
        str | None,
        typer.Option(
            "--system", "-s", help="System: toaster, tax, transcription (not with an id)."
        ),
    ] = None,
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Project folder (default: ./TOPIC-SYSTEM).")
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Write into a non-empty folder; files you changed are kept as NAME.bak-TIME.",
        ),
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead.")] = False,
) -> None:
    """Create a project folder with the assignment's notebook, a README and a marker file.

    Example: mlip new guards --system toaster  (or: mlip new guards-toaster)
    """
    from mlip.services.scaffold import new_project

    result = new_project(topic=topic, system=system, directory=directory, force=force)
    if json_output:
        print_json(result.to_dict())
        return
    for backup in result.backups:
        err_console.print(f"[yellow]kept your changed file as[/] [bold]{backup}[/]", soft_wrap=True)
    console.print(f"Created [bold]{result.directory}[/] for [cyan]{result.assignment}[/]:")
    for name in result.files:
        console.print(f"  {name}")
    console.print(
        f"Next: [bold]cd {result.directory}[/], open the notebook in JupyterLab, "
        "then run [bold]mlip check[/] and [bold]mlip submit[/]."
    )
