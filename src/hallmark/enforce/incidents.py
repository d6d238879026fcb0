"""Incident rows and their events: opened from a recorded trace that accuses a party, bound to
the asset, that party's accused shares, the agreements in force and the clauses the breach
touches. `hallmark.services.incidents` validates arguments and is the front door."""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, insert, select, update

from hallmark.agreements.agreements import get_agreement, load_agreements
from hallmark.agreements.parties import load_parties
from hallmark.errors import InputError, NotFound
from hallmark.schemas.incidents import (
    BreachedClause,
    Incident,
    IncidentAccusation,
    IncidentFile,
)
from hallmark.store.clock import utcnow
from hallmark.store.tables import incident_files, incidents, shares, traces

if TYPE_CHECKING:
    from hallmark.store.blobs import BlobStore
    from hallmark.vault import Txn

__all__ = ["FINAL", "TRANSITIONS", "agreements_in_force", "clauses_touched", "get_incident",
           "load_incidents", "open_from_trace", "record_file", "set_status", "trace_parties"]

# Where an incident may go next; cured, terminated and settled are final.
TRANSITIONS = {
    "open": ("noticed", "cured", "escalated", "terminated", "settled"),
    "noticed": ("cured", "escalated", "terminated", "settled"),
    "escalated": ("cured", "terminated", "settled"),
}
FINAL = ("cured", "terminated", "settled")
# The clause types of a reviewed document that a leak of shared material breaches, and those
# that say what follows (remedies, forum); the notice cites both, with their text.
BREACHED_CLAUSES = ("confidentiality", "data-use-restrictions", "non-transferable-license",
                    "license-grant", "return-or-destruction", "survival", "anti-assignment")
REMEDY_CLAUSES = ("indemnification", "uncapped-liability", "cap-on-liability",
                  "dispute-resolution", "governing-law")


def _from_row(row: Any) -> Incident:
    detail = json.loads(row.detail)
    return Incident(incident=row.id, title=row.title, status=row.status, source=row.source,
                    source_kind=row.source_kind, asset=row.asset, party=row.party,
                    shares=json.loads(row.shares), agreements=json.loads(row.agreements),
                    accused=[IncidentAccusation(**a) for a in detail["accused"]],
                    clauses=[BreachedClause(**c) for c in detail["clauses"]],
                    cure_period=detail.get("cure_period"), cure_due=row.cure_due,
                    opened=row.opened, updated=row.updated)


def load_incidents(conn: Connection) -> list[Incident]:
    """Every incident, newest first."""
    rows = conn.execute(select(incidents).order_by(incidents.c.opened.desc(),
                                                   incidents.c.id.desc()))
    return [_from_row(r) for r in rows]


def get_incident(conn: Connection, incident_id: str) -> Incident:
    """One incident with the files logged with it."""
    row = conn.execute(select(incidents).where(incidents.c.id == incident_id)).first()
    if row is None:
        raise NotFound(f"no incident {incident_id!r} (see `hallmark incident list`)",
                       field="incident")
    found = _from_row(row)
    found.files = [IncidentFile(sha256=f.sha256, kind=f.kind, name=f.name, seq=f.seq,
                                created=f.created)
                   for f in conn.execute(select(incident_files)
                                         .where(incident_files.c.incident == incident_id)
                                         .order_by(incident_files.c.seq, incident_files.c.kind))]
    return found


def trace_parties(conn: Connection, trace_id: str) -> tuple[Any, dict[str, list[dict[str, Any]]]]:
    """A recorded trace and its accusations grouped by the accused party (a team's share
    counts against its organisation, which signed the agreement)."""
    row = conn.execute(select(traces).where(traces.c.id == trace_id)).first()
    if row is None:
        raise NotFound(f"no trace or alert {trace_id!r} (a trace's id is part of its result "
                       "and of its trace.recorded entry)", field="source")
    index = load_parties(conn)
    grouped: dict[str, list[dict[str, Any]]] = {}
    for accused in json.loads(row.accused):
        party = index.get(accused["recipient"])
        while party is not None and party.member_of:
            party = index.get(party.member_of)
        grouped.setdefault(party.id if party else accused["recipient"], []).append(accused)
    return row, grouped


def agreements_in_force(conn: Connection, party: str, asset: str, share_ids: list[str],
                        today: date) -> list[str]:
    """The agreements the shares were made under, and any other agreement with the party that
    covers the asset and is in force today (or was on the day of a share)."""
    share_rows = list(conn.execute(select(shares.c.agreement, shares.c.created)
                                   .where(shares.c.id.in_(share_ids))))
    named = {r.agreement for r in share_rows if r.agreement}
    days = {today} | {date.fromisoformat(r.created[:10]) for r in share_rows}
    found = []
    for ag in load_agreements(conn):
        with_party = party in ag.terms["parties"]
        covering = asset in ag.terms["covers"]
        in_force = any(ag.state_on(d) == "active" for d in days)
        if ag.id in named or (with_party and covering and in_force):
            found.append(ag.id)
    return sorted(found)


def _review(conn: Connection, blobs: BlobStore, agreement: str) -> dict[str, Any] | None:
    """The agreement's latest stored clause review, or None (not reviewed, or blob gone)."""
    from hallmark.agreements.review_link import latest_review_row, stored_report

    row = latest_review_row(conn, agreement)
    return None if row is None else stored_report(blobs, row["review_sha256"])


def clauses_touched(conn: Connection, blobs: BlobStore, agreement_ids: list[str],
                    asset: str) -> list[BreachedClause]:
    """The terms each agreement sets about the shared asset, then the breached and remedy
    clauses its reviewed document holds, with their text and location."""
    out: list[BreachedClause] = []
    for agreement_id in agreement_ids:
        ag = get_agreement(conn, agreement_id)
        t = ag.terms

        def term(clause: str, text: str, agreement: str = ag.id) -> None:
            out.append(BreachedClause(agreement=agreement, source="terms", clause=clause,
                                      text=text))

        if asset in t["covers"]:
            term("covers", f"{ag.title} covers the shared asset {asset}")
        for use in t["permitted"]:
            purposes = ", ".join(use["purposes"] or []) or "any purpose"
            teams = ", ".join(use["teams"] or []) or "any team"
            term("permitted", f"{use['party']} may {', '.join(use['actions'])} for {purposes} "
                              f"({teams}); nothing else is permitted")
        if t["prohibited"]:
            term("prohibited", "prohibited: " + ", ".join(t["prohibited"]))
        if t.get("confidentiality_survives"):
            term("confidentiality_survives", "confidentiality survives the agreement by "
                                             f"{t['confidentiality_survives']}")
        if t.get("governing_law"):
            term("governing_law", f"governed by {t['governing_law']}")
        review = _review(conn, blobs, ag.id) if ag.document_sha256 else None
        for clause in (review or {}).get("clauses", []):
            if clause.get("present") and clause.get("type") in (*BREACHED_CLAUSES,
                                                                *REMEDY_CLAUSES):
                for evidence in clause.get("evidence", [])[:1]:
                    out.append(BreachedClause(agreement=ag.id, source="document",
                                              clause=str(clause["type"]),
                                              text=str(evidence["text"]),
                                              location=str(evidence["location"])))
    return out


def _new_id(conn: Connection) -> str:
    count = conn.execute(select(func.count()).select_from(incidents)).scalar() or 0
    return f"inc-{count + 1:04d}"


def open_from_trace(txn: Txn, blobs: BlobStore, trace_row: Any, party: str,
                    accused: list[dict[str, Any]], title: str | None, today: date,
                    cure_period: str | None, automatic: bool = False) -> Incident | None:
    """Write an incident against `party` from a recorded trace, and its `incident.opened`;
    `automatic` opens it only when one of the agreements in force asks for it (else None)."""
    share_ids = sorted({a["share"] for a in accused})
    agreement_ids = agreements_in_force(txn.conn, party, trace_row.asset, share_ids, today)
    breaches = [get_agreement(txn.conn, a).terms.get("breach") or {} for a in agreement_ids]
    if automatic and not any(b.get("incident_on_trace") for b in breaches):
        return None
    clauses = clauses_touched(txn.conn, blobs, agreement_ids, trace_row.asset)
    # the first agreement that sets a cure period wins
    cure_period = next((b["cure_period"] for b in breaches if b.get("cure_period")),
                       cure_period)
    now = utcnow()
    incident = Incident(
        incident=_new_id(txn.conn), status="open", source=trace_row.id, source_kind="trace",
        title=title or f"Leak of {trace_row.asset} traced to {party}", asset=trace_row.asset,
        party=party, shares=share_ids, agreements=agreement_ids,
        accused=[IncidentAccusation(share=a["share"], recipient=a["recipient"],
                                    p_value=float(a["p_value"])) for a in accused],
        clauses=clauses, cure_period=cure_period, cure_due=None, opened=now, updated=now)
    detail = {"accused": [a.to_json() for a in incident.accused],
              "clauses": [c.to_json() for c in clauses], "cure_period": cure_period}
    txn.conn.execute(insert(incidents).values(
        id=incident.incident, title=incident.title, status=incident.status,
        source=incident.source, source_kind=incident.source_kind, asset=incident.asset,
        party=party, shares=json.dumps(share_ids), agreements=json.dumps(agreement_ids),
        detail=json.dumps(detail), cure_due=None, opened=now, updated=now))
    txn.log.append("incident.opened", {
        "incident": incident.incident, "title": incident.title, "source": incident.source,
        "source_kind": "trace", "asset": incident.asset, "party": party,
        "shares": share_ids, "agreements": agreement_ids, "automatic": automatic,
        "accused": detail["accused"], "clauses": [f"{c.agreement}:{c.clause}" for c in clauses],
    }, sorted({incident.incident, incident.asset, party, trace_row.id, *share_ids,
               *agreement_ids}))
    return incident


def set_status(txn: Txn, incident: Incident, status: str, notes: str | None,
               cure_due: str | None = None, extra: dict[str, Any] | None = None,
               notice: bool = False) -> int:
    """Move an incident to `status` (checked against TRANSITIONS) and log `incident.updated`,
    or, for a notice (which may leave the status as it is), `incident.noticed`."""
    allowed = TRANSITIONS.get(incident.status, ())
    if not (notice and status == incident.status) and status not in allowed:
        raise InputError(f"incident {incident.incident} is {incident.status}; it can go to "
                         f"{', '.join(allowed) or 'nothing (it is closed)'}, not {status}",
                         field="status")
    now = utcnow()
    values: dict[str, Any] = {"status": status, "updated": now}
    if cure_due is not None:
        values["cure_due"] = cure_due
    txn.conn.execute(update(incidents).where(incidents.c.id == incident.incident)
                     .values(**values))
    payload = {"incident": incident.incident, "from": incident.status, "status": status,
               "notes": notes, **(extra or {})}
    incident.status, incident.updated = status, now
    kind = "incident.noticed" if notice else "incident.updated"
    return txn.log.append(kind, payload, sorted({incident.incident, incident.party,
                                                 incident.asset, *incident.shares}))


def record_file(txn: Txn, incident: str, sha256: str, kind: str, name: str, seq: int) -> None:
    """Remember a file whose digest the event `seq` logged (its bytes are in the blob store)."""
    txn.conn.execute(insert(incident_files).values(incident=incident, sha256=sha256, kind=kind,
                                                   name=name, seq=seq, created=utcnow()))
