"""`audit` and `export`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from hallmark.cli.common import JsonOption, console, emit_json, open_vault, table
from hallmark.cli.safe import styled

export_app = typer.Typer(help="Export the register in standard formats.", no_args_is_help=True)

SEVERITY_STYLE = {"high": "[red]high[/red]", "medium": "[yellow]medium[/yellow]", "low": "low"}


def audit(
    ctx: typer.Context,
    fail_on: Optional[str] = typer.Option(  # noqa: UP045
        None, "--fail-on", help="Exit 1 if a finding at or above low|medium|high exists."),
    rule: list[str] = typer.Option([], "--rule", help="Run only these rule ids."),
    as_json: bool = JsonOption,
) -> None:
    """Run the IP audit: every rule over the register."""
    from hallmark.audit import run_audit
    from hallmark.audit.runner import at_or_above, record_audit

    vault = open_vault(ctx)
    findings = run_audit(vault, rule or None)
    failing = at_or_above(findings, fail_on) if fail_on else []  # a bad level fails before logging
    record_audit(vault, findings)
    if as_json:
        emit_json({"findings": [f.to_json() for f in findings]})
    else:
        rows = [[styled(SEVERITY_STYLE[f.severity]), f.rule, f.asset or f.subject or "", f.message,
                 f.remedy] for f in findings]
        console.print(table(None, ["severity", "rule", "asset", "finding", "remedy"], rows,
                            wrap=("finding", "remedy")))
        counts = {s: sum(f.severity == s for f in findings) for s in ("high", "medium", "low")}
        console.print(f"{len(findings)} findings: {counts['high']} high, {counts['medium']} "
                      f"medium, {counts['low']} low")
    if failing:
        raise typer.Exit(1)


@export_app.command("bom")
def export_bom(
    ctx: typer.Context,
    output: Path = typer.Option(..., "-o", "--output", help="Where to write the BOM (JSON)."),
) -> None:
    """Write a CycloneDX 1.6 JSON BOM (ML-BOM) of the vault's assets."""
    from hallmark.reports.bom import write_bom

    count = write_bom(open_vault(ctx), output)
    console.print(f"Wrote CycloneDX 1.6 BOM with {count} components to {output}")


def register(app: typer.Typer) -> None:
    """Attach this module's commands."""
    app.command()(audit)
    app.add_typer(export_app, name="export")
