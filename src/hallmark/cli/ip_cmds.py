"""`invention add|list|publish`, `filing add`, `deadlines` and `checklist`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.text import Text

from hallmark.cli.common import (
    JsonOption,
    console,
    emit_json,
    err_console,
    open_vault,
    table,
)
from hallmark.cli.safe import clean, safe_text, styled

invention_app = typer.Typer(help="Invention disclosures.", no_args_is_help=True)
filing_app = typer.Typer(help="Patent filings for an invention.", no_args_is_help=True)

STATUS_STYLE = {"missed": "[red]missed[/red]", "near": "[yellow]near[/yellow]",
                "upcoming": "upcoming", "passed": "[dim]passed[/dim]",
                "done": "[green]done[/green]", "partial": "[yellow]partial[/yellow]",
                "missing": "[red]missing[/red]"}


@invention_app.command("add")
def invention_add(
    ctx: typer.Context,
    title: str = typer.Argument(...),
    conceived: str = typer.Option(..., "--conceived", help="Date of conception (YYYY-MM-DD)."),
    inventors: list[str] = typer.Option(..., "--inventors", help="Inventors (persons); repeat."),
    assets: list[str] = typer.Option([], "--assets", help="Assets embodying it; repeat."),
    as_json: bool = JsonOption,
) -> None:
    """Record an invention disclosure (logged with its time)."""
    from hallmark.services import inventions

    vault = open_vault(ctx)
    inv = inventions.add_invention(vault, title, conceived, inventors, assets, actor=vault.actor)
    if as_json:
        emit_json(inv)
    else:
        console.print(f"Disclosed [bold]{inv.id}[/bold] {safe_text(repr(inv.title))} (conceived "
                      f"{inv.conceived}, recorded {inv.disclosed})")


@invention_app.command("list")
def invention_list(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """List inventions and their filings."""
    from hallmark.services import inventions

    found = inventions.list_inventions(open_vault(ctx))
    if as_json:
        emit_json(found)
        return
    rows = [[i.id, i.title, i.conceived, ", ".join(i.inventors),
             "; ".join(f"{f.kind} {f.office} {f.filed}" for f in i.filings) or "none",
             f"{i.publication.published} ({i.publication.format})" if i.publication else ""]
            for i in found.inventions]
    console.print(table(None, ["id", "title", "conceived", "inventors", "filings", "published"],
                        rows, wrap=("title", "inventors", "filings")))


def _warn(lines: list[str]) -> None:
    for line in lines:
        err_console.print(f"warning: {safe_text(line)}", highlight=False)


@invention_app.command("publish")
def invention_publish(
    ctx: typer.Context,
    invention: str = typer.Argument(..., help="The invention's id."),
    output: Path = typer.Option(..., "-o", "--output", help="The disclosure: .md or .pdf."),
    abstract: Optional[str] = typer.Option(None, "--abstract", help="What the invention is."),  # noqa: UP045
    summary: list[str] = typer.Option(  # noqa: B006 - Typer's way to say "none given"
        [], "--summary", help="A claims-like statement of what is disclosed; repeat."),
    source: Optional[Path] = typer.Option(  # noqa: UP045
        None, "--from", help="A YAML file with `abstract` and `claims` (a list)."),
    published: Optional[str] = typer.Option(  # noqa: UP045
        None, "--published", help="Publication date (YYYY-MM-DD; default today)."),
    url: Optional[str] = typer.Option(None, "--public-url", help="Where it appeared."),  # noqa: UP045
    as_json: bool = JsonOption,
) -> None:
    """Publish an invention defensively: a dated disclosure, logged, prior art from then on."""
    from hallmark.services import inventions

    vault = open_vault(ctx)
    done = inventions.publish(vault, invention, output, actor=vault.actor, abstract=abstract,
                              summary=summary or None, source=source, published=published,
                              url=url)
    _warn(done.warnings)
    if as_json:
        emit_json(done)
        return
    pub = done.publication
    stamped = f", time-stamped {pub.timestamped}" if pub.timestamped else ""
    console.print(f"Published {pub.invention} on {pub.published}: {safe_text(done.file)} "
                  f"(sha256 {pub.disclosure_sha256[:16]}..., log entry {pub.seq}{stamped})")


@filing_app.command("add")
def filing_add(
    ctx: typer.Context,
    invention: str = typer.Argument(..., help="The invention's id."),
    kind: str = typer.Option(..., "--kind", help="provisional|non-provisional|pct|national"),
    office: str = typer.Option(..., "--office", help="Office code: US, EP (EPO), WO ..."),
    filed: str = typer.Option(..., "--filed", help="Filing date (YYYY-MM-DD)."),
    number: Optional[str] = typer.Option(None, "--number"),  # noqa: UP045
    as_json: bool = JsonOption,
) -> None:
    """Record a patent filing."""
    from hallmark.services import inventions

    vault = open_vault(ctx)
    filing = inventions.add_filing(vault, invention, kind, office, filed, number,
                                   actor=vault.actor)
    _warn(filing.warnings)
    if as_json:
        emit_json(filing)
    else:
        console.print(f"Filed {filing.kind} at {filing.office} on {filing.filed} "
                      f"for {filing.invention} ({filing.id})")


def deadlines(
    ctx: typer.Context,
    within: Optional[str] = typer.Option(  # noqa: UP045
        None, "--within", help="Only those due within this long (e.g. 90d); missed included."),
    ics: Optional[Path] = typer.Option(None, "--ics", help="Also write an iCalendar file."),  # noqa: UP045
    as_json: bool = JsonOption,
) -> None:
    """Deadlines: patent filing windows, agreement expiry, notice, survival and reviews."""
    from hallmark.services import deadlines as service

    vault = open_vault(ctx)
    found = service.list_deadlines(vault, within or None)
    if ics is not None:
        service.export_ics(vault, found, path=ics)
    if as_json:
        emit_json(found)
        return
    rows = [[d.due, styled(STATUS_STYLE[d.status]), d.days_left,
             Text.assemble(clean(d.title), (f" ({clean(d.basis)})", "dim"))]
            for d in found.deadlines]
    console.print(table(None, ["due", "status", "days", "what"], rows, wrap=("what",)))
    if ics is not None:
        console.print(f"Wrote {len(found.deadlines)} events to {ics}")


def checklist(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """The ten steps of an AI IP protection programme: done, partial or missing."""
    from hallmark.services import checklist as service

    result = service.checklist(open_vault(ctx))
    if as_json:
        emit_json(result)
        return
    rows = [[s.number, s.title, styled(STATUS_STYLE[s.status]), "; ".join(s.evidence),
             "; ".join(s.gaps)] for s in result.steps]
    console.print(table(None, ["#", "step", "status", "evidence", "gap"], rows,
                        wrap=("step", "evidence", "gap")))
    console.print(f"{result.done} of {len(result.steps)} steps done")


def register(app: typer.Typer) -> None:
    """Attach this module's commands."""
    app.add_typer(invention_app, name="invention")
    app.add_typer(filing_app, name="filing")
    app.command()(deadlines)
    app.command()(checklist)
