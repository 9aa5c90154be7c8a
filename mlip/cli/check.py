"""``mlip check``: run the public checks on an assignment project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mlip.cli._output import console, err_console, print_json, progress_bar
from mlip.errors import ExitCode

MARKS = {
    "pass": "[green]PASS[/]",
    "fail": "[red]FAIL[/]",
    "timeout": "[red]TIMEOUT[/]",
    "error": "[red]ERROR[/]",
    "not run": "[dim]NOT RUN[/]",
}


def check(
    directory: Annotated[Path, typer.Argument(help="Project folder.")] = Path("."),
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            help="CPU seconds each cell and each check may use (default: measured per check).",
        ),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead.")] = False,
) -> None:
    """Run your notebook and the assignment's public checks; exit 0 only when all pass.

    A cell that fails or a check that runs out of time does not hide the others: the table shows
    every check that finished. Exit 1 when anything failed, 2 when the project cannot be read.

    Example: mlip check guards-toaster
    """
    from mlip.services.check import check_project

    if json_output or not err_console.is_terminal:
        report = check_project(directory=directory, timeout=timeout)
    else:
        with progress_bar() as bar:
            task = bar.add_task("starting the notebook", total=None)

            def show(done: int, total: int, description: str) -> None:
                bar.update(task, completed=done, total=total, description=description)

            report = check_project(directory=directory, timeout=timeout, progress=show)
    if json_output:
        print_json(report.to_dict())
    else:
        _render(report)
    if not report.passed:
        raise typer.Exit(int(ExitCode.CHECKS_FAILED))


def _render(report: Any) -> None:
    from rich.markup import escape
    from rich.table import Table

    from mlip.assignments import assignment_points

    for problem in report.problems:
        console.print(f"[bold red]problem:[/] {escape(problem)}", soft_wrap=True)
    table = Table(title=f"{report.assignment}: public checks", title_justify="left")
    table.add_column("", no_wrap=True)
    table.add_column("check", style="bold", no_wrap=True)
    table.add_column("points", justify="right", no_wrap=True)
    table.add_column("result")
    for outcome in report.outcomes:
        result = outcome.result
        text = escape(result.message)
        for line in result.margin_lines():
            text += f"\n[dim]{escape(line)}[/]"
        if not result.passed and result.hint:
            text += f"\n[yellow]hint:[/] {escape(result.hint)}"
        if not result.passed and result.repro:
            text += "\n[cyan]repro:[/] paste the line below the table into a notebook cell"
        mark = MARKS.get(outcome.status, "[red]FAIL[/]")
        table.add_row(mark, result.check, f"{result.points:g}/{result.max_points:g}", text)
    console.print(table)
    repros = [outcome.result for outcome in report.outcomes if not outcome.result.passed]
    for result in (result for result in repros if result.repro):
        # one unwrapped line each, so it can be copied into a notebook cell as it is
        console.print(
            f"[cyan]repro {escape(result.check)}:[/]", escape(result.repro), soft_wrap=True
        )
    console.print(f"public points: [bold]{report.points:g}/{report.max_points:g}[/]")
    if not report.complete:
        console.print(
            "[yellow]some cells or checks did not finish:[/] the points above count only what ran"
        )
    console.print(f"[dim]assignment total: {assignment_points(report.assignment).describe()}[/]")
    if report.hidden_checks:
        console.print(f"[dim]graded later by the autograder: {', '.join(report.hidden_checks)}[/]")
