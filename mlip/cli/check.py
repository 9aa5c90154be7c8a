"""``mlip check``: run the public checks on an assignment project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mlip.cli._output import console, print_json
from mlip.errors import ExitCode


def check(
    directory: Annotated[Path, typer.Argument(help="Project folder.")] = Path("."),
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", help="Wall-time limit in seconds (default 60)."),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead.")] = False,
) -> None:
    """Run your notebook and the assignment's public checks; exit 0 only when all pass.

    Example: mlip check guards-toaster
    """
    from mlip.services.check import check_project

    options: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
    report = check_project(directory=directory, **options)
    if json_output:
        print_json(report.to_dict())
    else:
        _render(report)
    if not report.passed:
        raise typer.Exit(int(ExitCode.CHECKS_FAILED))


def _render(report: Any) -> None:
    from rich.table import Table

    from mlip.assignments import assignment_points

    table = Table(title=f"{report.assignment}: public checks", title_justify="left")
    table.add_column("", no_wrap=True)
    table.add_column("check", style="bold", no_wrap=True)
    table.add_column("points", justify="right", no_wrap=True)
    table.add_column("result")
    for result in report.results:
        mark = "[green]PASS[/]" if result.passed else "[red]FAIL[/]"
        text = result.message
        if not result.passed and result.hint:
            text += f"\n[yellow]hint:[/] {result.hint}"
        table.add_row(mark, result.check, f"{result.points:g}/{result.max_points:g}", text)
    console.print(table)
    console.print(f"public points: [bold]{report.points:g}/{report.max_points:g}[/]")
    console.print(f"[dim]assignment total: {assignment_points(report.assignment).describe()}[/]")
    if report.hidden_checks:
        console.print(f"[dim]graded later by the autograder: {', '.join(report.hidden_checks)}[/]")
