"""The inventions service: record invention disclosures and the patent filings made for them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from hallmark.agreements import inventions as _inventions
from hallmark.agreements.schema import parse_date
from hallmark.errors import InputError
from hallmark.schemas.inventions import Filing, Invention, InventionList
from hallmark.store.clock import today

if TYPE_CHECKING:
    from hallmark.vault import Vault

__all__ = ["FILING_KINDS", "add_filing", "add_invention", "get_invention", "list_inventions"]

FILING_KINDS = _inventions.FILING_KINDS
MAX_TITLE = 300
MAX_REF = 400  # a party or asset reference: a name, an id or a path
NUMBER_RE = re.compile(r"[A-Za-z0-9/ ,.-]{1,40}")


def _day(value: object, field: str) -> date:
    if isinstance(value, datetime):  # a date and time is not a calendar day
        raise InputError(f"expected a date as YYYY-MM-DD, got {value!r}", field=field)
    try:
        day = parse_date(value)
    except ValueError as exc:
        raise InputError(str(exc), field=field) from None
    if day > today():
        raise InputError(f"{day} is in the future", field=field)
    return day


def _refs(values: object, field: str, what: str, most: int | None = None) -> list[str]:
    # A bare string would otherwise be read as a list of one-letter names.
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise InputError(f"expected a list of {what}", field=field)
    if any(not isinstance(v, str) or not v.strip() or len(v) > MAX_REF for v in values):
        raise InputError(f"each of the {what} is a non-empty name of at most {MAX_REF} "
                         "characters", field=field)
    if most is not None and not 1 <= len(values) <= most:
        raise InputError(f"name 1 to {most} {what}", field=field)
    return [str(v) for v in values]


def add_invention(vault: Vault, title: str, conceived: str | date, inventors: Sequence[str],
                  assets: Sequence[str] | None = None, *, actor: str) -> Invention:
    """Record an invention disclosure; inventors are registered persons, assets embody it."""
    if not isinstance(title, str):
        raise InputError("an invention title is 1 to 300 characters", field="title")
    title = " ".join(title.split())
    if not title or len(title) > MAX_TITLE:
        raise InputError(f"an invention title is 1 to {MAX_TITLE} characters", field="title")
    day = _day(conceived, "conceived")
    people = _refs(inventors, "inventors", "inventors", _inventions.MAX_INVENTORS)
    embodied = _refs(assets if assets is not None else [], "assets", "assets")
    with vault.transaction(actor) as txn:
        return _inventions.record_invention(txn, title, day, people, embodied)


def add_filing(vault: Vault, invention: str, kind: str, office: str, filed: str | date,
               number: str | None = None, *, actor: str) -> Filing:
    """Record a patent application filed for an invention (a national phase needs a PCT)."""
    if not isinstance(invention, str) or not invention.strip():
        raise InputError("name the invention by its id (inv-0001)", field="invention")
    if kind not in FILING_KINDS:
        raise InputError(f"must be one of {', '.join(FILING_KINDS)} (got {kind!r})",
                         field="kind")
    if not isinstance(office, str):
        raise InputError(f"{office!r} is not a two-letter office code (US, EP, WO ...)",
                         field="office")
    code = _inventions.office_code(office)
    day = _day(filed, "filed")
    if number is not None and (not isinstance(number, str) or not NUMBER_RE.fullmatch(number)):
        raise InputError(f"{number!r} is not an application number", field="number")
    with vault.transaction(actor) as txn:
        return _inventions.record_filing(txn, invention, kind, code, day, number)


def get_invention(vault: Vault, invention: str) -> Invention:
    """One invention with its filings (NotFound when there is no such id)."""
    if not isinstance(invention, str) or not invention.strip():
        raise InputError("name the invention by its id (inv-0001)", field="invention")
    with vault.read() as conn:
        return _inventions.get_invention(conn, invention)


def list_inventions(vault: Vault) -> InventionList:
    """Every invention with its filings, by id."""
    with vault.read() as conn:
        return InventionList(inventions=_inventions.load_inventions(conn))
