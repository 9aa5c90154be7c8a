"""The ``mlip`` command line.

Command groups register through the ``mlip.commands`` entry-point group — the kit's own and
plugins such as the autograder's ``mlip course`` alike. Each entry point names either a
``typer.Typer`` (added as a sub-group) or a function (added as a single command). This module
imports only typer and rich: heavy libraries load inside the commands that need them.
"""

from __future__ import annotations

import sys
from importlib.metadata import entry_points
from typing import Annotated

import typer

from mlip import __version__
from mlip.errors import ExitCode, MlipError

__all__ = ["app", "console_main", "main"]

COMMANDS_GROUP = "mlip.commands"

app = typer.Typer(
    name="mlip",
    help="Machine Learning in Production course kit: run the example systems, "
    "scaffold assignments, check and submit your work.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"mlip {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version_callback, is_eager=True, help="Show the version."
        ),
    ] = False,
) -> None:
    """Machine Learning in Production course kit."""


def _course_missing() -> None:
    """Instructor commands (needs the autograder distribution)."""
    raise MlipError(
        "'mlip course' is part of the instructor distribution; install it with "
        "`pip install mlip-autograder` (or a wheel your course gives you)"
    )


def _register_commands() -> None:
    names: set[str] = set()
    for ep in sorted(entry_points(group=COMMANDS_GROUP), key=lambda e: e.name):
        try:
            target = ep.load()
        except Exception as error:  # a broken plugin must not take the whole CLI down
            print(f"mlip: warning: command {ep.name!r} failed to load: {error}", file=sys.stderr)
            continue
        if isinstance(target, typer.Typer):
            app.add_typer(target, name=ep.name)
        else:
            app.command(ep.name)(target)
        names.add(ep.name)
    if "course" not in names:
        app.command(
            "course",
            context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
            add_help_option=False,
        )(_course_missing)


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return an exit code; every :class:`MlipError` becomes one line on stderr."""
    from mlip.cli._output import err_console

    try:
        app(args=argv, prog_name="mlip")
    except SystemExit as done:  # typer's standalone mode: usage errors (2), typer.Exit(n)
        code = done.code
        return code if isinstance(code, int) else (0 if code is None else int(ExitCode.USAGE))
    except MlipError as error:
        err_console.print(f"[bold red]error:[/] {error}", markup=True, soft_wrap=True)
        return int(error.exit_code)
    except KeyboardInterrupt:
        err_console.print("[bold red]interrupted[/]")
        return 130
    return int(ExitCode.OK)


def console_main() -> None:
    """Console-script entry point: ``sys.exit(main())``."""
    sys.exit(main())
