"""`token create|list|revoke`: API tokens, each for one role (a partner's bound to its party)."""

from __future__ import annotations

from typing import Optional

import typer

from hallmark.cli.common import JsonOption, console, emit_json, err_console, open_vault, table
from hallmark.cli.safe import safe_text

token_app = typer.Typer(help="API tokens: create (shown once), list, revoke.",
                        no_args_is_help=True)

NEVER = "never"


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    role: str = typer.Option(..., "--role",
                             help="admin | counsel | engineer | auditor | partner"),
    party: Optional[str] = typer.Option(  # noqa: UP045
        None, "--party", help="The party a partner token is bound to (partner tokens only)."),
    expires: str = typer.Option("90d", "--expires",
                                help="A duration (90d, 6w, 18m, 2y), a date, or 'never'."),
    note: Optional[str] = typer.Option(  # noqa: UP045
        None, "--note", help="A label: who holds it, what it is for."),
    as_json: bool = JsonOption,
) -> None:
    """Create an API token and print it once: only its hash is kept (logged, without it)."""
    from hallmark.services import tokens

    vault = open_vault(ctx)
    made = tokens.create(vault, role, party=party, note=note, actor=vault.actor,
                         expires=None if expires.strip().lower() == NEVER else expires)
    if as_json:
        emit_json(made)
        return
    r = made.record
    err_console.print(f"Created token {r.id}: role {r.role}"
                      + (f", bound to {safe_text(r.party)}" if r.party else "")
                      + (f", expires on {r.expires}" if r.expires
                         else ", never expires") + ".", highlight=False)
    console.print(made.token, highlight=False, markup=False, soft_wrap=True)
    err_console.print("[bold]Store it now: it is not kept and will not be shown again.[/bold] "
                      f"Revoke it with `hallmark token revoke {r.id}`.", highlight=False)


@token_app.command("list")
def token_list(
    ctx: typer.Context,
    party: Optional[str] = typer.Option(  # noqa: UP045
        None, "--party", help="Only the tokens bound to this party."),
    include_revoked: bool = typer.Option(False, "--all", help="Revoked tokens too."),
    as_json: bool = JsonOption,
) -> None:
    """The API tokens, newest first (never a secret)."""
    from hallmark.services import tokens

    found = tokens.list_tokens(open_vault(ctx), party=party, include_revoked=include_revoked)
    if as_json:
        emit_json(found)
        return
    console.print(table(None, ["id", "role", "party", "status", "expires", "note"],
                        [[t.id, t.role, t.party or "", t.status, t.expires or NEVER,
                          t.note or (f"revoked: {t.revoked_reason}" if t.revoked_reason
                                     else "")] for t in found.tokens], wrap=("note",)))


@token_app.command("revoke")
def token_revoke(
    ctx: typer.Context,
    token_id: str = typer.Argument(..., metavar="ID", help="The token's id (not the token)."),
    reason: Optional[str] = typer.Option(None, "--reason"),  # noqa: UP045
    as_json: bool = JsonOption,
) -> None:
    """Revoke a token from now on (logged)."""
    from hallmark.services import tokens

    vault = open_vault(ctx)
    done = tokens.revoke(vault, token_id, reason=reason, actor=vault.actor)
    if as_json:
        emit_json(done)
        return
    console.print(f"Token {done.id} ({done.role}"
                  + (f", {safe_text(done.party)}" if done.party else "")
                  + ") revoked; it no longer authenticates.", highlight=False)


def register(app: typer.Typer) -> None:
    """Attach this module's commands."""
    app.add_typer(token_app, name="token")
