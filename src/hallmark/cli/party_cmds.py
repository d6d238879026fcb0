"""`party add|set|list|show|diligence`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from hallmark import services
from hallmark.cli.common import JsonOption, console, emit_json, open_vault, table
from hallmark.cli.safe import safe_text, styled

if TYPE_CHECKING:
    from hallmark.schemas import Diligence

party_app = typer.Typer(help="Organisations, teams inside them (Org/Team) and persons.",
                        no_args_is_help=True)

KIND_SHOWN = {"organisation": "org"}  # the list's narrow kind column
RATING_STYLE = {"high": "[red]high[/red]", "medium": "[yellow]medium[/yellow]",
                "low": "[green]low[/green]"}


@party_app.command("add")
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The party's name; a team as Org/Team."),
    kind: str = typer.Option(..., "--kind", help="organisation | team | person"),
    member_of: Optional[str] = typer.Option(  # noqa: UP045
        None, "--member-of", help="The organisation (or team) it belongs to."),
    role: Optional[str] = typer.Option(  # noqa: UP045
        None, "--role", help="partner|contractor|employee|sponsor|vendor|university"),
    email: Optional[str] = typer.Option(  # noqa: UP045
        None, "--email", help="A person's email (matches git authors)."),
    country: Optional[str] = typer.Option(  # noqa: UP045
        None, "--country", help="ISO 3166-1 alpha-2 code (US, DE, CN)."),
    as_json: bool = JsonOption,
) -> None:
    """Register a party."""
    vault = open_vault(ctx)
    party = services.parties.add(vault, name, kind, member_of=member_of, role=role, email=email,
                                 country=country, actor=vault.actor)
    if as_json:
        emit_json(party)
    else:
        console.print(f"Added {party.kind} [bold]{safe_text(party.name)}[/bold] "
                      f"(id {safe_text(party.id)})")


@party_app.command("set")
def set_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The party's name or id."),
    country: Optional[str] = typer.Option(  # noqa: UP045
        None, "--country", help="ISO 3166-1 alpha-2 code (US, DE, CN)."),
    role: Optional[str] = typer.Option(None, "--role"),  # noqa: UP045
    email: Optional[str] = typer.Option(None, "--email"),  # noqa: UP045
    as_json: bool = JsonOption,
) -> None:
    """Change a party's country, role or email (logged)."""
    vault = open_vault(ctx)
    party = services.parties.set_fields(vault, name, country=country, role=role, email=email,
                                        actor=vault.actor)
    if as_json:
        emit_json(party)
    else:
        console.print(f"Updated [bold]{safe_text(party.name)}[/bold] (country "
                      f"{party.country or 'unknown'})")


@party_app.command("list")
def list_cmd(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """List every party."""
    vault = open_vault(ctx)
    found = services.parties.list_parties(vault)
    if as_json:
        emit_json(found)
        return
    scores = services.parties.diligence_by_party(vault)
    # A team's id already names its organisation ("org/team"): its "member of" stays blank,
    # and names and groups wrap, so that ids and the country keep their whole width.
    rows = [[p.name, p.id, KIND_SHOWN.get(p.kind, p.kind), p.role,
             None if p.kind == "team" else p.member_of, p.country,
             styled(f"{review.score} {RATING_STYLE[review.rating]}")
             if (review := scores.get(p.id)) is not None else ""] for p in found.parties]
    console.print(table(None, ["name", "id", "kind", "role", "member of", "country", "risk"],
                        rows, wrap=("name", "member of", "role")))


@party_app.command("show")
def show(ctx: typer.Context, name: str = typer.Argument(..., help="Party id or name."),
         as_json: bool = JsonOption) -> None:
    """Show a party: groups, members, agreements and due diligence with its reasons."""
    report = services.parties.show(open_vault(ctx), name)
    if as_json:
        emit_json(report)
        return
    p = report.party
    console.print(f"[bold]{safe_text(p.name)}[/bold]  {p.kind}  id {safe_text(p.id)}"
                  + (f"  role {safe_text(p.role)}" if p.role else ""))
    if report.groups:
        console.print(f"in: {safe_text(' / '.join(report.groups))}")
    if report.members:
        console.print(f"members: {safe_text(', '.join(report.members))}")
    agreements = ", ".join(f"{a.id} ({a.type}, {a.status})"
                           for a in report.agreements) or "none"
    console.print(f"agreements: {safe_text(agreements)}")
    _print_diligence(report.diligence)


def _print_diligence(review: Diligence | None) -> None:
    if review is None:
        console.print("due diligence: [red]none recorded[/red]")
        return
    console.print(f"due diligence v{review.version} ({review.recorded[:10]}): risk "
                  f"{review.score}/100 {RATING_STYLE[review.rating]}")
    rows = [[i["item"], i["answer"] or "-", i["evidence"] or "", i["points"], i["reason"]]
            for i in review.items]
    console.print(table(None, ["item", "answer", "evidence", "points", "reason"], rows,
                        wrap=("evidence", "reason")))


@party_app.command("diligence")
def diligence_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Party id or name."),
    answers: Path = typer.Option(..., "--answers", help="The answers file (YAML)."),
    as_json: bool = JsonOption,
) -> None:
    """Record due-diligence answers (with evidence) and score them with the rubric."""
    vault = open_vault(ctx)
    review = services.parties.record_diligence(vault, name, answers, actor=vault.actor)
    if as_json:
        emit_json(review)
    else:
        _print_diligence(review)


def register(app: typer.Typer) -> None:
    """Attach this module's commands."""
    app.add_typer(party_app, name="party")
