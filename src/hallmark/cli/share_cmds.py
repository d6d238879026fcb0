"""`share`, `shares`, `trace`: hand out per-recipient marked copies and find who leaked one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

import rich.markup
import typer

from hallmark import services
from hallmark.cli.common import JsonOption, console, emit_json, err_console, open_vault, table
from hallmark.cli.safe import safe_text
from hallmark.errors import InputError

if TYPE_CHECKING:
    from hallmark.schemas import Deidentified, DeidentifyOptions, TraceResult


def _pairs(items: list[str], field: str) -> dict[str, str]:
    """COLUMN=VALUE items (the command line's spelling of a mapping)."""
    out = {}
    for item in items:
        name, sep, value = item.rpartition("=")
        if not sep or not name:
            raise InputError(f"must look like COLUMN=VALUE (got {item!r})", field=field)
        out[name] = value
    return out


def _number(text: str, field: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InputError(f"{text!r} is not a number", field=field) from None


EngineOption = typer.Option("local", "--engine", help="Where the batches are processed: local "
                            "(every core) or dask (a trusted cluster: it receives the marking "
                            "key).")
SchedulerOption = typer.Option(None, "--scheduler", help="The Dask scheduler address, e.g. "
                               "tcp://host:8786 (with --engine dask).")


def share(
    ctx: typer.Context,
    asset: str = typer.Argument(..., help="The dataset to share (id, name or path)."),
    to: str = typer.Option(..., "--to", help="The recipient party."),
    out: Path = typer.Option(..., "-o", "--output", help="Where to write the marked copy."),
    team: Optional[str] = typer.Option(None, "--team", help="The recipient's team."),  # noqa: UP045
    agreement: Optional[str] = typer.Option(  # noqa: UP045
        None, "--agreement", help="The agreement the share is made under."),
    purpose: Optional[str] = typer.Option(None, "--purpose", help="The permitted purpose."),  # noqa: UP045
    budget: float = typer.Option(0.01, "--budget",
                                 help="Largest change per cell, as a fraction of each column's "
                                      "robust spread (IQR/1.349)."),
    column_budget: list[str] = typer.Option(  # noqa: B006 - Typer reads the default
        [], "--column-budget", help="COLUMN=AMOUNT: the largest change, in the column's units."),
    column_range: list[str] = typer.Option(  # noqa: B006
        [], "--range", help="COLUMN=LO:HI: values the marked column must stay within."),
    recipients: int = typer.Option(1000, "--recipients", help="Recipients the code must tell "
                                   "apart (n)."),
    colluders: int = typer.Option(5, "--colluders", help="Coalition size to resist (c)."),
    epsilon: float = typer.Option(1e-6, "--epsilon", help="False accusation probability."),
    categorical: str = typer.Option(
        "auto", "--categorical", help="Categorical substitution marks: auto (only where no "
        "numeric column can carry marks), always (also beside numeric marks: the copy survives "
        "dropping every numeric column, at some cost in label noise), never."),
    engine: str = EngineOption,
    scheduler: Optional[str] = SchedulerOption,  # noqa: UP045
    deidentify: bool = typer.Option(
        False, "--deidentify", help="De-identify the copy before marking it: direct "
        "identifiers the PII sampler finds become keyed pseudonyms (per share), "
        "quasi-identifiers are generalised until k-anonymity (docs/deidentification.md)."),
    k: Optional[int] = typer.Option(  # noqa: UP045
        None, "--k", help="With --deidentify: the k to reach (default 5)."),
    quasi: list[str] = typer.Option(  # noqa: B006
        [], "--quasi", help="With --deidentify: one more quasi-identifier COLUMN."),
    drop: list[str] = typer.Option(  # noqa: B006
        [], "--deidentify-drop", help="With --deidentify: leave this COLUMN out."),
    pseudonymise: list[str] = typer.Option(  # noqa: B006
        [], "--pseudonymise", help="With --deidentify: pseudonymise this COLUMN too."),
    max_suppress: Optional[float] = typer.Option(  # noqa: UP045
        None, "--max-suppress", help="With --deidentify: the largest fraction of rows "
        "suppressed rather than generalising further (default 0.01)."),
    as_json: bool = JsonOption,
) -> None:
    """Write a per-recipient fingerprinted copy of a dataset, if an agreement permits it."""
    deid = _deidentify_options(deidentify, k, quasi, drop, pseudonymise, max_suppress)
    budgets = {k: _number(v, "column_budget") for k, v in
               _pairs(column_budget, "column_budget").items()}
    ranges = {}
    for name, text in _pairs(column_range, "column_range").items():
        lo, sep, hi = text.partition(":")
        if not sep:
            raise InputError(f"must look like COLUMN=LO:HI (got {name}={text})",
                             field="column_range")
        ranges[name] = (_number(lo, "column_range"), _number(hi, "column_range"))
    from hallmark.schemas import ShareOptions

    options = ShareOptions(budget=budget, budgets=budgets, ranges=ranges, recipients=recipients,
                           colluders=colluders, epsilon=epsilon, categorical=categorical)
    vault = open_vault(ctx)
    result = services.shares.share(vault, asset, to, out, actor=vault.actor, team=team,
                                   agreement=agreement, purpose=purpose, options=options,
                                   engine=engine, scheduler=scheduler, deidentify=deid)
    if as_json:
        emit_json(result.to_json())
        return
    columns = ", ".join(c.strip() for c in result.marked_columns + [
        f"{c} (categories)" for c in result.categorical_columns])  # the dataset's own names
    console.print(f"Shared [bold]{safe_text(result.asset)}[/bold] with "
                  f"[bold]{safe_text(result.recipient)}[/bold] as share {result.share}: "
                  f"{result.rows} rows, {result.marked_cells} marked cells in "
                  f"{safe_text(columns)} -> {safe_text(result.out)}", highlight=False)
    console.print(_survival_line(result.survives), highlight=False)
    if result.deidentified is not None:
        console.print(_deidentified_line(result.deidentified), highlight=False)


def _deidentify_options(on: bool, k: int | None, quasi: list[str], drop: list[str],
                        pseudonymise: list[str], max_suppress: float | None
                        ) -> DeidentifyOptions | None:
    """The de-identification asked for; its options without --deidentify are a mistake."""
    from hallmark.schemas import DeidentifyOptions

    given = {"k": k, "quasi": quasi, "drop": drop, "pseudonymise": pseudonymise,
             "max_suppress": max_suppress}
    given = {name: value for name, value in given.items() if value not in (None, [])}
    if not on:
        if given:
            raise InputError("needs --deidentify", field=next(iter(given)))
        return None
    return DeidentifyOptions(**given)


def _deidentified_line(d: Deidentified) -> str:
    """What de-identification removed, in words."""
    parts = []
    if d.pseudonymised:
        parts.append("pseudonymised " + ", ".join(safe_text(c.column) for c in d.pseudonymised))
    if d.generalised:
        parts.append("generalised " + ", ".join(f"{safe_text(c.column)} ({c.rule})"
                                                for c in d.generalised))
    if d.dropped:
        parts.append("dropped " + ", ".join(safe_text(c) for c in d.dropped))
    parts.append(f"suppressed {d.suppressed_rows} row{'s' if d.suppressed_rows != 1 else ''}")
    k = "no quasi-identifiers" if d.k_achieved is None else \
        f"k = {d.k_achieved} (target {d.k_target}) over " + ", ".join(
            safe_text(c) for c in d.quasi_identifiers)
    return "De-identified: " + "; ".join(parts) + f"; {k}."


def _survival_line(survives: dict[str, object]) -> str:
    """What the copy is expected to survive, in words."""
    def grid(d: int) -> str:
        if d > 0:
            return f"{d} decimal{'s' if d > 1 else ''}"
        return "whole numbers" if d == 0 else f"multiples of {10 ** -d}"

    rounding = survives.get("rounding") or {}
    assert isinstance(rounding, dict)
    parts = [f"{name.strip()} to {grid(int(r['decimals']))}" for name, r in rounding.items()]
    text = "Expected to survive: rounding " + (", ".join(parts) if parts else "nothing") + "; "
    dropped = survives.get("dropped_columns", 0)
    if dropped:
        text += f"dropping any {dropped} column{'s' if dropped != 1 else ''} the rows are keyed " \
            "on; "
    cat = survives.get("categorical")
    if isinstance(cat, dict):
        text += "re-casing categories or stripping their spaces; "
        if cat.get("without_numeric") and rounding:
            text += f"dropping every numeric column (the categories alone need about " \
                f"{cat.get('rows_needed')} rows); "
    fraction = float(str(survives.get("fraction_of_rows", 1.0)))
    return text + (f"tracing needs about {survives.get('rows_needed')} rows "
                   f"({fraction:.1%} of the copy).")


def shares(
    ctx: typer.Context,
    asset: Optional[str] = typer.Option(None, "--asset", help="Only this dataset's shares."),  # noqa: UP045
    as_json: bool = JsonOption,
) -> None:
    """List the per-recipient copies handed out."""
    found = services.shares.list_shares(open_vault(ctx), asset)
    if as_json:
        emit_json(found)
        return
    console.print(table("Shares", ["share", "asset", "recipient", "agreement", "rows",
                                   "marked cells", "created"],
                        [[s.share, s.asset, s.recipient, s.agreement, s.rows, s.marked_cells,
                          s.created] for s in found]))


def trace(
    ctx: typer.Context,
    suspect: Path = typer.Argument(..., help="The suspect table (CSV, TSV, Parquet, JSONL)."),
    asset: Optional[str] = typer.Option(None, "--asset", help="Compare with this dataset only."),  # noqa: UP045
    evidence: Optional[Path] = typer.Option(  # noqa: UP045
        None, "--evidence", help="Write an evidence bundle (zip) for the accused shares."),
    engine: str = EngineOption,
    scheduler: Optional[str] = SchedulerOption,  # noqa: UP045
    as_json: bool = JsonOption,
) -> None:
    """Find which shared dataset a suspect table came from and which recipient(s) leaked it."""
    vault = open_vault(ctx)
    result = services.traces.trace(vault, suspect, actor=vault.actor, asset=asset,
                                   evidence=evidence, engine=engine, scheduler=scheduler)
    if as_json:
        emit_json(result.to_json())
    else:
        _render(result)
    if not result.conclusive:
        err_console.print(f"[red]error:[/red] too few rows to decide: {result.rows_matched} "
                          f"rows carry marks, about {result.needed_rows} would be needed",
                          highlight=False)
        raise typer.Exit(2)
    for path in result.evidence:
        err_console.print(f"evidence bundle written: {rich.markup.escape(path)}",
                          highlight=False)
    if evidence is not None and not result.accused:
        err_console.print("no evidence bundle written: nobody is accused", highlight=False)
    if result.trace and not as_json:
        err_console.print(f"recorded as trace {result.trace}"
                          + (f"; opened incident(s) {', '.join(result.incidents)}"
                             if result.incidents else
                             (f" (`hallmark incident open --from {result.trace}`)"
                              if result.accused else "")), highlight=False)


def _render(result: TraceResult) -> None:
    console.print(f"Suspect matches asset [bold]{safe_text(result.asset)}[/bold]: "
                  f"{result.rows_matched} rows "
                  f"with marks, {result.positions} code positions, {result.recipients} "
                  f"recipients scored (about {result.needed_rows} rows needed).",
                  highlight=False)
    accused = {c.share for c in result.accused}
    console.print(table("Recipients by evidence", ["recipient", "share", "score",
                                                   "p-value (corrected)", "accused"],
                        [[c.recipient, c.share, f"{c.score:.1f}", f"{c.p_value:.3g}",
                          "yes" if c.share in accused else ""] for c in result.top[:5]]))
    if not result.accused:
        console.print("Nobody is accused: no recipient's p-value is below the code's epsilon.")


def register(app: typer.Typer) -> None:
    """Attach this module's commands."""
    app.command()(share)
    app.command()(shares)
    app.command()(trace)
