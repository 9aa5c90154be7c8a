"""Public: the consoles and JSON output a command plugin uses to look like the kit's own.

A package adding commands through the ``mlip.commands`` entry-point group (the autograder's
``mlip course`` among them) prints through these, so ``--json``, colours and progress bars
behave the same in every command. Importing it loads only rich.
"""

from __future__ import annotations

from mlip.cli._output import console, err_console, format_number, print_json, progress_bar

__all__ = ["console", "err_console", "format_number", "print_json", "progress_bar"]
