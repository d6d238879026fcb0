"""Audit rules of the agreements line of work: partner risk, missing due diligence, ownership
conflicts, missing assignments, missed and near deadlines."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from hallmark.agreements.agreements import load_agreements
from hallmark.agreements.deadlines import compute
from hallmark.agreements.diligence import latest_diligence
from hallmark.agreements.ownership import Conflict, conflicts, missing_assignments
from hallmark.agreements.parties import load_parties
from hallmark.audit.registry import AuditContext, Finding, finding, rule
from hallmark.store import tables
from hallmark.store.clock import today

EXTERNAL_ROLES = ("partner", "university", "sponsor", "vendor", "contractor")


def _finding(c: Conflict) -> Finding:
    return finding(c.rule, c.severity, c.asset, c.message, c.remedy, c.subject)


@rule("partner-risk-high", "A party's latest due diligence scores high risk.")
def partner_risk_high(ctx: AuditContext) -> Iterable[Finding]:
    """Parties whose latest review rates high."""
    index = load_parties(ctx.conn)
    for party, review in latest_diligence(ctx.conn).items():
        if review.rating == "high":
            worst = sorted(review.items, key=lambda i: -i["risk"] * i["weight"])[:2]
            why = "; ".join(f"{i['item']}: {i['reason']}" for i in worst)
            yield finding("partner-risk-high", "high", None,
                          f"{index[party].name if party in index else party} scores "
                          f"{review.score}/100 on due diligence ({why})",
                          "resolve the concerns or add safeguards (tented team, escrow, audit "
                          "rights) before sharing; record a new review", party)


@rule("diligence-missing",
      "A partner is party to an agreement or receives shares without due diligence.")
def diligence_missing(ctx: AuditContext) -> Iterable[Finding]:
    """External organisations in agreements (or shares) with no due-diligence record."""
    index = load_parties(ctx.conn)
    reviewed = latest_diligence(ctx.conn)
    involved: dict[str, list[str]] = {}
    granted: set[str] = set()
    disclosers: set[str] = set()
    for ag in load_agreements(ctx.conn):
        for party_id in ag.parties:
            involved.setdefault(party_id, []).append(ag.id)
        granted |= {p["party"] for p in ag.terms["permitted"]}
        disclosers.add(ag.terms["discloser"])
    shares = tables.metadata.tables.get("shares")
    if shares is not None and "recipient" in shares.c:
        for row in ctx.conn.execute(select(shares.c.recipient).distinct()):
            involved.setdefault(str(row.recipient), []).append("shares")
    for party_id, where in sorted(involved.items()):
        party = index.get(party_id)
        if party is None or party_id in reviewed:
            continue
        # A counterparty is external by its role, or, with no role given, an organisation that
        # is never the disclosing side (that is the vault's own organisation).
        external = party.role in EXTERNAL_ROLES or (
            party.role is None and party.kind == "organisation" and party_id not in disclosers)
        if not external:
            continue
        yield finding("diligence-missing", "high" if party_id in granted else "medium", None,
                      f"{party.name} is party to {', '.join(sorted(set(where)))} with no due "
                      "diligence on record",
                      f"run the questionnaire and record it: `hallmark party diligence "
                      f"{party.name!r} --answers FILE.yaml`", party_id)


@rule("ownership-conflict",
      "Ownership claims above 100%, joint ownership with no agreement, or an assignment that "
      "contradicts the register.")
def ownership_conflict(ctx: AuditContext) -> Iterable[Finding]:
    """Conflicts in the ownership matrix."""
    return [_finding(c) for c in conflicts(ctx.conn, today())]


@rule("missing-assignment",
      "A git contributor to code is not covered by an assignment or work-for-hire agreement.")
def missing_assignment(ctx: AuditContext) -> Iterable[Finding]:
    """Contributors without an assignment."""
    return [_finding(c) for c in missing_assignments(ctx.conn, today())]


@rule("deadline-missed", "A filing, notice or review deadline has passed with nothing done.")
def deadline_missed(ctx: AuditContext) -> Iterable[Finding]:
    """Obligations whose due date has passed."""
    for d in compute(ctx.conn, today()):
        if d.status == "missed":
            yield finding("deadline-missed", "high", None,
                          f"{d.title}: was due {d.due} ({d.basis})",
                          "act now; for patents, ask counsel whether a grace period or "
                          "restoration is still available", d.subject)


@rule("deadline-near", "A deadline falls within the near window (30 days by default).")
def deadline_near(ctx: AuditContext) -> Iterable[Finding]:
    """Deadlines due soon."""
    for d in compute(ctx.conn, today()):
        if d.status == "near":
            yield finding("deadline-near", "medium" if d.obligation else "low", None,
                          f"{d.title}: due {d.due}, in {d.days_left} days ({d.basis})",
                          "schedule it now", d.subject)
