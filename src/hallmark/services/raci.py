"""The periodic-reviews service: plan an agreement's review with its RACI, record a review
held, and the RACI chart over every agreement; each change is logged."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from hallmark.errors import InputError
from hallmark.schemas.raci import HeldReview, RaciChart, ReviewPlan
from hallmark.services import _args
from hallmark.store import clock

if TYPE_CHECKING:
    from hallmark.schemas.agreements import Agreement
    from hallmark.vault import Txn, Vault

__all__ = ["MAX_NOTES", "chart", "plan", "reviewed"]

MAX_NOTES = 5000
MAX_ID = 64


def _agreement(txn: Txn, agreement_id: str, day: date, doing: str) -> Agreement:
    from hallmark.agreements.agreements import get_agreement

    ag = get_agreement(txn.conn, agreement_id, field="agreement_id")
    state = ag.state_on(day)
    if state not in ("active", "pending"):
        raise InputError(f"agreement {ag.id} is {state} on {day}: nothing to {doing}",
                         field="agreement_id")
    return ag


def _day(value: object, field: str, *, past: bool) -> date:
    from hallmark.agreements.schema import parse_date

    if past:
        return _args.past_day(value, field)
    if isinstance(value, datetime):
        raise InputError(f"expected a date as YYYY-MM-DD, got {value!r}", field=field)
    try:
        return parse_date(value)
    except ValueError as exc:
        raise InputError(str(exc), field=field) from None


def _every(every: object, start: date) -> tuple[str, date]:
    from hallmark.agreements.raci import MAX_INTERVAL_DAYS
    from hallmark.agreements.schema import add_duration, parse_duration

    try:
        interval = parse_duration(every)
    except ValueError as exc:
        raise InputError(str(exc), field="every") from None
    try:
        due = add_duration(start, interval)
    except (OverflowError, ValueError):
        raise InputError(f"{interval} from {start} runs past the calendar", field="every") \
            from None
    if (due - start).days > MAX_INTERVAL_DAYS:
        raise InputError(f"review at least every 10 years (got {interval})", field="every")
    return interval, due


def plan(vault: Vault, agreement_id: str, *, responsible: str, accountable: str, every: str,
         consulted: Sequence[str] = (), informed: Sequence[str] = (),
         start: date | str | None = None, actor: str) -> ReviewPlan:
    """Plan (or re-plan) an agreement's periodic review: who is responsible, accountable (one
    person), consulted and informed; the first review is due `start` (default today) plus
    `every` (90d, 6m, 1y). Logs `agreement.review_planned`."""
    from hallmark.agreements import raci

    _args.text(actor, "actor")
    ref = _args.text(agreement_id, "agreement_id", most=MAX_ID).strip()
    if accountable is None or (isinstance(accountable, str) and not accountable.strip()):
        raise InputError("a review plan needs exactly one accountable person",
                         field="accountable")
    if responsible is None or (isinstance(responsible, str) and not responsible.strip()):
        raise InputError("a review plan needs the person or team responsible for it",
                         field="responsible")
    if every is None:
        raise InputError("how often: a duration like 90d, 6m or 1y", field="every")
    accountable = _args.text(accountable, "accountable", most=_args.MAX_REF)
    responsible = _args.text(responsible, "responsible", most=_args.MAX_REF)
    consulted_refs = _args.refs(_args.sequence(consulted, "consulted"), "consulted",
                                "consulted parties")
    informed_refs = _args.refs(_args.sequence(informed, "informed"), "informed",
                               "informed parties")
    today = clock.today()
    interval, first_due = _every(every, today if start is None else
                                 _day(start, "start", past=False))
    with vault.transaction(actor) as txn:
        ag = _agreement(txn, ref, today, "plan")
        chosen = raci.resolve_raci(txn.conn, responsible, accountable, consulted_refs,
                                   informed_refs)
        return raci.save_plan(txn, ag, chosen, interval, first_due, today)


def reviewed(vault: Vault, agreement_id: str, outcome: str, *, notes: str | None = None,
             on: date | str | None = None, actor: str) -> HeldReview:
    """Record a periodic review held (default today) with its outcome (keep, amend or
    terminate) for the agreement's current version; the next review is then due that day
    plus the plan's interval. Logs `agreement.reviewed`."""
    from hallmark.agreements import raci

    _args.text(actor, "actor")
    ref = _args.text(agreement_id, "agreement_id", most=MAX_ID).strip()
    if not isinstance(outcome, str) or outcome not in raci.OUTCOMES:
        raise InputError(f"must be one of {', '.join(raci.OUTCOMES)} (got {outcome!r:.40})",
                         field="outcome")
    notes = _args.optional_text(notes, "notes", empty=True, most=MAX_NOTES)
    notes = notes.strip() if notes is not None and notes.strip() else None
    day = clock.today() if on is None else _day(on, "on", past=True)
    with vault.transaction(actor) as txn:
        ag = _agreement(txn, ref, day, "review")
        # a review is of terms that exist: not before they took effect, or (signed ahead of
        # time) were recorded; "pending" alone let a review dated 0001-01-01 through
        first = min(ag.effective, ag.created[:10])
        if day.isoformat() < first:
            raise InputError(f"{day} is before agreement {ag.id} existed (effective "
                             f"{ag.effective}): no review of it was held then", field="on")
        return raci.record_review(txn, ag, day, outcome, notes)


def chart(vault: Vault, *, today: date | None = None) -> RaciChart:
    """The RACI chart: every planned agreement with its plan, next due date, last review and
    roles; and the ids of the agreements without a plan."""
    from hallmark.agreements import raci
    from hallmark.agreements.agreements import load_agreements

    if today is not None and (isinstance(today, datetime) or not isinstance(today, date)):
        raise InputError(f"expected a calendar date, got {today!r}", field="today")
    with vault.read() as conn:
        return raci.chart(conn, load_agreements(conn), today or clock.today())
