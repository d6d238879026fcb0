"""`agreement add|list|show|amend|terminate`, `ownership` and `check`."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from hallmark import services
from hallmark.cli.common import JsonOption, console, csv_cell, emit_json, open_vault, table
from hallmark.cli.safe import safe_text
from hallmark.errors import InputError

if TYPE_CHECKING:
    from hallmark.schemas import Agreement, AgreementReview

agreement_app = typer.Typer(help="Agreements: NDAs, collaborations, data use, assignments ...",
                            no_args_is_help=True)


def _summary(ag: Agreement) -> str:
    doc = f", document {ag.document_sha256[:12]}" if ag.document_sha256 else ""
    return f"[bold]{safe_text(ag.id)}[/bold] v{ag.version} ({ag.type}, {ag.status}{doc})"


@agreement_app.command("add")
def add(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="The agreement's terms (YAML)."),
    document: Optional[Path] = typer.Option(  # noqa: UP045
        None, "--document", help="The signed document (PDF, DOCX or TXT)."),
    as_json: bool = JsonOption,
) -> None:
    """Record an agreement from its YAML terms (and signed document)."""
    vault = open_vault(ctx)
    ag = services.agreements.add(vault, file, document=document, actor=vault.actor)
    emit_json(ag) if as_json else console.print(f"Added {_summary(ag)}")


@agreement_app.command("amend")
def amend(
    ctx: typer.Context,
    agreement_id: str = typer.Argument(..., metavar="ID"),
    file: Path = typer.Argument(..., help="The amended terms (YAML)."),
    document: Optional[Path] = typer.Option(None, "--document"),  # noqa: UP045
    as_json: bool = JsonOption,
) -> None:
    """Amend an agreement: a new version; the history is kept and logged."""
    vault = open_vault(ctx)
    ag = services.agreements.amend(vault, agreement_id, file, document=document,
                                   actor=vault.actor)
    emit_json(ag) if as_json else console.print(f"Amended {_summary(ag)}")


@agreement_app.command("terminate")
def terminate(
    ctx: typer.Context,
    agreement_id: str = typer.Argument(..., metavar="ID"),
    on: str = typer.Option(..., "--on", help="The date it ends (YYYY-MM-DD)."),
    as_json: bool = JsonOption,
) -> None:
    """Terminate an agreement on a date."""
    vault = open_vault(ctx)
    ag = services.agreements.terminate(vault, agreement_id, on, actor=vault.actor)
    if as_json:
        emit_json(ag)
    else:
        console.print(f"Terminated {_summary(ag)} on {ag.terminated_on}")


@agreement_app.command("list")
def list_cmd(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """List agreements with their state today."""
    found = services.agreements.list_agreements(open_vault(ctx))
    if as_json:
        emit_json(found)
        return
    # The term's two dates share one column, one above the other, so that titles and parties
    # keep room at 80 columns beside a "terminated" state.
    rows = [[a.id, a.type, a.title, ", ".join(a.parties),
             f"{a.effective} {a.expires or 'open'}", a.state, a.version]
            for a in found.agreements]
    console.print(table(None, ["id", "type", "title", "parties", "effective expires", "state",
                               "v"], rows, wrap=("title", "parties", "effective expires")))


@agreement_app.command("show")
def show(ctx: typer.Context, agreement_id: str = typer.Argument(..., metavar="ID"),
         as_json: bool = JsonOption) -> None:
    """Show an agreement's terms and history."""
    ag = services.agreements.show(open_vault(ctx), agreement_id)
    state, review = ag.state, ag.review
    if as_json:
        emit_json(ag)
        return
    # Terms come from an agreement file: every value is shown as text, never read as markup.
    console.print(f"{_summary(ag)}  {safe_text(ag.title)}  {safe_text(f'[{state}]')}")
    t = ag.terms
    console.print(f"parties: {safe_text(', '.join(t['parties']))} "
                  f"(discloser {safe_text(t['discloser'])})")
    console.print(f"effective {ag.effective} to {ag.expires or 'open'}"
                  + (f", terminated {ag.terminated_on}" if ag.terminated_on else "")
                  + (f", confidentiality survives {t['confidentiality_survives']}"
                     if t["confidentiality_survives"] else ""))
    console.print(f"covers: {safe_text(', '.join(t['covers']) or 'nothing')}")
    for i, p in enumerate(t["permitted"]):
        purposes = ", ".join(p["purposes"] or ["any purpose"])
        console.print(safe_text(f"permitted[{i}]: {p['party']} teams {p['teams'] or 'any'} may "
                                f"{', '.join(p['actions'])} for {purposes}"))
    if t["prohibited"]:
        console.print(f"prohibited: {safe_text(', '.join(t['prohibited']))}")
    for o in t["ownership"]:
        console.print(safe_text(f"ownership: {o['subject']} -> {o['owner'] or o['joint']}"))
    console.print(safe_text(f"governing law: {t.get('governing_law') or 'not stated'}; "
                            f"jurisdiction: {t.get('jurisdiction') or 'not stated'}"))
    if t.get("export_licence"):
        lic = t["export_licence"]
        console.print(safe_text(f"export licence: {lic['number']} ({lic['authority']}), "
                                f"expires {lic.get('expires') or 'never'}"))
    rows = [[v.version, v.change, v.recorded, (v.source_sha256 or "")[:12],
             (v.document_sha256 or "")[:12]] for v in ag.history]
    console.print(table("history", ["v", "change", "recorded", "terms", "document"], rows))
    if review is not None:
        _print_review(review)


def _print_review(review: AgreementReview) -> None:
    console.print(f"review of v{review.version} (document {review.document_sha256[:12]}, "
                  f"{review.review_type} checklist): {len(review.missing)} missing, "
                  f"{len(review.risks)} risk(s)")
    if review.missing:
        console.print(table("missing clauses", ["clause", "why it is required"],
                            [[m.type, m.reason] for m in review.missing],
                            wrap=("why it is required",)))
    if review.risks:
        console.print(table("risks", ["risk", "severity", "message"],
                            [[r.id, r.severity, r.message]
                             for r in review.risks], wrap=("message",)))


def ownership(
    ctx: typer.Context,
    as_json: bool = JsonOption,
    as_csv: bool = typer.Option(False, "--csv", help="Print the asset rows as CSV."),
) -> None:
    """The ownership matrix: every asset's owner or joint shares, status, and agreement."""
    doc = services.agreements.ownership(open_vault(ctx))
    if as_json:
        emit_json(doc)
        return
    shares = lambda o: "; ".join(f"{p} {s}%" for p, s in o.items())  # noqa: E731
    if as_csv:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["asset", "name", "kind", "status", "owners", "source", "agreements",
                         "governing_law", "jurisdiction"])
        for r in doc.assets:
            writer.writerow([csv_cell(c) for c in (
                r.asset, r.name, r.kind, r.status, shares(r.owners), r.source,
                " ".join(r.agreements), r.governing_law or "", r.jurisdiction or "")])
        sys.stdout.write(out.getvalue())
        return
    rows = [[r.asset, r.name, r.kind, r.status, shares(r.owners) or "-",
             r.source] for r in doc.assets]
    console.print(table("ownership", ["asset", "name", "kind", "status", "owners", "source"],
                        rows, wrap=("name", "owners")))
    laws = {r.source: (r.governing_law, r.jurisdiction) for r in doc.assets
            if r.source not in ("register", "none")}
    if laws:
        console.print(table("governing law", ["agreement", "governing law", "jurisdiction"],
                            [[a, law or "not stated", forum or "not stated"]
                             for a, (law, forum) in sorted(laws.items())],
                            wrap=("governing law", "jurisdiction")))
    if doc.future_work:
        console.print(table("future work", ["agreement", "subject", "owners"],
                            [[f.agreement, f.subject, shares(f.owners)]
                             for f in doc.future_work], wrap=("owners",)))
    for c in doc.conflicts:
        console.print(f"[red]conflict[/red] {safe_text(c.message)}")


def check(
    ctx: typer.Context,
    party: Optional[str] = typer.Option(None, "--party", help="Who asks."),  # noqa: UP045
    team: Optional[str] = typer.Option(None, "--team", help="Their team."),  # noqa: UP045
    asset: Optional[str] = typer.Option(None, "--asset"),  # noqa: UP045
    action: Optional[str] = typer.Option(None, "--action"),  # noqa: UP045
    purpose: Optional[str] = typer.Option(None, "--purpose"),  # noqa: UP045
    at: Optional[str] = typer.Option(None, "--at", help="Date (default today)."),  # noqa: UP045
    person: Optional[str] = typer.Option(  # noqa: UP045
        None, "--person", help="A person inside the party or team (acknowledged terms)."),
    batch: Optional[Path] = typer.Option(  # noqa: UP045
        None, "--batch", help="Decide many requests: a JSON array or JSON Lines file."),
    as_json: bool = JsonOption,
) -> None:
    """May PARTY do ACTION with ASSET? Allow or deny with reasons; exit 0 allow, 3 deny."""
    if batch is not None:
        if any(v is not None for v in (party, team, asset, action, purpose, at, person)):
            raise InputError("--batch takes its requests from the file only")
        vault = open_vault(ctx)
        found = services.access.check_batch(vault, batch, actor=vault.actor)
        if as_json:
            emit_json(found)
    else:
        if party is None or asset is None or action is None:
            raise InputError("check needs --party, --asset and --action (or --batch FILE)")
        vault = open_vault(ctx)
        one = services.access.check(vault, party, asset, action, team=team, purpose=purpose,
                                    at=at, person=person, actor=vault.actor)
        from hallmark.schemas import AccessDecisions

        found = AccessDecisions(decisions=[one])
        if as_json:
            emit_json(one)
    decisions = found.decisions
    if not as_json:
        for d in decisions:
            r = d.request
            verdict = "[green]allow[/green]" if d.allowed else "[red]deny[/red]"
            who = r.person or r.team or r.party
            asked = (f"{who} {r.action} {r.asset} on {r.at}"
                     + (f" for {r.purpose}" if r.purpose else ""))
            console.print(f"{verdict} {safe_text(asked)}")
            for reason in d.reasons:
                console.print(f"  - {safe_text(reason)}", highlight=False)
    if not all(d.allowed for d in decisions):
        raise typer.Exit(3)


def register(app: typer.Typer) -> None:
    """Attach this module's commands."""
    app.add_typer(agreement_app, name="agreement")
    app.command()(ownership)
    app.command()(check)
