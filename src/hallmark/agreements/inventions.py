"""Invention disclosures (logged with their time) and the patent filings made for them."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, insert, select

from hallmark.agreements.parties import resolve_party
from hallmark.agreements.schema import parse_date
from hallmark.errors import InputError, NotFound
from hallmark.inventory.assets import resolve
from hallmark.store.clock import utcnow
from hallmark.store.tables import filings, inventions
from hallmark.vault import Vault

FILING_KINDS = ("provisional", "non-provisional", "pct", "national")
OFFICE_ALIASES = {"EPO": "EP", "USPTO": "US", "WIPO": "WO", "UKIPO": "GB", "JPO": "JP",
                  "CNIPA": "CN", "KIPO": "KR", "CIPO": "CA", "IPA": "AU"}
MAX_INVENTORS = 50


@dataclass
class Filing:
    """One application filed for an invention."""

    id: str
    invention: str
    kind: str
    office: str
    filed: str
    number: str | None
    created: str


@dataclass
class Invention:
    """An invention disclosure and its filings."""

    id: str
    title: str
    conceived: str
    inventors: list[str]
    assets: list[str]
    disclosed: str
    filings: list[Filing] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The JSON form commands print."""
        return asdict(self)


def _day(value: str, option: str) -> date:
    try:
        day = parse_date(value)
    except ValueError as exc:
        raise InputError(f"{option}: {exc}") from None
    if day > date.today():
        raise InputError(f"{option} {day} is in the future")
    return day


def office_code(office: str) -> str:
    """A patent office as its WIPO ST.3 code (EPO -> EP)."""
    code = office.strip().upper()
    code = OFFICE_ALIASES.get(code, code)
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise InputError(f"--office {office!r} is not a two-letter office code (US, EP, WO ...)")
    return code


def add_invention(vault: Vault, title: str, conceived: str, inventors: list[str],
                  asset_refs: list[str] | None = None) -> Invention:
    """Record an invention disclosure; inventors are registered persons."""
    title = " ".join(title.split())
    if not title or len(title) > 300:
        raise InputError("an invention title is 1 to 300 characters")
    day = _day(conceived, "--conceived")
    if not inventors or len(inventors) > MAX_INVENTORS:
        raise InputError(f"name 1 to {MAX_INVENTORS} inventors with --inventors")
    with vault.transaction(vault.actor) as txn:
        people = []
        for ref in inventors:
            person = resolve_party(txn.conn, ref)
            if person.kind != "person":
                raise InputError(f"inventor {person.name!r} is not a person ({person.kind})")
            people.append(person.id)
        asset_ids = [resolve(txn.conn, ref).id for ref in asset_refs or []]
        count = txn.conn.execute(select(func.count()).select_from(inventions)).scalar() or 0
        inv = Invention(f"inv-{count + 1:04d}", title, day.isoformat(),
                        list(dict.fromkeys(people)), list(dict.fromkeys(asset_ids)), utcnow())
        txn.conn.execute(insert(inventions).values(
            id=inv.id, title=inv.title, conceived=inv.conceived,
            inventors=json.dumps(inv.inventors), assets=json.dumps(inv.assets),
            disclosed=inv.disclosed))
        txn.log.append("invention.disclosed", {"id": inv.id, "conceived": inv.conceived,
                                               "inventors": inv.inventors, "assets": inv.assets,
                                               "disclosed": inv.disclosed},
                       [inv.id, *inv.inventors, *inv.assets])
    return inv


def add_filing(vault: Vault, invention_id: str, kind: str, office: str, filed: str,
               number: str | None = None) -> Filing:
    """Record a patent application filed for an invention."""
    if kind not in FILING_KINDS:
        raise InputError(f"--kind must be one of {', '.join(FILING_KINDS)} (got {kind!r})")
    code = office_code(office)
    day = _day(filed, "--filed")
    if number is not None and not re.fullmatch(r"[A-Za-z0-9/ ,.-]{1,40}", number):
        raise InputError(f"--number {number!r} is not an application number")
    with vault.transaction(vault.actor) as txn:
        inv = get_invention(txn.conn, invention_id)
        if day < date.fromisoformat(inv.conceived):
            raise InputError(f"--filed {day} is before the invention was conceived "
                             f"({inv.conceived})")
        if kind == "national" and not any(f.kind == "pct" for f in inv.filings):
            raise InputError("a national-phase filing needs a PCT filing first")
        filing = Filing(f"{inv.id}-f{len(inv.filings) + 1}", inv.id, kind, code,
                        day.isoformat(), number, utcnow())
        txn.conn.execute(insert(filings).values(**asdict(filing)))
        txn.log.append("filing.added", {"id": filing.id, "invention": inv.id, "kind": kind,
                                        "office": code, "filed": filing.filed,
                                        "number": number}, [inv.id, filing.id])
    return filing


def get_invention(conn: Connection, invention_id: str) -> Invention:
    """One invention with its filings."""
    row = conn.execute(select(inventions).where(inventions.c.id == invention_id.strip())).first()
    if row is None:
        raise NotFound(f"unknown invention {invention_id!r}")
    return _with_filings(conn, row)


def _with_filings(conn: Connection, row: Any) -> Invention:
    inv = Invention(row.id, row.title, row.conceived, json.loads(row.inventors),
                    json.loads(row.assets), row.disclosed)
    for f in conn.execute(select(filings).where(filings.c.invention == row.id)
                          .order_by(filings.c.filed, filings.c.id)):
        inv.filings.append(Filing(f.id, f.invention, f.kind, f.office, f.filed, f.number,
                                  f.created))
    return inv


def load_inventions(conn: Connection) -> list[Invention]:
    """Every invention with its filings."""
    rows = conn.execute(select(inventions).order_by(inventions.c.id)).all()
    return [_with_filings(conn, r) for r in rows]


def list_inventions(vault: Vault) -> list[Invention]:
    """Every invention with its filings."""
    with vault.read() as conn:
        return load_inventions(conn)
