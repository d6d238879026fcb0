"""`hallmark init`."""

from __future__ import annotations

from pathlib import Path

import typer

from hallmark.cli.common import console


def init(
    directory: Path = typer.Argument(Path("."), help="Where to create .hallmark/."),
) -> None:
    """Create a vault in DIRECTORY (refuses if one exists)."""
    from hallmark import Vault

    vault = Vault.create(directory)
    console.print(f"Created vault [bold]{vault.dir}[/bold]")
    console.print("Next: [bold]hallmark scan .[/bold] to inventory your AI assets.")
    vault.close()


def register(app: typer.Typer) -> None:
    """Attach this module's commands."""
    app.command()(init)
