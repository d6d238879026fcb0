"""The trademarks service: record the marks that protect model names and services (per office
and Nice class) and list them; their renewals appear among the deadlines."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from hallmark.agreements import trademarks as _trademarks
from hallmark.errors import InputError
from hallmark.schemas.trademarks import Trademark, TrademarkList
from hallmark.services._args import past_day, refs, text

if TYPE_CHECKING:
    from hallmark.vault import Vault

__all__ = ["add_mark", "list_marks"]

MAX_NAME = 200
NUMBER_RE = re.compile(r"[A-Za-z0-9/ ,.-]{1,40}")
CLASS_HINT = "a Nice class, 1 to 45 (9: software and downloadable models; 42: SaaS and AI services)"


def _nice_class(value: object) -> int:
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 3:
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or \
            value not in _trademarks.NICE_CLASSES:
        raise InputError(f"{str(value)[:20]!r} is not {CLASS_HINT}", field="nice_class")
    return value


def add_mark(vault: Vault, name: str, nice_class: int | str, office: str, *, actor: str,
             filed: str | date | None = None, registered: str | date | None = None,
             number: str | None = None, assets: Sequence[str] | None = None) -> Trademark:
    """Record a trademark (applied for or registered) at an office, in one Nice class, for the
    assets whose name it protects; logged as `trademark.added`."""
    mark = " ".join(text(name, "name", most=MAX_NAME).split())
    if not _trademarks.normalised(mark):
        raise InputError("a mark needs letters or digits", field="name")
    cls = _nice_class(nice_class)
    if not isinstance(office, str) or not office.strip():
        raise InputError("name the office (USPTO, EUIPO, UKIPO, WIPO ...)", field="office")
    code = _trademarks.office_code(office)
    filed_on = None if filed is None else past_day(filed, "filed")
    registered_on = None if registered is None else past_day(registered, "registered")
    if filed_on and registered_on and registered_on < filed_on:
        raise InputError(f"{registered_on} is before the filing date {filed_on}",
                         field="registered")
    if number is not None and (not isinstance(number, str) or not NUMBER_RE.fullmatch(number)):
        raise InputError(f"{str(number)[:40]!r} is not an application or registration number",
                         field="number")
    named = refs(assets if assets is not None else [], "assets", "assets")
    with vault.transaction(actor) as txn:
        return _trademarks.record_mark(txn, mark, cls, code, filed_on, registered_on, number,
                                       named)


def list_marks(vault: Vault) -> TrademarkList:
    """Every recorded trademark, by id."""
    with vault.read() as conn:
        return TrademarkList(trademarks=_trademarks.load_marks(conn))
