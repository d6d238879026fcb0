"""The ten steps of an AI IP protection programme, each computed from the vault as done,
partial or missing, with its evidence or its gap (`hallmark.services.checklist` serves them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from dateutil.relativedelta import relativedelta
from sqlalchemy import Connection, func, select

from hallmark.agreements.agreements import load_agreements
from hallmark.agreements.deadlines import rules
from hallmark.agreements.inventions import load_inventions
from hallmark.agreements.ownership import assignors, conflicts, missing_assignments
from hallmark.agreements.parties import ancestors, load_parties
from hallmark.inventory.assets import list_assets
from hallmark.schemas.checklist import ChecklistStep as Step
from hallmark.store import clock
from hallmark.store.tables import checkpoints, events

if TYPE_CHECKING:
    from hallmark.schemas.agreements import Agreement
    from hallmark.schemas.inventory import Asset
    from hallmark.schemas.parties import Party

__all__ = ["STEPS", "Step", "grade"]


@dataclass
class _State:
    conn: Connection
    today: date
    assets: list[Asset]
    parties: dict[str, Party]
    agreements: list[Agreement]

    def live(self, *types: str) -> list[Agreement]:
        return [a for a in self.agreements if a.type in types and a.state_on(self.today)
                in ("active", "pending")]

    def partners(self) -> list[Party]:
        return [p for p in self.parties.values() if p.role in ("partner", "university",
                                                               "sponsor")]


def _grade(step: Step, done: int, total: int) -> Step:
    step.status = "done" if total and done == total else ("partial" if done else "missing")
    return step


def _ip_audit(s: _State, step: Step) -> Step:
    if not s.assets:
        step.gaps.append("no assets registered (run `hallmark scan`)")
        return step
    owned = [a for a in s.assets if a.owner and a.status != "unknown"]
    step.evidence.append(f"{len(s.assets)} assets registered, {len(owned)} with owner and status")
    if len(owned) < len(s.assets):
        step.gaps.append(f"{len(s.assets) - len(owned)} assets have no owner or unknown status")
    return _grade(step, len(owned), len(s.assets))


def _ndas(s: _State, step: Step) -> Step:
    partners = s.partners()
    if not partners:
        step.gaps.append("no partners registered (`hallmark party add ... --role partner`)")
        return step
    kinds = {a.id: a.kind for a in s.assets}
    good = 0
    for p in partners:
        ndas = [a for a in s.live("nda") if p.id in a.parties]
        if not ndas:
            step.gaps.append(f"no NDA in force with {p.name}")
            continue
        covered = {kinds.get(c) for a in ndas for c in a.terms["covers"]}
        future = {o["subject"] for a in ndas for o in a.terms["ownership"]}
        missing = [w for w, ok in (("data", "dataset" in covered), ("models", "model" in covered),
                                   ("derivatives", bool(future & {"derivatives",
                                                                  "improvements"})))
                   if not ok]
        if missing:
            step.gaps.append(f"NDA with {p.name} does not cover {', '.join(missing)}")
        else:
            good += 1
            step.evidence.append(f"{', '.join(a.id for a in ndas)} with {p.name}")
    return _grade(step, good, len(partners))


def _collaboration(s: _State, step: Step) -> Step:
    collabs = s.live("collaboration", "sponsored-research")
    if not collabs:
        step.gaps.append("no collaboration agreement in force")
        return step
    with_matrix = [a for a in collabs if a.terms["ownership"]]
    step.evidence += [f"{a.id}: {len(a.terms['ownership'])} ownership terms" for a in with_matrix]
    step.gaps += [f"{a.id} has no ownership matrix" for a in collabs if not a.terms["ownership"]]
    return _grade(step, len(with_matrix), len(collabs))


def _assignments(s: _State, step: Step) -> Step:
    people = [p for p in s.parties.values() if p.role in ("contractor", "employee")]
    signed = [a for a in s.agreements if a.type in ("assignment", "work-for-hire")]
    uncovered = [p for p in people if not any(set(ancestors(s.parties, p.id)) & assignors(a)
                                              for a in signed)]
    gaps = missing_assignments(s.conn, s.today)
    step.evidence += [f"{a.id} ({a.type})" for a in signed]
    step.gaps += [f"{p.name} ({p.role}) has no assignment or work-for-hire" for p in uncovered]
    step.gaps += [g.message for g in gaps]
    total = len(people) + len(gaps)
    if total == 0:
        if not signed:
            step.gaps.append("no contractors, employees or code contributors recorded")
            return step
        return _grade(step, 1, 1)
    return _grade(step, total - len(uncovered) - len(gaps), total)


def _patents(s: _State, step: Step) -> Step:
    inventions = load_inventions(s.conn)
    if not inventions:
        step.gaps.append("no invention disclosures recorded (`hallmark invention add`)")
        return step
    months = int(rules()["patents"]["first_filing"]["months"])
    early = 0
    for inv in inventions:
        pub = inv.publication
        late = [f.id for f in inv.filings if pub is not None and f.filed > pub.published]
        if late:
            step.gaps.append(f"{inv.id} {inv.title!r}: {', '.join(late)} filed after its "
                             "defensive publication (`hallmark audit`)")
            continue
        if pub is not None:  # published on purpose: prior art, no patent is being sought
            early += 1
            step.evidence.append(f"{inv.id} published defensively on {pub.published}")
            continue
        conceived = date.fromisoformat(inv.conceived)
        first = min((date.fromisoformat(f.filed) for f in inv.filings), default=None)
        if first is not None and first <= conceived + relativedelta(months=months):
            early += 1
            step.evidence.append(f"{inv.id} filed {first} (conceived {inv.conceived})")
        else:
            step.gaps.append(f"{inv.id} {inv.title!r} has no filing within {months} months")
    return _grade(step, early, len(inventions))


def _copyright(s: _State, step: Step) -> Step:
    works = [a for a in s.assets if a.kind in ("code", "document")]
    if not works:
        step.gaps.append("no code or documentation registered")
        return step
    recorded = [a for a in works if a.protection == "copyright" or a.effective_license]
    step.evidence.append(f"{len(recorded)} of {len(works)} code/doc assets carry a copyright "
                         "or licence record")
    if len(recorded) < len(works):
        step.gaps.append(f"{len(works) - len(recorded)} code/doc assets have no copyright "
                         "record (`hallmark asset set ID --protection copyright`)")
    return _grade(step, len(recorded), len(works))


def _access(s: _State, step: Step) -> Step:
    sharing = [a for a in s.agreements if a.terms["covers"] and a.terms["permitted"]
               and a.state_on(s.today) == "active"]
    if not sharing:
        step.gaps.append("no agreement in force grants access to a shared asset")
        return step
    tented = [a for a in sharing if all(p["teams"] for p in a.terms["permitted"])]
    step.evidence += [f"{a.id}: access limited to named teams" for a in tented]
    step.gaps += [f"{a.id} grants access to whole organisations (no tented team)"
                  for a in sharing if a not in tented]
    return _grade(step, len(tented), len(sharing))


def _digests(s: _State, step: Step) -> Step:
    signed = s.conn.execute(select(func.count()).select_from(checkpoints)).scalar() or 0
    if not s.assets:
        step.gaps.append("no assets under digest")
        return step
    step.evidence.append(f"{len(s.assets)} assets with SHA-256 and BLAKE3 digests; "
                         f"{signed} signed log checkpoints")
    if not signed:
        step.gaps.append("no signed checkpoint")
        return _grade(step, 0, 1)
    return _grade(step, 1, 1)


def _reviews(s: _State, step: Step) -> Step:
    """The quarterly compliance review (an audit run) and the periodic review of every
    agreement in force: each has a plan (`agreement plan`) and none is overdue."""
    from hallmark.agreements.raci import chart

    kinds = list(rules()["compliance"]["review_events"])
    last = s.conn.execute(select(events.c.time).where(events.c.type.in_(kinds))
                          .order_by(events.c.seq.desc()).limit(1)).scalar()
    done, total = 0, 1  # the compliance review: fresh, a quarter old (half), or missing
    if last is None:
        step.gaps.append("no compliance review recorded (run `hallmark audit`)")
    else:
        age = (s.today - date.fromisoformat(last[:10])).days
        step.evidence.append(f"last review {last[:10]} ({age} days ago)")
        if age > 92:
            step.gaps.append("the last review is more than a quarter old")
        done, total = (1, 1) if age <= 92 else ((1, 2) if age <= 184 else (0, 1))
    live = [a for a in s.agreements if a.state_on(s.today) == "active"]
    planned = {p.agreement: p for p in chart(s.conn, live, s.today).agreements}
    for ag in live:
        total += 1
        found = planned.get(ag.id)
        if found is None:
            step.gaps.append(f"{ag.id} has no periodic review plan (`hallmark agreement plan`)")
        elif found.overdue:
            step.gaps.append(f"{ag.id}: periodic review overdue since {found.next_due} "
                             f"(accountable: {found.raci.accountable})")
        else:
            done += 1
            step.evidence.append(f"{ag.id}: next review {found.next_due} (accountable: "
                                 f"{found.raci.accountable})")
    return _grade(step, done, total)


def _record(s: _State, step: Step) -> Step:
    logged = s.conn.execute(select(func.count()).select_from(events)).scalar() or 0
    decided = s.conn.execute(select(func.count()).select_from(events)
                             .where(events.c.type == "access.decided")).scalar() or 0
    step.evidence.append(f"{logged} events in the signed log, {len(s.agreements)} agreements, "
                         f"{decided} logged access decisions")
    if not logged:
        step.gaps.append("the log is empty: no decision has been recorded")
        return step
    found = conflicts(s.conn, s.today)
    step.gaps += [c.message for c in found]
    if not s.agreements:
        step.gaps.append("no agreements recorded")
    return _grade(step, (1 if s.agreements else 0) + (0 if found else 1), 2)


STEPS: list[tuple[str, str, Callable[[_State, Step], Step]]] = [
    ("ip-audit", "IP audit: every asset inventoried with owner and status", _ip_audit),
    ("nda", "An NDA covering data, models and derivatives with every partner", _ndas),
    ("collaboration", "A collaboration agreement with an ownership matrix", _collaboration),
    ("assignment", "Work-for-hire / assignment with every contractor and contributing "
                   "employee", _assignments),
    ("patents", "Patents filed early for novel methods (or published as prior art)", _patents),
    ("copyright", "Copyright records for code and documentation", _copyright),
    ("access", "Access controls on shared assets (tented teams)", _access),
    ("digests", "Version control with immutable digests", _digests),
    ("reviews", "Quarterly compliance reviews and periodic agreement reviews", _reviews),
    ("record", "A central record of IP decisions", _record),
]


def grade(conn: Connection, today: date | None = None) -> list[Step]:
    """The ten steps, each graded from the vault's state."""
    state = _State(conn, today or clock.today(), list_assets(conn), load_parties(conn),
                   load_agreements(conn))
    return [fn(state, Step(number=n, id=sid, title=title)) for n, (sid, title, fn) in
            enumerate(STEPS, start=1)]

