"""``mlip submit``: validate an assignment project and zip it for upload."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mlip.cli._output import console, err_console, print_json


def submit(
    directory: Annotated[Path, typer.Argument(help="Project folder.")] = Path("."),
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing submission zip.")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead.")] = False,
) -> None:
    """Validate the notebook (locked cells intact) and write TOPIC-SYSTEM-submission.zip.

    Example: mlip submit guards-toaster
    """
    from mlip.services.submit import submit_project

    result = submit_project(directory=directory, force=force)
    if json_output:
        print_json(result.to_dict())
        return
    for warning in result.warnings:
        err_console.print(f"[yellow]warning:[/] {warning}")
    console.print(f"Wrote [bold]{result.zip_path}[/]: upload it to your course's LMS.")
