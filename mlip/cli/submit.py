"""``mlip submit``: validate an assignment project and zip it for upload."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mlip.cli._output import console, err_console, print_json, progress_bar


def submit(
    directory: Annotated[Path, typer.Argument(help="Project folder.")] = Path("."),
    force: Annotated[
        bool,
        typer.Option("--force", help="Overwrite an existing submission zip (default: number it)."),
    ] = False,
    no_check: Annotated[
        bool, typer.Option("--no-check", help="Skip the public checks (faster).")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead.")] = False,
) -> None:
    """Validate the notebook (locked cells intact), run the public checks, write the zip.

    The zip is TOPIC-SYSTEM-submission.zip; an earlier one is kept and the new one numbered
    (-2, -3...). Failing public checks are a warning: the zip is written anyway.

    Example: mlip submit guards-toaster
    """
    from mlip.services.submit import submit_project

    if json_output or no_check or not err_console.is_terminal:
        result = submit_project(directory=directory, force=force, run_checks=not no_check)
    else:
        with progress_bar() as bar:
            task = bar.add_task("running the public checks", total=None)

            def show(done: int, total: int, description: str) -> None:
                bar.update(task, completed=done, total=total, description=description)

            result = submit_project(directory=directory, force=force, progress=show)
    if json_output:
        print_json(result.to_dict())
        return
    for warning in result.warnings:
        err_console.print(f"[yellow]warning:[/] {warning}", soft_wrap=True)
    console.print(
        f"Wrote [bold]{result.zip_path}[/]: upload it to your course's LMS.", soft_wrap=True
    )
