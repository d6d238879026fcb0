"""Invention disclosures (logged with their time), the patent filings made for them and their
defensive publication (written by `agreements/publications.py`): the rows and events behind
`hallmark.services.inventions`, which validates the arguments first."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, insert, select

from hallmark.agreements.parties import resolve_party
from hallmark.errors import HallmarkError, InputError, NotFound
from hallmark.inventory.assets import resolve
from hallmark.schemas.inventions import Filing, Invention, Publication
from hallmark.store.clock import utcnow
from hallmark.store.tables import filings, inventions, publications

if TYPE_CHECKING:
    from hallmark.vault import Txn

__all__ = ["FILING_KINDS", "Filing", "Invention", "get_invention", "load_inventions",
           "office_code", "publication_warning", "record_filing", "record_invention"]

FILING_KINDS = ("provisional", "non-provisional", "pct", "national")
OFFICE_ALIASES = {"EPO": "EP", "USPTO": "US", "WIPO": "WO", "UKIPO": "GB", "JPO": "JP",
                  "CNIPA": "CN", "KIPO": "KR", "CIPO": "CA", "IPA": "AU"}
MAX_INVENTORS = 50


def office_code(office: str) -> str:
    """A patent office as its WIPO ST.3 code (EPO -> EP)."""
    code = office.strip().upper()
    code = OFFICE_ALIASES.get(code, code)
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise InputError(f"{office!r} is not a two-letter office code (US, EP, WO ...)",
                         field="office")
    return code


def _about(exc: HallmarkError, field: str) -> HallmarkError:
    # A lookup error (unknown party, ambiguous asset) is about the argument that named it.
    if exc.field is None:
        exc.field = field
    return exc


def record_invention(txn: Txn, title: str, conceived: date, inventors: list[str],
                     assets: list[str]) -> Invention:
    """Write an invention disclosure and its event; inventors must be registered persons."""
    people = []
    for ref in inventors:
        try:
            person = resolve_party(txn.conn, ref)
        except HallmarkError as exc:
            raise _about(exc, "inventors") from None
        if person.kind != "person":
            raise InputError(f"inventor {person.name!r} is not a person ({person.kind})",
                             field="inventors")
        people.append(person.id)
    asset_ids = []
    for ref in assets:
        try:
            asset_ids.append(resolve(txn.conn, ref).id)
        except HallmarkError as exc:
            raise _about(exc, "assets") from None
    count = txn.conn.execute(select(func.count()).select_from(inventions)).scalar() or 0
    inv = Invention(id=f"inv-{count + 1:04d}", title=title, conceived=conceived.isoformat(),
                    inventors=list(dict.fromkeys(people)),
                    assets=list(dict.fromkeys(asset_ids)), disclosed=utcnow())
    txn.conn.execute(insert(inventions).values(
        id=inv.id, title=inv.title, conceived=inv.conceived,
        inventors=json.dumps(inv.inventors), assets=json.dumps(inv.assets),
        disclosed=inv.disclosed))
    txn.log.append("invention.disclosed", {"id": inv.id, "conceived": inv.conceived,
                                           "inventors": inv.inventors, "assets": inv.assets,
                                           "disclosed": inv.disclosed},
                   [inv.id, *inv.inventors, *inv.assets])
    return inv


def record_filing(txn: Txn, invention_id: str, kind: str, office: str, filed: date,
                  number: str | None = None) -> Filing:
    """Write a patent application filed for an invention, and its event."""
    inv = get_invention(txn.conn, invention_id)
    if filed < date.fromisoformat(inv.conceived):
        raise InputError(f"{filed} is before the invention was conceived ({inv.conceived})",
                         field="filed")
    if kind == "national" and not any(f.kind == "pct" for f in inv.filings):
        raise InputError("a national-phase filing needs a PCT filing first", field="kind")
    filing = Filing(id=f"{inv.id}-f{len(inv.filings) + 1}", invention=inv.id, kind=kind,
                    office=office, filed=filed.isoformat(), number=number, created=utcnow())
    txn.conn.execute(insert(filings).values(**filing.model_dump(exclude={"warnings"})))
    filing.warnings = publication_warning(filing, inv.publication)
    txn.log.append("filing.added", {"id": filing.id, "invention": inv.id, "kind": kind,
                                    "office": office, "filed": filing.filed,
                                    "number": number}, [inv.id, filing.id])
    return filing


def publication_warning(filing: Filing, publication: Publication | None) -> list[str]:
    """Why a filing may not hold: it was filed after the invention was published."""
    if publication is None or filing.filed <= publication.published:
        return []  # a disclosure on the filing day itself is not prior art to it
    return [f"{filing.id} was filed on {filing.filed}, after the invention's defensive "
            f"publication on {publication.published}: a public disclosure before filing may "
            "bar a patent in most jurisdictions outside grace periods (e.g. the US 12-month "
            "grace period, 35 U.S.C. 102(b)(1)); ask counsel"]


def get_invention(conn: Connection, invention_id: str) -> Invention:
    """One invention with its filings."""
    row = conn.execute(select(inventions).where(inventions.c.id == invention_id.strip())).first()
    if row is None:
        raise NotFound(f"unknown invention {invention_id!r}", field="invention")
    return _with_filings(conn, row)


def _with_filings(conn: Connection, row: Any) -> Invention:
    inv = Invention(id=row.id, title=row.title, conceived=row.conceived,
                    inventors=json.loads(row.inventors), assets=json.loads(row.assets),
                    disclosed=row.disclosed)
    pub = conn.execute(select(publications).where(publications.c.invention == row.id)).first()
    if pub is not None:
        inv.publication = Publication(
            invention=pub.invention, published=pub.published, url=pub.url,
            disclosure_sha256=pub.disclosure_sha256, format=pub.format,
            timestamped=pub.timestamped, seq=pub.seq, created=pub.created)
    for f in conn.execute(select(filings).where(filings.c.invention == row.id)
                          .order_by(filings.c.filed, filings.c.id)):
        filing = Filing(id=f.id, invention=f.invention, kind=f.kind, office=f.office,
                        filed=f.filed, number=f.number, created=f.created)
        filing.warnings = publication_warning(filing, inv.publication)
        inv.filings.append(filing)
    return inv


def load_inventions(conn: Connection) -> list[Invention]:
    """Every invention with its filings."""
    rows = conn.execute(select(inventions).order_by(inventions.c.id)).all()
    return [_with_filings(conn, r) for r in rows]

