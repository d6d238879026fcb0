"""The default plugin contributing `hallmark demo`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from hallmark import hookimpl


def demo(
    workdir: Path = typer.Option(None, "--dir", help="Where to build the sample (default: a new "
                                 "temporary folder)."),
) -> None:
    """Build a sample AI project, inventory it, audit it and show what to look at next."""
    from hallmark.cli.common import console
    from hallmark.demo import run_demo

    run_demo(lambda line: console.print(line, highlight=False), workdir)


@hookimpl
def hallmark_cli_commands(app: Any) -> None:
    """Attach `demo`."""
    app.command()(demo)
