"""`audit` and `export`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from hallmark import services
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
    vault = open_vault(ctx)
    report = services.audit.audit(vault, actor=vault.actor, rule=rule or None, fail_on=fail_on)
    findings = report.findings
    if as_json:
        emit_json(report)
    else:
        rows = [[styled(SEVERITY_STYLE[f.severity]), f.rule, f.asset or f.subject or "", f.message,
                 f.remedy] for f in findings]
        console.print(table(None, ["severity", "rule", "asset", "finding", "remedy"], rows,
                            wrap=("finding", "remedy")))
        counts = {s: sum(f.severity == s for f in findings) for s in ("high", "medium", "low")}
        console.print(f"{len(findings)} findings: {counts['high']} high, {counts['medium']} "
                      f"medium, {counts['low']} low")
    if report.failing:
        raise typer.Exit(1)


@export_app.command("bom")
def export_bom(
    ctx: typer.Context,
    output: Path = typer.Option(..., "-o", "--output", help="Where to write the BOM (JSON)."),
) -> None:
    """Write a CycloneDX 1.6 JSON BOM (ML-BOM) of the vault's assets."""
    written = services.reports.write_bom(open_vault(ctx), output)
    console.print(f"Wrote CycloneDX 1.6 BOM with {written.components} components to {output}")


def register(app: typer.Typer) -> None:
    """Attach this module's commands."""
    app.command()(audit)
    app.add_typer(export_app, name="export")
