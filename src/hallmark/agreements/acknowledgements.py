"""Acknowledged terms: a person has read (or was trained on) one version of an agreement's
terms (acknowledgements); who must acknowledge an agreement that requires it. An
acknowledgement counts for the version it names only: an amendment asks everyone again.
`hallmark.services.acknowledgements` is the front door; the audit reads `missing` here."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select

from hallmark.agreements.parties import Party, ancestors, load_parties
from hallmark.schemas.acknowledgements import Acknowledgement, MissingAcknowledgement
from hallmark.store.clock import utcnow
from hallmark.store.tables import acknowledgements

if TYPE_CHECKING:
    from hallmark.schemas.agreements import Agreement
    from hallmark.vault import Txn

__all__ = ["KINDS", "load", "missing", "record", "required_people"]

KINDS = ("read", "trained")


def _from_row(row: Any, names: dict[str, Party], current: dict[str, int]) -> Acknowledgement:
    person = names.get(row.person)
    return Acknowledgement(agreement=row.agreement, person=row.person,
                           person_name=person.name if person else row.person,
                           version=row.version, kind=row.kind, acknowledged=row.acknowledged,
                           seq=int(row.seq), current=current.get(row.agreement) == row.version)


def load(conn: Connection, agreements: list[Agreement],
         agreement: str | None = None) -> list[Acknowledgement]:
    """Every acknowledgement (of one agreement, when named), in the order they were logged."""
    query = select(acknowledgements).order_by(acknowledgements.c.seq)
    if agreement is not None:
        query = query.where(acknowledgements.c.agreement == agreement)
    names = load_parties(conn)
    current = {ag.id: ag.version for ag in agreements}
    return [_from_row(r, names, current) for r in conn.execute(query)]


def record(txn: Txn, ag: Agreement, person: Party, kind: str) -> tuple[Acknowledgement, bool]:
    """Record that `person` acknowledged the agreement's current version (logs
    `terms.acknowledged`); the one already recorded, and False, when that version was."""
    names = {person.id: person}
    current = {ag.id: ag.version}
    row = txn.conn.execute(select(acknowledgements).where(
        (acknowledgements.c.agreement == ag.id) & (acknowledgements.c.person == person.id)
        & (acknowledgements.c.version == ag.version))).first()
    if row is not None:
        return _from_row(row, names, current), False
    when = utcnow()
    seq = txn.log.append("terms.acknowledged",
                         {"agreement": ag.id, "version": ag.version, "person": person.id,
                          "kind": kind, "acknowledged": when}, [ag.id, person.id])
    txn.conn.execute(insert(acknowledgements).values(
        agreement=ag.id, person=person.id, version=ag.version, kind=kind, seq=seq,
        acknowledged=when))
    return Acknowledgement(agreement=ag.id, person=person.id, person_name=person.name,
                           version=ag.version, kind=kind,  # type: ignore[arg-type]
                           acknowledged=when, seq=seq, current=True), True


def required_people(ag: Agreement, index: dict[str, Party]) -> dict[str, str]:
    """The persons who must acknowledge an agreement that requires it, each with the permitted
    party or team that makes them a member (directly or through a team); empty when the
    agreement does not require acknowledgement."""
    if not ag.terms.get("require_acknowledgement"):
        return {}
    via: list[str] = []
    for permit in ag.terms.get("permitted", []):
        via += permit["teams"] if permit.get("teams") else [permit["party"]]
    out: dict[str, str] = {}
    for party in sorted(index.values(), key=lambda p: p.id):
        if party.kind != "person":
            continue
        chain = ancestors(index, party.id)
        hit = next((v for v in via if v in chain), None)
        if hit is not None:
            out[party.id] = hit
    return out


def missing(conn: Connection, agreements: list[Agreement],
            today: date) -> list[MissingAcknowledgement]:
    """Every member of a permitted party or team of an agreement in force that requires
    acknowledgement, who has not acknowledged its version in force."""
    index = load_parties(conn)
    done = {(r.agreement, r.person, r.version) for r in conn.execute(
        select(acknowledgements.c.agreement, acknowledgements.c.person,
               acknowledgements.c.version))}
    out = []
    for ag in agreements:
        if ag.state_on(today) != "active":
            continue
        for person, via in required_people(ag, index).items():
            if (ag.id, person, ag.version) not in done:
                out.append(MissingAcknowledgement(agreement=ag.id, version=ag.version,
                                                  person=person, person_name=index[person].name,
                                                  via=via))
    return out
