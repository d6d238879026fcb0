"""`hallmark init`."""

from __future__ import annotations

from pathlib import Path

import typer

from hallmark.cli.common import console
from hallmark.vault import Vault


def init(
    directory: Path = typer.Argument(Path("."), help="Where to create .hallmark/."),
) -> None:
    """Create a vault in DIRECTORY (refuses if one exists)."""
    vault = Vault.create(directory)
    console.print(f"Created vault [bold]{vault.dir}[/bold]")
    console.print("Next: [bold]hallmark scan .[/bold] to inventory your AI assets.")
    vault.close()


def demo(
    workdir: Path = typer.Option(None, "--dir", help="Where to build the sample (default: a new "
                                 "temporary folder)."),
) -> None:
    """Build a sample AI project, inventory it, audit it and show what to look at next."""
    from hallmark.demo import run_demo

    run_demo(lambda line: console.print(line, highlight=False), workdir)


def register(app: typer.Typer) -> None:
    """Attach this module's commands."""
    app.command()(init)
    app.command()(demo)
