"""`dispose`, `dispositions` and `agreement close-out`: what became of each shared copy, and the
end of a partnership with its report."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from hallmark.cli.common import JsonOption, console, emit_json, open_vault, table
from hallmark.cli.safe import safe_text

OnOption = typer.Option(None, "--on", help="The day it happened (YYYY-MM-DD; default today).")


def dispose(
    ctx: typer.Context,
    share: str = typer.Argument(..., help="The share (its id, from `hallmark shares`)."),
    disposition: str = typer.Option(..., "--as", help="returned|destroyed"),
    certificate: Optional[Path] = typer.Option(  # noqa: UP045
        None, "--certificate", help="The certificate of destruction (any file, at most "
        "20 MiB; required with --as destroyed), stored by digest."),
    on: Optional[str] = OnOption,  # noqa: UP045
    as_json: bool = JsonOption,
) -> None:
    """Record that a shared copy was returned or destroyed (logged)."""
    from hallmark.services import closeouts

    vault = open_vault(ctx)
    found = closeouts.dispose(vault, share, disposition, actor=vault.actor,
                              certificate=certificate, on=on)
    if as_json:
        emit_json(found)
        return
    cert = (f"; certificate {safe_text(found.certificate_name or '')} "
            f"(SHA-256 {found.certificate_sha256})" if found.certificate_sha256 else "")
    console.print(f"Share {found.share} ({safe_text(found.recipient)}) recorded as "
                  f"{found.disposition} on {found.recorded}{cert}", highlight=False)


def dispositions(
    ctx: typer.Context,
    agreement: Optional[str] = typer.Option(  # noqa: UP045
        None, "--agreement", help="Only the shares made under this agreement."),
    as_json: bool = JsonOption,
) -> None:
    """List what became of the shared copies (returned, destroyed)."""
    from hallmark.services import closeouts

    found = closeouts.list_dispositions(open_vault(ctx), agreement)
    if as_json:
        emit_json(found)
        return
    console.print(table("Dispositions", ["share", "recipient", "agreement", "disposition",
                                         "on", "certificate (SHA-256)"],
                        [[d.share, d.recipient, d.agreement, d.disposition, d.recorded,
                          d.certificate_sha256 or ""] for d in found.dispositions]))


def close_out(
    ctx: typer.Context,
    agreement_id: str = typer.Argument(..., metavar="ID"),
    certificate: Optional[Path] = typer.Option(  # noqa: UP045
        None, "--certificate", help="A certificate of destruction covering every copy not "
        "yet returned or destroyed (stored by digest)."),
    force: bool = typer.Option(False, "--force", help="Close out an agreement still in force "
                               "(logged as forced)."),
    on: Optional[str] = OnOption,  # noqa: UP045
    output: Optional[Path] = typer.Option(  # noqa: UP045
        None, "-o", "--output", help="The HTML report to write (default closeout-ID.html)."),
    lessons: Optional[str] = typer.Option(  # noqa: UP045
        None, "--lessons", help="Your own lessons-learned notes for the report."),
    as_json: bool = JsonOption,
) -> None:
    """Close out an ended agreement: every copy's fate, traces, incidents, obligations that
    remain; writes the post-partnership report (logged; final)."""
    from hallmark.services import closeouts

    vault = open_vault(ctx)
    done = closeouts.close_out(vault, agreement_id, actor=vault.actor, certificate=certificate,
                               force=force, on=on, output=output, lessons=lessons)
    if as_json:
        emit_json(done)
        return
    r = done.report
    counts = {k: sum(s.status == k for s in r.shares)
              for k in ("returned", "destroyed", "unaccounted")}
    console.print(f"Closed out [bold]{safe_text(done.agreement)}[/bold] on {done.closed}"
                  + (" [red](forced: it was still in force)[/red]" if done.forced else "")
                  + f": {len(r.shares)} copies ({counts['returned']} returned, "
                  f"{counts['destroyed']} destroyed, {counts['unaccounted']} unaccounted), "
                  f"{len(r.traces)} traces, {len(r.incidents)} incidents, "
                  f"{sum(o.open for o in r.obligations)} obligations open.", highlight=False)
    console.print(f"Report written to {safe_text(done.file)} (SHA-256 {done.html_sha256}); "
                  f"JSON report {done.report_sha256}; log entry {done.seq}.", highlight=False)
    if done.unaccounted:
        console.print(f"[red]{len(done.unaccounted)} copies unaccounted for[/red]: "
                      + ", ".join(done.unaccounted) + " (an audit finding until each is "
                      "returned or destroyed: `hallmark dispose SHARE --as ...`)",
                      highlight=False)


def register(app: typer.Typer) -> None:
    """Attach this module's commands (close-out joins the `agreement` group)."""
    from hallmark.cli.agreement_cmds import agreement_app

    app.command()(dispose)
    app.command()(dispositions)
    if all(c.name != "close-out" for c in agreement_app.registered_commands):
        agreement_app.command("close-out")(close_out)
