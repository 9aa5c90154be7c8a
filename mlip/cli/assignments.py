"""``mlip assignments``: the assignments this kit ships."""

from __future__ import annotations

from typing import Annotated

import typer

from mlip.cli._output import console, err_console, print_json

app = typer.Typer(help="The assignments of the course kit.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead.")]


@app.command("list")
def list_command(json_output: JsonOption = False) -> None:
    """List the assignments: ids, titles and book chapters.

    The kit's and those a course's package registers (entry-point group mlip.assignments).

    Example: mlip assignments list
    """
    from rich.table import Table

    from mlip.assignments import assignment_points
    from mlip.services.assignments import list_assignments

    listing = list_assignments()
    for problem in listing.problems:  # a broken course package: say so, list the rest
        err_console.print(f"[bold yellow]warning:[/] {problem}", soft_wrap=True)
    if json_output:
        print_json(listing.to_dict())
        return
    table = Table(title="Assignments", title_justify="left")
    table.add_column("id", style="bold cyan", no_wrap=True)
    table.add_column("title")
    table.add_column("chapter")
    table.add_column("points", justify="right")
    chapters = {}
    for assignment in listing.assignments:
        chapter = assignment.chapter
        chapters[chapter.number] = chapter
        points = assignment_points(assignment.id)
        table.add_row(
            assignment.id,
            assignment.title,
            f"{chapter.number}. {chapter.title}",
            f"{points.total:g}\n[dim]{points.describe().partition(' = ')[2]}[/]",
        )
    console.print(table)
    # Links go outside the table, unwrapped: a table cell would cut or fold them.
    console.print("Book chapters:")
    for number, chapter in sorted(chapters.items()):
        console.print(f"  {number}. {chapter.title}: {chapter.url}", soft_wrap=True)
    console.print("Start one with [bold]mlip new ID[/], e.g. [bold]mlip new guards-toaster[/].")
