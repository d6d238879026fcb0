"""Deadlines derived from rules shipped as YAML: patent filing windows, agreement expiry,
renewal notice and confidentiality survival, trademark maintenance and renewal, and periodic
reviews; exported as iCalendar.
`hallmark.services.deadlines` is the front door; `compute` is also what the audit rules read."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import Connection, select

from hallmark.agreements.agreements import load_agreements
from hallmark.agreements.inventions import load_inventions
from hallmark.agreements.schema import add_duration
from hallmark.agreements.trademarks import load_marks, renewal_deadlines
from hallmark.agreements.yamlsrc import load_text
from hallmark.schemas.deadlines import Deadline
from hallmark.store import clock
from hallmark.store.tables import events

__all__ = ["Deadline", "compute", "rules", "select_within", "to_ics"]

RULES = Path(__file__).parent / "data" / "deadlines.yaml"


def _deadline(key: str, rule: str, subject: str, title: str, due: str, basis: str,
              obligation: bool) -> Deadline:
    return Deadline(id=key, rule=rule, subject=subject, title=title, due=due, basis=basis,
                    obligation=obligation)


@cache
def rules() -> dict[str, Any]:
    """The shipped deadline rules."""
    data: dict[str, Any] = load_text(RULES.read_text(), RULES.name).data
    return data


def _shift(day: str, duration: str, back: bool = False) -> date | None:
    # An agreement may run to 9999-12-30 (or start in year 1); a notice or survival date beyond
    # the calendar is no deadline anyone can meet or miss, so it is left out, not a crash.
    try:
        return add_duration(date.fromisoformat(day), duration, back=back)
    except (OverflowError, ValueError):
        return None


def _months(day: date, months: int) -> date:
    shifted: date = day + relativedelta(months=months)
    return shifted


def compute(conn: Connection, today: date | None = None) -> list[Deadline]:
    """Every deadline the rules derive from the vault, soonest first, with its status."""
    today = today or clock.today()
    r = rules()
    out: list[Deadline] = []
    out += _patent_deadlines(conn, r["patents"])
    out += _agreement_deadlines(conn, r["agreements"], today)
    out += _review_deadline(conn, r["compliance"], today)
    out += _cure_deadlines(conn)
    out += renewal_deadlines(load_marks(conn), r["trademarks"], today)
    near = int(r["near_days"])
    for d in out:
        due = date.fromisoformat(d.due)
        d.days_left = (due - today).days
        if d.days_left < 0:
            d.status = "missed" if d.obligation else "passed"
        elif d.days_left <= near:
            d.status = "near"
    return sorted(out, key=lambda d: (d.due, d.id))


def _patent_deadlines(conn: Connection, r: dict[str, Any]) -> list[Deadline]:
    out = []
    for inv in load_inventions(conn):
        if inv.publication is not None:
            continue  # published: prior art, no patent to file for (see `filing-after-publication`)
        conceived = date.fromisoformat(inv.conceived)
        kinds = {f.kind for f in inv.filings}
        if not inv.filings:
            months = int(r["first_filing"]["months"])
            out.append(_deadline(f"{inv.id}/first-filing", "first-filing", inv.id,
                                f"File a provisional (or first) application for {inv.title!r}",
                                _months(conceived, months).isoformat(),
                                f"{months} months from conception ({inv.conceived})", True))
            continue
        priority = min(date.fromisoformat(f.filed) for f in inv.filings)
        if not kinds & set(r["priority"]["closed_by"]):
            months = int(r["priority"]["months"])
            out.append(_deadline(f"{inv.id}/priority", "priority-filing", inv.id,
                                f"File a non-provisional or PCT application for {inv.title!r}",
                                _months(priority, months).isoformat(),
                                f"{months} months from the priority date {priority}", True))
        if "pct" in kinds:
            phase = r["national_phase"]
            national = {f.office for f in inv.filings if f.kind == "national"}
            default = int(phase["default_months"])
            offices = {str(k): int(v) for k, v in phase["offices"].items()}
            if not national:
                out.append(_deadline(f"{inv.id}/national-phase", "national-phase", inv.id,
                                    f"Enter the PCT national phase for {inv.title!r}",
                                    _months(priority, default).isoformat(),
                                    f"{default} months from priority {priority} (most offices)",
                                    True))
            for office in phase.get("show", []):
                months = offices.get(office, default)
                if office not in national and months != default:
                    out.append(_deadline(
                        f"{inv.id}/national-phase/{office}", "national-phase", inv.id,
                        f"Enter the national/regional phase at {office} for {inv.title!r}",
                        _months(priority, months).isoformat(),
                        f"{months} months from priority {priority} at {office}", True))
    return out


def _agreement_deadlines(conn: Connection, r: dict[str, Any], today: date) -> list[Deadline]:
    from hallmark.agreements.raci import review_deadlines

    found = load_agreements(conn)
    out, planned = review_deadlines(conn, found, today) if r.get("planned_review") else (
        [], set())
    for ag in found:
        t = ag.terms
        ended = ag.terminated_on or ag.expires
        if ag.expires and not ag.terminated_on and r.get("expiry"):
            out.append(_deadline(f"{ag.id}/expiry", "agreement-expiry", ag.id,
                                f"{ag.title} expires", ag.expires, "expires (inclusive)",
                                False))
            renewal = t.get("renewal") or {}
            due = _shift(ag.expires, renewal["notice"], back=True) if renewal.get(
                "notice") else None
            if r.get("renewal_notice") and due is not None:
                verb = "object to automatic renewal" if renewal.get("auto") else "agree renewal"
                out.append(_deadline(f"{ag.id}/renewal-notice", "renewal-notice", ag.id,
                                    f"Last day to give notice ({verb}) for {ag.title}",
                                    due.isoformat(),
                                    f"{renewal['notice']} before expiry {ag.expires}", True))
        end = _shift(ended, t["confidentiality_survives"]) if ended and t.get(
            "confidentiality_survives") else None
        if end is not None and r.get("confidentiality_survival"):
            out.append(_deadline(f"{ag.id}/confidentiality", "confidentiality-survival", ag.id,
                                f"Confidentiality under {ag.title} ends", end.isoformat(),
                                f"{t['confidentiality_survives']} after {ended}", False))
        if ag.state_on(today) in ("active", "pending") and r.get("review_months") and \
                ag.id not in planned:  # a planned periodic review replaces the yearly default
            months = int(r["review_months"])
            last = date.fromisoformat(ag.updated[:10])
            out.append(_deadline(f"{ag.id}/review", "agreement-review", ag.id,
                                f"Yearly review of {ag.title}",
                                _months(last, months).isoformat(),
                                f"{months} months after its last change ({last})", True))
    return out


def _review_deadline(conn: Connection, r: dict[str, Any], today: date) -> list[Deadline]:
    kinds = list(r["review_events"])
    last = conn.execute(select(events.c.time).where(events.c.type.in_(kinds))
                        .order_by(events.c.seq.desc()).limit(1)).scalar()
    first = conn.execute(select(events.c.time).order_by(events.c.seq).limit(1)).scalar()
    start = last or first
    if start is None:
        return []
    months = int(r["review_months"])
    since = date.fromisoformat(start[:10])
    basis = f"{months} months after the last review ({since})" if last else \
        f"{months} months after the vault's first event ({since}); no review recorded yet"
    return [_deadline("compliance/review", "compliance-review", "vault",
                     "Quarterly IP compliance review (run `hallmark audit`)",
                     _months(since, months).isoformat(), basis, True)]


def _cure_deadlines(conn: Connection) -> list[Deadline]:
    """The end of the cure period of every noticed incident (escalate if it is not cured)."""
    from hallmark.store.tables import incidents

    rows = conn.execute(select(incidents.c.id, incidents.c.party, incidents.c.cure_due)
                        .where(incidents.c.status == "noticed")
                        .where(incidents.c.cure_due.is_not(None)))
    return [_deadline(f"{r.id}/cure", "cure-period", r.id,
                      f"Cure period for incident {r.id} ({r.party}) ends: cured, or escalate",
                      r.cure_due, "the cure period given in the breach notice", True)
            for r in rows]


def select_within(found: list[Deadline], within_days: int | None) -> list[Deadline]:
    """The deadlines due within `within_days` (missed ones included), or all of them."""
    if within_days is None:
        return found
    return [d for d in found if d.days_left <= within_days and d.status != "passed"]


def to_ics(found: Iterable[Deadline], origin: str) -> bytes:
    """An iCalendar file with one all-day event per deadline."""
    from icalendar import Calendar, Event  # only an export needs it

    cal = Calendar()
    cal.add("prodid", "-//Hallmark//deadlines//EN")
    cal.add("version", "2.0")
    stamp = clock.now()
    for d in found:
        ev = Event()
        ev.add("uid", f"{d.id}@{origin}")
        ev.add("dtstamp", stamp)
        ev.add("dtstart", date.fromisoformat(d.due))
        ev.add("summary", d.title)
        ev.add("description", json.dumps({"rule": d.rule, "subject": d.subject,
                                          "basis": d.basis, "status": d.status,
                                          **({"accountable": d.accountable}
                                             if d.accountable else {})}))
        ev.add("categories", [d.rule])
        cal.add_component(ev)
    return bytes(cal.to_ical())

