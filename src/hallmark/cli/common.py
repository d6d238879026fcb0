"""What every command module shares: consoles, JSON output, finding the vault."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from hallmark.vault import Vault

console = Console()
err_console = Console(stderr=True)

JsonOption = typer.Option(False, "--json", help="Print exactly one JSON document on stdout.")


def emit_json(document: Any) -> None:
    """Print one JSON document on stdout (no Rich markup, no wrapping)."""
    sys.stdout.write(json.dumps(document, indent=2, default=str, ensure_ascii=False) + "\n")


def open_vault(ctx: typer.Context) -> Vault:
    """The vault named by --vault / HALLMARK_VAULT, or found upwards from the cwd."""
    named = (ctx.find_root().obj or {}).get("vault")
    return Vault.find(named)


def table(title: str | None, columns: list[str], rows: list[list[Any]],
          wrap: tuple[str, ...] = ()) -> Table:
    """A Rich table with the house style; only the `wrap` columns may wrap, the rest stay whole."""
    t = Table(title=title, header_style="bold", show_lines=False)
    for col in columns:
        if col in wrap:
            t.add_column(col, overflow="fold", ratio=1)
        else:
            t.add_column(col, no_wrap=True)
    for row in rows:
        t.add_row(*("" if v is None else str(v) for v in row))
    return t
