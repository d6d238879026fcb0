"""Periodic agreement reviews: the plan with its RACI (review_plans), the reviews held
(periodic_reviews), when the next one is due, and the chart over every agreement.
`hallmark.services.raci` validates arguments and is the front door; the deadlines, the
checklist and the audit read `plans` and `due_reviews` here."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, insert, select

from hallmark.agreements.parties import Party, load_parties, resolve_party
from hallmark.agreements.schema import add_duration
from hallmark.errors import InputError
from hallmark.schemas.deadlines import Deadline
from hallmark.schemas.raci import HeldReview, Raci, RaciChart, ReviewPlan
from hallmark.store.clock import utcnow
from hallmark.store.tables import periodic_reviews, review_plans

if TYPE_CHECKING:
    from hallmark.schemas.agreements import Agreement
    from hallmark.vault import Txn

__all__ = ["MAX_GROUP", "MAX_INTERVAL_DAYS", "OUTCOMES", "chart", "due_on", "last_reviews",
           "load_plans", "party_names", "plan_of", "record_review", "resolve_raci",
           "review_deadlines", "save_plan"]

OUTCOMES = ("keep", "amend", "terminate")
MAX_GROUP = 50  # consulted or informed parties of one plan
MAX_INTERVAL_DAYS = 3653  # a review at least every ten years


@dataclass(frozen=True)
class _Plan:
    agreement: str
    raci: Raci
    every: str
    first_due: str
    seq: int


def _plan(row: Any) -> _Plan:
    return _Plan(row.agreement, Raci(responsible=row.responsible, accountable=row.accountable,
                                     consulted=json.loads(row.consulted),
                                     informed=json.loads(row.informed)),
                 row.every, row.first_due, int(row.seq))


def load_plans(conn: Connection) -> dict[str, _Plan]:
    """Every review plan by agreement id."""
    return {r.agreement: _plan(r) for r in conn.execute(select(review_plans))}


def _held(row: Any) -> HeldReview:
    return HeldReview(agreement=row.agreement, reviewed=row.reviewed, outcome=row.outcome,
                      version=row.version, notes=row.notes, seq=int(row.seq))


def last_reviews(conn: Connection) -> dict[str, HeldReview]:
    """The latest review held of each agreement (by its day, then by when it was logged)."""
    out: dict[str, HeldReview] = {}
    rows = conn.execute(select(periodic_reviews).order_by(periodic_reviews.c.reviewed,
                                                          periodic_reviews.c.seq))
    for row in rows:
        out[row.agreement] = _held(row)
    return out


def due_on(plan: _Plan, last: HeldReview | None) -> date:
    """When the next review is due: the plan's first due date, or the last review plus the
    interval if that is later (a review held before a re-plan does not pull the date back)."""
    first = date.fromisoformat(plan.first_due)
    if last is None:
        return first
    try:
        after = add_duration(date.fromisoformat(last.reviewed), plan.every)
    except (OverflowError, ValueError):
        return first
    return max(first, after)


def plan_of(ag: Agreement, plan: _Plan, last: HeldReview | None, today: date) -> ReviewPlan:
    """One row of the chart."""
    due = due_on(plan, last)
    return ReviewPlan(agreement=ag.id, title=ag.title, state=ag.state_on(today),
                      every=plan.every, first_due=plan.first_due, next_due=due.isoformat(),
                      overdue=due < today and ag.state_on(today) in ("active", "pending"),
                      last_review=last, raci=plan.raci, seq=plan.seq)


def chart(conn: Connection, agreements: list[Agreement], today: date) -> RaciChart:
    """Every planned agreement with its RACI, and the ids of those without a plan."""
    plans, last = load_plans(conn), last_reviews(conn)
    return RaciChart(
        agreements=[plan_of(ag, plans[ag.id], last.get(ag.id), today)
                    for ag in agreements if ag.id in plans],
        unplanned=[ag.id for ag in agreements if ag.id not in plans])


def _party(conn: Connection, ref: str, field: str) -> Party:
    return resolve_party(conn, ref, field=field)


def resolve_raci(conn: Connection, responsible: str, accountable: str, consulted: list[str],
                 informed: list[str]) -> Raci:
    """The RACI as party ids, after checking it: one accountable person; a responsible
    person or team; nobody both consulted and informed, nor also responsible or accountable
    and consulted or informed; nobody listed twice."""
    accountable_party = _party(conn, accountable, "accountable")
    if accountable_party.kind != "person":
        raise InputError(f"{accountable_party.name!r} is a {accountable_party.kind}: one person "
                         "is accountable for a review", field="accountable")
    responsible_party = _party(conn, responsible, "responsible")
    if responsible_party.kind == "organisation":
        raise InputError(f"{responsible_party.name!r} is an organisation: name the person or "
                         "team who does the review", field="responsible")
    leads = {responsible_party.id, accountable_party.id}
    groups: dict[str, list[str]] = {}
    for field, refs in (("consulted", consulted), ("informed", informed)):
        if len(refs) > MAX_GROUP:
            raise InputError(f"name at most {MAX_GROUP} parties", field=field)
        ids: list[str] = []
        for ref in refs:
            found = _party(conn, ref, field)
            if found.id in ids:
                raise InputError(f"{found.name!r} is listed twice", field=field)
            if found.id in leads:
                raise InputError(f"{found.name!r} is already responsible or accountable",
                                 field=field)
            ids.append(found.id)
        groups[field] = ids
    both = sorted(set(groups["consulted"]) & set(groups["informed"]))
    if both:
        raise InputError(f"{both[0]!r} is both consulted and informed: choose one",
                         field="informed")
    return Raci(responsible=responsible_party.id, accountable=accountable_party.id,
                consulted=groups["consulted"], informed=groups["informed"])


def save_plan(txn: Txn, ag: Agreement, raci: Raci, every: str, first_due: date,
              today: date) -> ReviewPlan:
    """Plan (or re-plan: the plan is replaced) an agreement's periodic review; logs
    `agreement.review_planned` with the RACI."""
    replaced = txn.conn.execute(delete(review_plans)
                                .where(review_plans.c.agreement == ag.id)).rowcount > 0
    payload = {"agreement": ag.id, "version": ag.version, "every": every,
               "first_due": first_due.isoformat(), "replaces": replaced,
               **raci.model_dump()}
    subjects = {ag.id, raci.responsible, raci.accountable, *raci.consulted, *raci.informed}
    seq = txn.log.append("agreement.review_planned", payload, sorted(subjects))
    txn.conn.execute(insert(review_plans).values(
        agreement=ag.id, responsible=raci.responsible, accountable=raci.accountable,
        consulted=json.dumps(raci.consulted), informed=json.dumps(raci.informed), every=every,
        first_due=first_due.isoformat(), seq=seq, created=utcnow()))
    plan = load_plans(txn.conn)[ag.id]
    return plan_of(ag, plan, last_reviews(txn.conn).get(ag.id), today)


def record_review(txn: Txn, ag: Agreement, day: date, outcome: str, notes: str | None,
                  ) -> HeldReview:
    """Record a periodic review held on `day` for the agreement's current version; logs
    `agreement.reviewed`. The next review is then due `day` plus the plan's interval."""
    plan = load_plans(txn.conn).get(ag.id)
    if plan is None:
        raise InputError(f"agreement {ag.id} has no review plan: plan one first",
                         field="agreement_id")
    seq = txn.log.append("agreement.reviewed",
                         {"agreement": ag.id, "version": ag.version, "reviewed": day.isoformat(),
                          "outcome": outcome, "notes": notes,
                          "accountable": plan.raci.accountable},
                         [ag.id, plan.raci.accountable])
    txn.conn.execute(insert(periodic_reviews).values(
        agreement=ag.id, version=ag.version, reviewed=day.isoformat(), outcome=outcome,
        notes=notes, seq=seq, created=utcnow()))
    held = HeldReview(agreement=ag.id, reviewed=day.isoformat(), outcome=outcome,  # type: ignore[arg-type]
                      version=ag.version, notes=notes, seq=seq)
    held.next_due = due_on(plan, last_reviews(txn.conn).get(ag.id)).isoformat()
    return held


def party_names(conn: Connection) -> dict[str, str]:
    """Party names by id (for the chart's columns)."""
    return {p.id: p.name for p in load_parties(conn).values()}


def review_deadlines(conn: Connection, agreements: list[Agreement], today: date,
                     ) -> tuple[list[Deadline], set[str]]:
    """The next planned review of every agreement in force (or pending) that has a plan, with
    its accountable person named; and the ids of every planned agreement (whose yearly
    default review the plan replaces)."""
    plans, last = load_plans(conn), last_reviews(conn)
    names = party_names(conn)
    out = []
    for ag in agreements:
        plan = plans.get(ag.id)
        if plan is None or ag.state_on(today) not in ("active", "pending"):
            continue
        held = last.get(ag.id)
        due = due_on(plan, held)
        who = names.get(plan.raci.accountable, plan.raci.accountable)
        basis = (f"every {plan.every}; last review {held.reviewed} ({held.outcome})"
                 if held is not None and due > date.fromisoformat(plan.first_due) else
                 f"every {plan.every}; first review planned")
        out.append(Deadline(id=f"{ag.id}/planned-review", rule="planned-review", subject=ag.id,
                            title=f"Periodic review of {ag.title} (accountable: {who})",
                            due=due.isoformat(), basis=basis, obligation=True,
                            accountable=plan.raci.accountable))
    return out, set(plans)
