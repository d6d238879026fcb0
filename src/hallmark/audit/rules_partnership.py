"""Audit rules of the whole partnership (issue 15): terms a permitted person has not
acknowledged. (An overdue periodic review is the `deadline-missed` finding of its
`planned-review` deadline, so it has no rule of its own.)"""

from __future__ import annotations

from collections.abc import Iterable

from hallmark.agreements.acknowledgements import missing
from hallmark.agreements.agreements import load_agreements
from hallmark.audit.registry import AuditContext, Finding, finding, rule
from hallmark.store.clock import today


@rule("unacknowledged-terms",
      "A member of a permitted party or team has not acknowledged the terms in force of an "
      "agreement that requires acknowledgement.")
def unacknowledged_terms(ctx: AuditContext) -> Iterable[Finding]:
    """One finding per person and agreement: access for that person is denied until then."""
    for m in missing(ctx.conn, load_agreements(ctx.conn), today()):
        yield finding("unacknowledged-terms", "medium", None,
                      f"{m.person_name} ({m.person}, through {m.via}) has not acknowledged "
                      f"version {m.version} of {m.agreement}, which requires acknowledgement",
                      f"have them read the terms (or train them) and record it: hallmark "
                      f"acknowledge {m.agreement} --person {m.person}; until then access "
                      "decisions for them are denied", m.person)
