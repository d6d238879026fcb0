"""Close-out rows: what became of each shared copy (`share_dispositions`, one `share.disposed`
each), the facts a post-partnership report gathers about an agreement (its copies, traces and
incidents involving the partner, obligations still open), and the `closeouts` row with its
`agreement.closed_out` event. `hallmark.services.closeouts` validates and is the front door."""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select

from hallmark.agreements.parties import load_parties
from hallmark.errors import InputError, NotFound
from hallmark.schemas.closeouts import (
    CloseOutIncident,
    CloseOutParty,
    CloseOutShare,
    CloseOutTrace,
    Disposition,
    Obligation,
)
from hallmark.store.clock import utcnow
from hallmark.store.tables import assets, closeouts, incidents, share_dispositions, shares, traces

if TYPE_CHECKING:
    from hallmark.schemas.agreements import Agreement
    from hallmark.store.blobs import BlobStore
    from hallmark.vault import Txn

__all__ = ["DISPOSITIONS", "FINAL_INCIDENT", "closeout_row", "gather", "load_dispositions",
           "record_closeout", "record_disposition", "share_row", "unaccounted_shares"]

DISPOSITIONS = ("returned", "destroyed")
FINAL_INCIDENT = ("cured", "terminated", "settled")
# Clause types of a reviewed document that still bind once the agreement has ended.
SURVIVING_CLAUSES = ("return-or-destruction", "survival", "confidentiality")


def share_row(conn: Connection, share_id: str) -> Any:
    """One share by id; NotFound names `share`."""
    row = conn.execute(select(shares).where(shares.c.id == share_id)).first()
    if row is None:
        raise NotFound(f"no share {share_id!r} (see `hallmark shares`)", field="share")
    return row


def _disposition(row: Any, share: Any) -> Disposition:
    return Disposition(share=row.share, asset=share.asset, recipient=share.recipient,
                       agreement=share.agreement, disposition=row.disposition,
                       recorded=row.recorded, certificate_sha256=row.certificate_sha256,
                       certificate_name=row.certificate_name, seq=row.seq, created=row.created)


def load_dispositions(conn: Connection, agreement: str | None = None) -> list[Disposition]:
    """Every recorded disposition (of one agreement's shares), by share id."""
    query = (select(share_dispositions, shares.c.asset, shares.c.recipient, shares.c.agreement)
             .join(shares, shares.c.id == share_dispositions.c.share)
             .order_by(share_dispositions.c.share))
    if agreement is not None:
        query = query.where(shares.c.agreement == agreement)
    return [_disposition(r, r) for r in conn.execute(query)]


def record_disposition(txn: Txn, share: Any, disposition: str, day: date,
                       certificate: tuple[str, str] | None, field: str = "share",
                       ) -> Disposition:
    """Record that a copy was returned or destroyed on `day` (with the certificate's digest and
    name) and log `share.disposed`; a second disposition of a copy is refused."""
    found = txn.conn.execute(select(share_dispositions)
                             .where(share_dispositions.c.share == share.id)).first()
    if found is not None:
        raise InputError(f"share {share.id} was already recorded as {found.disposition} on "
                         f"{found.recorded}", field=field)
    made = date.fromisoformat(share.created[:10])
    if day < made:
        raise InputError(f"{day} is before share {share.id} was made ({made})", field="on")
    digest, name = certificate if certificate is not None else (None, None)
    now = utcnow()
    seq = txn.log.append("share.disposed", {
        "share": share.id, "asset": share.asset, "recipient": share.recipient,
        "agreement": share.agreement, "disposition": disposition, "recorded": day.isoformat(),
        "certificate_sha256": digest, "certificate_name": name,
    }, [s for s in (share.id, share.asset, share.recipient, share.agreement) if s])
    txn.conn.execute(insert(share_dispositions).values(
        share=share.id, disposition=disposition, certificate_sha256=digest,
        certificate_name=name, recorded=day.isoformat(), seq=seq, created=now))
    return Disposition(share=share.id, asset=share.asset, recipient=share.recipient,
                       agreement=share.agreement, disposition=disposition,
                       recorded=day.isoformat(), certificate_sha256=digest,
                       certificate_name=name, seq=seq, created=now)


def unaccounted_shares(conn: Connection, agreement: str) -> list[str]:
    """The ids of the copies made under an agreement with no disposition recorded."""
    query = (select(shares.c.id).join(share_dispositions,
                                      share_dispositions.c.share == shares.c.id, isouter=True)
             .where(shares.c.agreement == agreement)
             .where(share_dispositions.c.share.is_(None)).order_by(shares.c.id))
    return [r.id for r in conn.execute(query)]


def closeout_row(conn: Connection, agreement: str) -> Any:
    """The agreement's close-out row, or None."""
    return conn.execute(select(closeouts).where(closeouts.c.agreement == agreement)).first()


def _shares(conn: Connection, agreement: str) -> list[CloseOutShare]:
    done = {d.share: d for d in load_dispositions(conn, agreement)}
    rows = conn.execute(select(shares, assets.c.name.label("asset_name"),
                               assets.c.classification)
                        .join(assets, assets.c.id == shares.c.asset, isouter=True)
                        .where(shares.c.agreement == agreement)
                        .order_by(shares.c.created, shares.c.id))
    out = []
    for r in rows:
        d = done.get(r.id)
        out.append(CloseOutShare(
            share=r.id, asset=r.asset, asset_name=r.asset_name or r.asset,
            classification=r.classification or "unknown", recipient=r.recipient, team=r.team,
            created=r.created, status=d.disposition if d else "unaccounted",
            recorded=d.recorded if d else None,
            certificate_sha256=d.certificate_sha256 if d else None,
            certificate_name=d.certificate_name if d else None))
    return out


def _organisation(index: dict[str, Any], party: str) -> str:
    found = index.get(party)
    while found is not None and found.member_of:
        found = index.get(found.member_of)
    return found.id if found is not None else party


def _traces(conn: Connection, index: dict[str, Any], partners: set[str],
            share_ids: set[str]) -> list[CloseOutTrace]:
    out = []
    for r in conn.execute(select(traces).order_by(traces.c.created, traces.c.id)):
        accused = [a for a in json.loads(r.accused)
                   if a.get("share") in share_ids
                   or _organisation(index, str(a.get("recipient"))) in partners]
        if accused:
            out.append(CloseOutTrace(
                trace=r.id, asset=r.asset, suspect_name=r.suspect_name, created=r.created,
                accused=[f"{a['recipient']} (share {a['share']}, p={float(a['p_value']):.3g})"
                         for a in accused]))
    return out


def _incidents(conn: Connection, partners: set[str], agreement: str) -> list[CloseOutIncident]:
    out = []
    for r in conn.execute(select(incidents).order_by(incidents.c.opened, incidents.c.id)):
        if r.party in partners or agreement in json.loads(r.agreements):
            out.append(CloseOutIncident(incident=r.id, title=r.title, status=r.status,
                                        party=r.party, opened=r.opened))
    return out


def _confidentiality(ag: Agreement, closed: date, today: date) -> list[Obligation]:
    from hallmark.agreements.schema import add_duration

    survives = ag.terms.get("confidentiality_survives")
    if not survives:
        return []
    ended = ag.terminated_on or ag.expires or closed.isoformat()
    ended = min(ended, closed.isoformat()) if not ag.terminated_on else ended
    try:
        until = add_duration(date.fromisoformat(ended), survives).isoformat()
    except (OverflowError, ValueError):
        until = None  # beyond the calendar: it survives for as long as anyone can count
    return [Obligation(kind="confidentiality", subject=ag.id, due=until,
                       open=until is None or until >= today.isoformat(),
                       text=f"confidentiality survives {survives} after the end ({ended})"
                            + (f": until {until}" if until else ""))]


def _clauses(conn: Connection, blobs: BlobStore, ag: Agreement) -> list[Obligation]:
    from hallmark.agreements.review_link import latest_review_row, stored_report

    row = latest_review_row(conn, ag.id) if ag.document_sha256 else None
    report = stored_report(blobs, row["review_sha256"]) if row else None
    out = []
    for clause in (report or {}).get("clauses", []):
        if clause.get("present") and clause.get("type") in SURVIVING_CLAUSES:
            for evidence in clause.get("evidence", [])[:1]:
                out.append(Obligation(kind="clause", subject=str(clause["type"]),
                                      text=f"{evidence.get('text', '')} "
                                           f"({evidence.get('location', 'document')})"))
    return out


def gather(conn: Connection, blobs: BlobStore, ag: Agreement, closed: date,
           today: date) -> dict[str, Any]:
    """The facts of the report: parties, every copy and its fate, traces and incidents that
    involve a partner, and the obligations still owed."""
    from hallmark.agreements.deadlines import compute
    from hallmark.agreements.diligence import latest_diligence

    index = load_parties(conn)
    discloser = ag.terms.get("discloser")
    parties = [CloseOutParty(id=p, name=index[p].name if p in index else p,
                             kind=index[p].kind if p in index else "unknown",
                             partner=p != discloser,
                             country=getattr(index.get(p), "country", None))
               for p in ag.terms["parties"]]
    partners = {p.id for p in parties if p.partner}
    copies = _shares(conn, ag.id)
    found_traces = _traces(conn, index, partners, {s.share for s in copies})
    found_incidents = _incidents(conn, partners, ag.id)
    obligations = _confidentiality(ag, closed, today)
    obligations += [Obligation(kind="deadline", subject=d.id, text=d.title, due=d.due)
                    for d in compute(conn, today) if d.subject == ag.id and d.days_left >= 0
                    and d.rule != "confidentiality-survival"]  # listed above, with its basis
    obligations += [Obligation(kind="return-or-destruction", subject=s.share,
                               text=f"copy {s.share} of {s.asset_name} held by {s.recipient}: "
                                    "have it returned or destroyed, with a certificate")
                    for s in copies if s.status == "unaccounted"]
    obligations += [Obligation(kind="incident", subject=i.incident,
                               text=f"incident {i.incident} ({i.title}) is {i.status}")
                    for i in found_incidents if i.status not in FINAL_INCIDENT]
    obligations += _clauses(conn, blobs, ag)
    missed = [d for d in compute(conn, today) if d.subject == ag.id and d.status == "missed"]
    reviewed = latest_diligence(conn)
    diligence = {p.name: (reviewed[p.id].rating if p.id in reviewed else None)
                 for p in parties if p.partner and p.kind == "organisation"}
    return {"parties": parties, "shares": copies, "traces": found_traces,
            "incidents": found_incidents, "obligations": obligations,
            "missed": [f"{d.title} (due {d.due})" for d in missed], "diligence": diligence}


def record_closeout(txn: Txn, ag: Agreement, closed: date, forced: bool, report_sha: str,
                    html_sha: str, summary: dict[str, Any], subjects: list[str]) -> int:
    """Write the `closeouts` row and log `agreement.closed_out`; a second close-out is
    refused."""
    if closeout_row(txn.conn, ag.id) is not None:
        raise InputError(f"agreement {ag.id} is already closed out", field="agreement_id")
    now = utcnow()
    seq = txn.log.append("agreement.closed_out", {
        "agreement": ag.id, "version": ag.version, "closed": closed.isoformat(),
        "forced": forced, "report_sha256": report_sha, "html_sha256": html_sha, **summary,
    }, subjects)
    txn.conn.execute(insert(closeouts).values(
        agreement=ag.id, closed=closed.isoformat(), forced=forced, report_sha256=report_sha,
        summary=json.dumps({"html_sha256": html_sha, **summary}, sort_keys=True), seq=seq,
        created=now))
    return seq
