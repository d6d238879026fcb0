"""`screening import|check`: restricted-party lists and parties screened against them."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from hallmark.cli.common import JsonOption, console, emit_json, open_vault, table
from hallmark.cli.safe import safe_text

screening_app = typer.Typer(help="Restricted-party screening: import a list, screen parties.",
                            no_args_is_help=True)


@screening_app.command("import")
def screening_import(
    ctx: typer.Context,
    file: Path = typer.Argument(..., metavar="FILE", help="The list as CSV: the consolidated "
                                "screening list's layout, or name[,country][,source]"
                                "[,alt_names]."),
    as_json: bool = JsonOption,
) -> None:
    """Replace the stored restricted-party list by FILE (logged with its SHA-256)."""
    from hallmark.services import screening

    vault = open_vault(ctx)
    found = screening.import_list(vault, file, actor=vault.actor)
    if as_json:
        emit_json(found)
        return
    sources = ", ".join(f"{s} {n}" for s, n in found.sources.items())
    console.print(f"Imported {found.rows} entries ({found.names} names, {found.layout} layout) "
                  f"from {safe_text(found.file)}, SHA-256 {found.sha256}; replaced "
                  f"{found.replaced}. Sources: {safe_text(sources)}", highlight=False)


@screening_app.command("check")
def screening_check(
    ctx: typer.Context,
    party: Optional[str] = typer.Argument(  # noqa: UP045
        None, metavar="[PARTY]", help="One party (default: every organisation and person)."),
    threshold: int = typer.Option(85, "--threshold", help="Lowest name score (1-100) that "
                                  "counts as a hit."),
    as_json: bool = JsonOption,
) -> None:
    """Screen parties against the imported list by fuzzy name matching (a report: exit 0)."""
    from hallmark.services import screening

    report = screening.check(open_vault(ctx), party, threshold=threshold)
    if as_json:
        emit_json(report)
        return
    if report.list_sha256 is None:
        console.print("No screening list imported yet: `hallmark screening import FILE`.")
    rows = []
    for p in report.parties:
        for h in p.hits:
            rows.append([p.name, p.country or "?", h.score, h.confidence, h.matched_name,
                         h.entry.source, h.entry.country or "?"])
    if report.list_sha256 is not None and not rows:
        console.print(f"No party's name scores {report.threshold} or more against the "
                      f"{report.list_entries} entries.")
        return
    console.print(table(f"screening hits at {report.threshold}+ ({len(report.parties)} parties "
                        f"against {report.list_entries} entries)",
                        ["party", "country", "score", "confidence", "matched name", "list",
                         "list country"], rows, wrap=("party", "matched name", "list")))


def register(app: typer.Typer) -> None:
    """Attach this module's commands."""
    app.add_typer(screening_app, name="screening")
