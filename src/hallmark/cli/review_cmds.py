"""`hallmark review FILE`: which clauses an agreement has, lacks, and which are risky."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from hallmark import services
from hallmark.cli.common import JsonOption, console, emit_json, err_console, table

EXCERPT_CHARS = 110


def _short(text: str) -> str:
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def review(
    file: Path = typer.Argument(..., help="The agreement: PDF, DOCX, TXT, Markdown or HTML."),
    agreement_type: Optional[str] = typer.Option(  # noqa: UP045 - Typer needs Optional here
        None,
        "--type",
        help="nda, collaboration, data-use, work-for-hire, licence, sponsored-research or "
        "developer-terms: list the clauses this type requires that are missing.",
    ),
    json_output: bool = JsonOption,
    html: Optional[Path] = typer.Option(  # noqa: UP045 - Typer needs Optional here
        None, "--html", help="Also write the report as an HTML page to this file."
    ),
) -> None:
    """Review an agreement: clauses present and missing, and risky clauses, with evidence."""
    report = services.review.review(file, agreement_type)
    if html is not None:
        services.review.write_html(report, file.name, html)
        err_console.print(f"wrote {html}")
    if json_output:
        emit_json(report)
        return
    titles = services.review.clause_titles()
    rows = []
    for c in sorted(report.clauses, key=lambda c: (not c.present, -c.score)):
        best = c.evidence[0] if c.evidence else None
        where = f"{best.location}: {_short(best.text)}" if best else ""
        rows.append([titles.get(c.type, c.type), "yes" if c.present else "no", f"{c.score:.2f}",
                     where])
    console.print(table(f"Clauses in {file.name}",  # table cells and titles are plain text
                        ["clause", "present", "score", "best evidence"], rows,
                        wrap=("clause", "best evidence")))
    if report.agreement_type:
        if report.missing:
            console.print(table(f"Missing for {report.agreement_type}",
                                ["clause", "why it matters", "a good clause covers"],
                                [[titles.get(m.type, m.type), m.reason, m.covers]
                                 for m in report.missing],
                                wrap=("clause", "why it matters", "a good clause covers")))
        else:
            console.print(f"Every clause a {report.agreement_type} requires is present.")
    if report.risks:
        console.print(table("Risks", ["risk", "severity", "why", "evidence"], [
            [r.id, r.severity, r.message,
             "; ".join(f"{e.location}: {_short(e.text)}" for e in r.evidence[:2])]
            for r in report.risks
        ], wrap=("why", "evidence")))
    else:
        console.print("No risky clause found.")


def register(app: typer.Typer) -> None:
    """Attach this module's commands."""
    app.command()(review)
