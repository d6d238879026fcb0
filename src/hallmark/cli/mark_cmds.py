"""`mark add|list`: trademarks protecting model names and services."""

from __future__ import annotations

from typing import Optional

import typer

from hallmark.cli.common import JsonOption, console, emit_json, open_vault, table
from hallmark.cli.safe import safe_text

mark_app = typer.Typer(help="Trademarks (model names, services).", no_args_is_help=True)


@mark_app.command("add")
def mark_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The mark as registered (a model's name, say)."),
    nice_class: str = typer.Option(
        ..., "--class", help="Nice class 1-45 (9: software, models; 42: SaaS, AI services)."),
    office: str = typer.Option(..., "--office", help="USPTO, EUIPO, UKIPO, WIPO, JPO ..."),
    filed: Optional[str] = typer.Option(None, "--filed", help="Filing date (YYYY-MM-DD)."),  # noqa: UP045
    registered: Optional[str] = typer.Option(  # noqa: UP045
        None, "--registered", help="Registration date (YYYY-MM-DD)."),
    number: Optional[str] = typer.Option(None, "--number"),  # noqa: UP045
    assets: list[str] = typer.Option([], "--assets", help="Assets it names; repeat."),
    as_json: bool = JsonOption,
) -> None:
    """Record a trademark; its renewals appear in `hallmark deadlines`."""
    from hallmark.services import trademarks

    vault = open_vault(ctx)
    mark = trademarks.add_mark(vault, name, nice_class, office, filed=filed,
                               registered=registered, number=number, assets=assets,
                               actor=vault.actor)
    if as_json:
        emit_json(mark)
    else:
        state = f"registered {mark.registered}" if mark.registered else (
            f"filed {mark.filed}" if mark.filed else "no dates yet")
        console.print(f"Recorded [bold]{mark.id}[/bold] {safe_text(repr(mark.name))} in class "
                      f"{mark.nice_class} at {mark.office} ({state})")


@mark_app.command("list")
def mark_list(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """List recorded trademarks."""
    from hallmark.services import trademarks

    found = trademarks.list_marks(open_vault(ctx))
    if as_json:
        emit_json(found)
        return
    rows = [[m.id, m.name, m.nice_class, m.office, m.filed or "", m.registered or "",
             m.number or "", ", ".join(m.assets)] for m in found.trademarks]
    console.print(table(None, ["id", "name", "class", "office", "filed", "registered", "number",
                               "assets"], rows, wrap=("name", "assets")))


def register(app: typer.Typer) -> None:
    """Attach this module's commands."""
    app.add_typer(mark_app, name="mark")
