"""Entry point: the Typer app, its command groups, and the error-to-exit-code edge."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, Optional

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
from hallmark.cli.safe import safe_text
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

# Top-level commands that never open a vault; every other command also takes --vault after its
# name, because users type `hallmark assets --vault DIR` as often as `hallmark --vault DIR assets`.
NO_VAULT = frozenset({"init", "demo", "review"})


def _takes_value(command: Any, token: str) -> int:
    """How many following tokens `token` consumes as its value(s) in `command` (0 for a flag)."""
    for param in command.params:
        if param.param_type_name == "option" and token in (*param.opts, *param.secondary_opts):
            return 0 if param.is_flag or param.count else max(param.nargs, 1)
    return 0


def vault_first(command: Any, args: Sequence[str]) -> list[str]:
    """`args` with a --vault given after a sub-command moved to the front, where the root
    option parses it; the last --vault wins, as click's own rule for a repeated option.

    Tokens are walked with each command's own options, so the value of another option (even
    one that reads "--vault") and anything after `--` stay where they are."""
    rest: list[str] = []
    vault: list[str] = []
    current, i, depth = command, 0, 0
    while i < len(args):
        token = args[i]
        if token == "--":
            rest.extend(args[i:])
            break
        if token.startswith("--vault=") and current is not None:
            vault, i = [token], i + 1
            continue
        if token == "--vault" and current is not None and i + 1 < len(args):
            vault, i = [token, args[i + 1]], i + 2
            continue
        width = 1 + (_takes_value(current, token) if current is not None and
                     token.startswith("-") and "=" not in token else 0)
        rest.extend(args[i:i + width])
        i += width
        subcommands = getattr(current, "commands", None)
        if current is not None and not token.startswith("-") and subcommands is not None:
            current = None if depth == 0 and token in NO_VAULT else subcommands.get(token)
            depth += 1
    return vault + rest


def report_error(exc: HallmarkError) -> int:
    """Print a typed error as one line on stderr; returns its exit code."""
    # A message can carry a scanned file's name: controls and markup in it are shown, not obeyed.
    err_console.print(f"[red]error:[/red] {safe_text(exc)}", highlight=False)
    return exc.exit_code


def _status(code: object) -> int:
    """The exit status a SystemExit(code) gives, as Python itself computes it."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    err_console.print(str(code), highlight=False, markup=False)
    return 1


def run(argv: Sequence[str] | None = None) -> int:
    """Run `hallmark ARGV` and return its exit code: the one place errors become exit codes."""
    command = typer.main.get_command(app)
    args = vault_first(command, sys.argv[1:] if argv is None else argv)
    try:
        command.main(args=args, prog_name="hallmark")  # standalone: always ends in SystemExit
    except SystemExit as exc:  # click's own usage errors (2) and typer.Exit(n) arrive here
        return _status(exc.code)
    except HallmarkError as exc:
        return report_error(exc)
    except OSError as exc:  # a path the user named that cannot be read or written
        where = f"{exc.filename}: " if exc.filename else ""
        return report_error(InputError(f"{where}{exc.strerror or exc}"))
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    return 0


def main() -> None:
    """The `hallmark` program: run the CLI and exit with its code."""
    sys.exit(run())


if __name__ == "__main__":
    main()
