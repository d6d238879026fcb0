"""`hallmark demo`, contributed like any installed plugin: through the `hallmark` entry point
in pyproject.toml. Typer is imported only when the CLI asks for the command, so a service that
loads the plugins never loads the CLI."""

from __future__ import annotations

from pathlib import Path  # the command's annotation, resolved from this module's globals
from typing import Any

from hallmark import hookimpl


@hookimpl
def hallmark_cli_commands(app: Any) -> None:
    """Attach `demo`."""
    import typer

    def demo(
        workdir: Path = typer.Option(None, "--dir", help="Where to build the sample (default: "
                                     "a new temporary folder)."),
    ) -> None:
        """Build a sample AI project, inventory it, audit it and show what to look at next."""
        from hallmark.cli.common import console
        from hallmark.demo import run_demo

        run_demo(lambda line: console.print(line, highlight=False), workdir)

    app.command()(demo)
