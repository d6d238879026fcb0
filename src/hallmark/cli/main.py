"""Entry point: the Typer app, its command groups, and the error-to-exit-code edge."""

from __future__ import annotations

import sys
from typing import Optional

import rich.markup
import typer

from hallmark.cli import (
    agreement_cmds,
    audit_cmds,
    inventory_cmds,
    ledger_cmds,
    review_cmds,
    share_cmds,
    vault_cmds,
)
from hallmark.cli.common import err_console
from hallmark.errors import HallmarkError, InputError

app = typer.Typer(
    name="hallmark",
    help="Protect the IP of AI assets when you collaborate: know, prove, agree, share, trace.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    vault: Optional[str] = typer.Option(  # noqa: UP045 - Typer needs Optional here
        None, "--vault", envvar="HALLMARK_VAULT",
        help="The vault's folder (default: search upwards).",
    ),
) -> None:
    ctx.obj = {"vault": vault}


vault_cmds.register(app)
inventory_cmds.register(app)
audit_cmds.register(app)
ledger_cmds.register(app)
agreement_cmds.register(app)
share_cmds.register(app)
review_cmds.register(app)


def report_error(exc: HallmarkError) -> int:
    """Print a typed error as one line on stderr; returns its exit code."""
    err_console.print(f"[red]error:[/red] {rich.markup.escape(str(exc))}", highlight=False)
    return exc.exit_code


def main() -> None:
    """Run the CLI; typed errors become one line on stderr and their exit code."""
    try:
        app(prog_name="hallmark")
    except HallmarkError as exc:
        sys.exit(report_error(exc))
    except OSError as exc:  # a path the user named that cannot be read or written
        where = f"{exc.filename}: " if exc.filename else ""
        sys.exit(report_error(InputError(f"{where}{exc.strerror or exc}")))
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
