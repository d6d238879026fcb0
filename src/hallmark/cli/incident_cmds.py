"""`incident open|list|show|notice|update|export`: from a traced leak to a case file."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from hallmark.cli.common import JsonOption, console, emit_json, err_console, open_vault, table
from hallmark.cli.safe import safe_text

incident_app = typer.Typer(help="Breaches: open, notice, cure or escalate, export the case.",
                           no_args_is_help=True)


@incident_app.command("open")
def incident_open(
    ctx: typer.Context,
    source: str = typer.Option(..., "--from", help="The trace (or alert) id that found it."),
    title: Optional[str] = typer.Option(None, "--title"),  # noqa: UP045
    party: Optional[str] = typer.Option(  # noqa: UP045
        None, "--party", help="Which accused party, when the trace accuses several."),
    as_json: bool = JsonOption,
) -> None:
    """Open an incident from a trace that accuses a party (logged)."""
    from hallmark.services import incidents

    vault = open_vault(ctx)
    found = incidents.open_incident(vault, source, actor=vault.actor, title=title, party=party)
    if as_json:
        emit_json(found)
        return
    console.print(f"Opened [bold]{found.incident}[/bold] against {safe_text(found.party)} for "
                  f"asset {found.asset} under {', '.join(found.agreements) or 'no agreement'}; "
                  f"{len(found.clauses)} terms and clauses touched.", highlight=False)


@incident_app.command("list")
def incident_list(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """Every incident, newest first."""
    from hallmark.services import incidents

    found = incidents.list_incidents(open_vault(ctx))
    if as_json:
        emit_json(found)
        return
    console.print(table(None, ["incident", "status", "party", "asset", "cure due", "title"],
                        [[i.incident, i.status, i.party, i.asset, i.cure_due or "", i.title]
                         for i in found.incidents], wrap=("title",)))


@incident_app.command("show")
def incident_show(ctx: typer.Context, incident: str = typer.Argument(...),
                  as_json: bool = JsonOption) -> None:
    """An incident: accusations, clauses touched, files logged and its timeline."""
    from hallmark.services import incidents

    found = incidents.show(open_vault(ctx), incident)
    if as_json:
        emit_json(found)
        return
    console.print(f"[bold]{found.incident}[/bold] {safe_text(found.title)}: {found.status}; "
                  f"party {safe_text(found.party)}, asset {found.asset}, from {found.source}"
                  + (f"; cure due {found.cure_due}" if found.cure_due else ""), highlight=False)
    console.print(table("Accused shares", ["share", "recipient", "p-value"],
                        [[a.share, a.recipient, f"{a.p_value:.3g}"] for a in found.accused]))
    console.print(table("Terms and clauses touched", ["agreement", "clause", "text", "where"],
                        [[c.agreement, c.clause, c.text, c.location or c.source]
                         for c in found.clauses], wrap=("text", "where")))
    console.print(table("Timeline", ["entry", "time", "event", "actor", "what"],
                        [[s.seq, s.time, s.type, s.actor, s.summary] for s in found.timeline],
                        wrap=("what",)))


@incident_app.command("notice")
def incident_notice(
    ctx: typer.Context,
    incident: str = typer.Argument(...),
    output: Path = typer.Option(..., "-o", "--output", help="notice.md, .docx or .pdf"),
    template: Optional[Path] = typer.Option(  # noqa: UP045
        None, "--template", help="Your own Markdown template (${placeholders})."),
    as_json: bool = JsonOption,
) -> None:
    """Draft the breach notice (or a cease-and-desist form) with its evidence bundle."""
    from hallmark.services import incidents

    vault = open_vault(ctx)
    drafted = incidents.notice(vault, incident, output, actor=vault.actor, template=template)
    if as_json:
        emit_json(drafted)
        return
    label = "Breach notice" if drafted.kind == "breach-notice" else \
        "Cease-and-desist form (no agreement in force)"
    console.print(f"{label} written to {safe_text(drafted.file)} (SHA-256 {drafted.sha256}); "
                  f"evidence: {safe_text(', '.join(drafted.evidence))}", highlight=False)
    if drafted.cure_due:
        console.print(f"Cure period ends {drafted.cure_due} (in `hallmark deadlines`).")


@incident_app.command("update")
def incident_update(
    ctx: typer.Context,
    incident: str = typer.Argument(...),
    status: str = typer.Option(..., "--status", help="cured|escalated|terminated|settled"),
    notes: Optional[str] = typer.Option(None, "--notes"),  # noqa: UP045
    as_json: bool = JsonOption,
) -> None:
    """Record what happened; `terminated` also terminates the agreements in force (logged)."""
    from hallmark.services import incidents

    vault = open_vault(ctx)
    found = incidents.update(vault, incident, status, actor=vault.actor, notes=notes)
    if as_json:
        emit_json(found)
        return
    console.print(f"{found.incident} is now {found.status}", highlight=False)
    if status == "terminated":
        err_console.print("agreements with the party in force today were terminated; "
                          "see `hallmark agreement list`", highlight=False)


@incident_app.command("export")
def incident_export(
    ctx: typer.Context,
    incident: str = typer.Argument(...),
    output: Path = typer.Option(..., "-o", "--output", help="The case file (.zip) to write."),
    as_json: bool = JsonOption,
) -> None:
    """Write the case file; check it anywhere with `hallmark verify-bundle`."""
    from hallmark.services import incidents

    vault = open_vault(ctx)
    written = incidents.export_case(vault, incident, output, actor=vault.actor)
    if as_json:
        emit_json(written)
        return
    console.print(f"Case file {safe_text(written.file)}: {written.events} log entries, "
                  f"{len(written.files)} files, proved at checkpoint {written.tree_size} "
                  f"(SHA-256 {written.sha256}). Check it: hallmark verify-bundle "
                  f"{safe_text(written.file)}", highlight=False)


def register(app: typer.Typer) -> None:
    """Attach this module's commands."""
    app.add_typer(incident_app, name="incident")
