"""The CLI reference is generated from the typer app and documents every command."""

from __future__ import annotations

from pathlib import Path

from mlip_docs.cli_reference import cli_reference, iter_commands


def test_every_command_has_help_text() -> None:
    commands = list(iter_commands())
    assert {"mlip", "mlip systems", "mlip systems run"} <= {c.path for c in commands}
    missing = [c.path for c in commands if not c.help.strip()]
    assert not missing, f"commands without help text: {missing}"


def test_every_option_has_help_text() -> None:
    for command in iter_commands():
        for flags, text in command.params:
            assert text.strip(), f"{command.path} {flags} has no help text"


def test_every_command_appears_on_the_generated_page() -> None:
    page = cli_reference()
    for command in iter_commands():
        assert f"## `{command.path}`" in page or f"### `{command.path}`" in page


def test_every_command_appears_on_the_built_page(built_site: Path) -> None:
    html = (built_site / "cli" / "index.html").read_text(encoding="utf-8")
    for command in iter_commands():
        assert command.path.replace(" ", "-") in html  # the heading anchor
        assert command.path in html
