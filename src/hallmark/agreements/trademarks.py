"""Trademarks: model names and stewardship marks recorded per office and Nice class, the
offices they can be recorded at (shipped as data), and the renewal deadlines their dates
carry. `hallmark.services.trademarks` validates the arguments first."""

from __future__ import annotations

import calendar
import json
import re
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import Connection, func, insert, select

from hallmark.agreements.yamlsrc import load_text
from hallmark.errors import HallmarkError, InputError
from hallmark.inventory.assets import resolve
from hallmark.schemas.deadlines import Deadline
from hallmark.schemas.trademarks import Trademark
from hallmark.store.clock import utcnow
from hallmark.store.tables import trademarks

if TYPE_CHECKING:
    from hallmark.vault import Txn

__all__ = ["NICE_CLASSES", "load_marks", "normalised", "office_code", "offices",
           "record_mark", "renewal_deadlines"]

OFFICES = Path(__file__).parent / "data" / "trademark_offices.yaml"
NICE_CLASSES = range(1, 46)  # the Nice Classification's 45 classes (34 goods, 11 services)
MAX_GRACE_CYCLES = 1000  # a term renewed every 10 years from year 1 reaches 9999 in ~1000


@cache
def offices() -> dict[str, dict[str, Any]]:
    """The shipped trademark offices by code."""
    data: dict[str, dict[str, Any]] = load_text(OFFICES.read_text(), OFFICES.name).data["offices"]
    return data


@cache
def _aliases() -> dict[str, str]:
    out = {code: code for code in offices()}
    for code, office in offices().items():
        out.update({str(alias).upper(): code for alias in office.get("aliases", [])})
    return out


def office_code(office: str) -> str:
    """An office as Hallmark stores it (US -> USPTO); InputError naming `office` if unknown."""
    code = _aliases().get(office.strip().upper())
    if code is None:
        shown = office.strip()[:40]
        raise InputError(f"unknown trademark office {shown!r}: one of "
                         f"{', '.join(offices())}", field="office")
    return code


def normalised(name: str) -> str:
    """A mark or model name as compared: case-folded, without spaces, hyphens or underscores
    (`Med-Triage 2` and `medtriage2` are the same mark)."""
    return re.sub(r"[\s_\-\u2010-\u2015]+", "", name).casefold()


def record_mark(txn: Txn, name: str, nice_class: int, office: str, filed: date | None,
                registered: date | None, number: str | None, assets: list[str]) -> Trademark:
    """Write a trademark and its event; the same name, class and office twice is refused."""
    asset_ids = []
    for ref in assets:
        try:
            asset_ids.append(resolve(txn.conn, ref).id)
        except HallmarkError as exc:
            if exc.field is None:
                exc.field = "assets"
            raise
    for mark in load_marks(txn.conn):
        if (normalised(mark.name), mark.nice_class, mark.office) == (
                normalised(name), nice_class, office):
            raise InputError(f"{mark.name!r} in class {nice_class} at {office} is already "
                             f"recorded ({mark.id})", field="name")
    count = txn.conn.execute(select(func.count()).select_from(trademarks)).scalar() or 0
    mark = Trademark(id=f"tm-{count + 1:04d}", name=name, nice_class=nice_class, office=office,
                     filed=filed.isoformat() if filed else None,
                     registered=registered.isoformat() if registered else None, number=number,
                     assets=list(dict.fromkeys(asset_ids)), created=utcnow())
    row = mark.model_dump()
    row["assets"] = json.dumps(mark.assets)
    txn.conn.execute(insert(trademarks).values(**row))
    txn.log.append("trademark.added", {k: v for k, v in mark.model_dump().items()
                                       if k != "created"}, [mark.id, *mark.assets])
    return mark


def load_marks(conn: Connection) -> list[Trademark]:
    """Every recorded trademark, by id."""
    return [Trademark(id=r.id, name=r.name, nice_class=r.nice_class, office=r.office,
                      filed=r.filed, registered=r.registered, number=r.number,
                      assets=json.loads(r.assets), created=r.created)
            for r in conn.execute(select(trademarks).order_by(trademarks.c.id))]


def _due(start: date, years: int, month_end: bool) -> date:
    due: date = start + relativedelta(years=years)
    if month_end:
        due = due.replace(day=calendar.monthrange(due.year, due.month)[1])
    return due


def _next(start: date, rule: dict[str, Any], today: date) -> tuple[int, date] | None:
    """(years after `start`, due date) of the rule's first term whose grace period has not
    ended by `today`; None past the calendar."""
    grace = relativedelta(months=int(rule.get("grace_months", 0)))
    month_end = bool(rule.get("month_end"))
    if "years" in rule:
        years = int(rule["years"])
        due = _due(start, years, month_end)
        return (years, due) if due + grace >= today else None
    every = int(rule["every_years"])
    # Jump close to today, then step: a term that began centuries ago costs no loop.
    first = max(1, (today.year - start.year) // every - 1)
    for n in range(first, first + MAX_GRACE_CYCLES):
        try:
            due = _due(start, n * every, month_end)
            if due + grace >= today:
                return n * every, due
        except (OverflowError, ValueError):
            return None
    return None


def renewal_deadlines(marks: list[Trademark], rules: dict[str, Any],
                      today: date) -> list[Deadline]:
    """The next maintenance or renewal deadline of each rule for each mark."""
    out = []
    for mark in marks:
        for rule in rules["offices"].get(mark.office, rules["default"]):
            start_text = mark.registered if rule["from"] == "registered" else mark.filed
            if start_text is None:
                continue  # a term from registration starts only once the mark is registered
            start = date.fromisoformat(start_text)
            try:
                found = _next(start, rule, today)
            except (OverflowError, ValueError):
                found = None
            if found is None:
                continue
            years, due = found
            origin = "registration" if rule["from"] == "registered" else "filing"
            when = f"{years} years after {origin} ({start})"
            if "window_years" in rule:
                opens = _due(start, years - int(rule.get("years", rule.get("every_years", 0)))
                             + int(rule["window_years"]), False)
                when += f"; can be filed from {opens}"
            grace = int(rule.get("grace_months", 0))
            if grace:
                when += f"; late until {due + relativedelta(months=grace)}"
            out.append(Deadline(
                id=f"{mark.id}/{rule['rule']}", rule=str(rule["rule"]), subject=mark.id,
                title=f"{rule['title']}: trademark {mark.name!r} (class {mark.nice_class}) "
                      f"at {mark.office}",
                due=due.isoformat(), basis=f"{when}. {rule['basis']}", obligation=True))
    return out
