"""`agreement plan|reviewed`, `raci`, `acknowledge` and `acknowledgements`: periodic reviews
with their RACI, and acknowledged terms."""

from __future__ import annotations

import csv
import io
import sys
from typing import TYPE_CHECKING, Optional

import typer

from hallmark.cli.agreement_cmds import agreement_app
from hallmark.cli.common import JsonOption, console, csv_cell, emit_json, open_vault, table
from hallmark.cli.safe import safe_text

if TYPE_CHECKING:
    from hallmark.schemas import RaciChart, ReviewPlan

CSV_HEADER = ["agreement", "title", "state", "every", "next_due", "party", "role"]


def _roles(plan: ReviewPlan) -> dict[str, str]:
    """Each party's letters in one plan: R, A, R/A, C or I."""
    r = plan.raci
    out: dict[str, str] = {}
    for party, letter in ((r.responsible, "R"), (r.accountable, "A"),
                          *((c, "C") for c in r.consulted), *((i, "I") for i in r.informed)):
        out[party] = f"{out[party]}/{letter}" if party in out else letter
    return out


def _plan_line(plan: ReviewPlan) -> str:
    r = plan.raci
    return (f"[bold]{safe_text(plan.agreement)}[/bold] reviewed every {plan.every}; next due "
            f"{plan.next_due}; R {safe_text(r.responsible)}, A {safe_text(r.accountable)}"
            + (f", C {safe_text(', '.join(r.consulted))}" if r.consulted else "")
            + (f", I {safe_text(', '.join(r.informed))}" if r.informed else ""))


@agreement_app.command("plan")
def plan(
    ctx: typer.Context,
    agreement_id: str = typer.Argument(..., metavar="ID"),
    responsible: Optional[str] = typer.Option(  # noqa: UP045
        None, "--responsible", help="Who does the review (person or team)."),
    accountable: Optional[str] = typer.Option(  # noqa: UP045
        None, "--accountable", help="The one person who answers for it."),
    consulted: list[str] = typer.Option([], "--consulted", help="Asked before; repeat."),
    informed: list[str] = typer.Option([], "--informed", help="Told after; repeat."),
    every: Optional[str] = typer.Option(  # noqa: UP045
        None, "--every", help="How often: 90d, 6m, 1y."),
    start: Optional[str] = typer.Option(  # noqa: UP045
        None, "--from", help="Count from this day (YYYY-MM-DD; default today)."),
    as_json: bool = JsonOption,
) -> None:
    """Plan an agreement's periodic review with its RACI (re-planning replaces it; logged)."""
    from hallmark.services import raci

    vault = open_vault(ctx)
    found = raci.plan(vault, agreement_id, responsible=responsible,  # type: ignore[arg-type]
                      accountable=accountable, every=every,  # type: ignore[arg-type]
                      consulted=consulted, informed=informed, start=start, actor=vault.actor)
    if as_json:
        emit_json(found)
        return
    console.print(f"Planned: {_plan_line(found)}", highlight=False)


@agreement_app.command("reviewed")
def reviewed(
    ctx: typer.Context,
    agreement_id: str = typer.Argument(..., metavar="ID"),
    outcome: str = typer.Option(..., "--outcome", help="keep|amend|terminate"),
    notes: Optional[str] = typer.Option(None, "--notes"),  # noqa: UP045
    on: Optional[str] = typer.Option(  # noqa: UP045
        None, "--on", help="The day it was held (YYYY-MM-DD; default today)."),
    as_json: bool = JsonOption,
) -> None:
    """Record a periodic review held and its outcome (logged); the next one is then due."""
    from hallmark.services import raci

    vault = open_vault(ctx)
    held = raci.reviewed(vault, agreement_id, outcome, notes=notes, on=on, actor=vault.actor)
    if as_json:
        emit_json(held)
        return
    console.print(f"Reviewed {safe_text(held.agreement)} v{held.version} on {held.reviewed}: "
                  f"{held.outcome}; next review due {held.next_due}", highlight=False)
    if held.outcome != "keep":
        verb = "amend ID FILE" if held.outcome == "amend" else "terminate ID --on DATE"
        console.print(f"The outcome is recorded, not applied: run `hallmark agreement {verb}`.",
                      highlight=False)


def _csv(found: RaciChart, states: dict[str, tuple[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for p in found.agreements:
        for party, letters in _roles(p).items():
            writer.writerow([csv_cell(c) for c in (p.agreement, p.title, p.state, p.every,
                                                   p.next_due, party, letters)])
    for ag_id in found.unplanned:
        title, state = states.get(ag_id, ("", ""))
        writer.writerow([csv_cell(c) for c in (ag_id, title, state, "", "", "",
                                               "unplanned")])
    return out.getvalue()


def raci(
    ctx: typer.Context,
    as_csv: bool = typer.Option(False, "--csv", help="One row per agreement and party."),
    as_json: bool = JsonOption,
) -> None:
    """The RACI chart of every agreement's periodic review; unplanned agreements listed."""
    from hallmark import services

    vault = open_vault(ctx)
    found = services.raci.chart(vault)
    if as_json:
        emit_json(found)
        return
    states = {a.id: (a.title, a.state)
              for a in services.agreements.list_agreements(vault).agreements}
    if as_csv:
        sys.stdout.write(_csv(found, states))
        return
    roles = [_roles(p) for p in found.agreements]
    parties = sorted({party for r in roles for party in r})
    # The matrix itself: titles are in --json and --csv, so that the party columns fit.
    rows = [[p.agreement, p.state, p.every, p.next_due + (" overdue" if p.overdue else ""),
             *(r.get(party, "") for party in parties)]
            for p, r in zip(found.agreements, roles, strict=True)]
    console.print(table("RACI", ["agreement", "state", "every", "next due", *parties], rows))
    if found.unplanned:
        console.print(f"unplanned: {safe_text(', '.join(found.unplanned))}", highlight=False)


def acknowledge(
    ctx: typer.Context,
    agreement_id: str = typer.Argument(..., metavar="AGREEMENT"),
    person: str = typer.Option(..., "--person", help="Who read the terms (a person)."),
    kind: str = typer.Option("read", "--kind", help="read|trained"),
    as_json: bool = JsonOption,
) -> None:
    """Record that a person has read (or was trained on) an agreement's terms in force."""
    from hallmark.services import acknowledgements

    vault = open_vault(ctx)
    done = acknowledgements.acknowledge(vault, agreement_id, person, kind=kind,
                                        actor=vault.actor)
    if as_json:
        emit_json(done)
        return
    a = done.acknowledgement
    what = "Recorded" if done.recorded else "Already recorded (nothing logged again)"
    console.print(f"{what}: {safe_text(a.person_name)} ({a.kind}) acknowledged "
                  f"{safe_text(a.agreement)} v{a.version} at {a.acknowledged} "
                  f"(log entry {a.seq})", highlight=False)


def acknowledgements(
    ctx: typer.Context,
    agreement_id: Optional[str] = typer.Argument(  # noqa: UP045
        None, metavar="AGREEMENT", help="Only this agreement."),
    as_json: bool = JsonOption,
) -> None:
    """Who acknowledged which version and when; who still must."""
    from hallmark import services

    found = services.acknowledgements.list_acknowledgements(open_vault(ctx), agreement_id)
    if as_json:
        emit_json(found)
        return
    console.print(table(None, ["agreement", "person", "version", "kind", "acknowledged",
                               "in force"],
                        [[a.agreement, a.person_name, a.version, a.kind, a.acknowledged,
                          "yes" if a.current else "no (older version)"]
                         for a in found.acknowledgements]))
    if found.missing:
        console.print(table("still to acknowledge", ["agreement", "version", "person", "via"],
                            [[m.agreement, m.version, m.person_name, m.via]
                             for m in found.missing]))


def register(app: typer.Typer) -> None:
    """Attach this module's commands (`agreement plan|reviewed` join the agreement group)."""
    app.command()(raci)
    app.command()(acknowledge)
    app.command()(acknowledgements)
