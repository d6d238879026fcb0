"""Audit rule of the close-out of a partnership: a copy shared under an agreement that has
ended (closed out, terminated or expired) stays a finding until it is returned or destroyed."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from hallmark.agreements.agreements import load_agreements
from hallmark.agreements.closeout import unaccounted_shares
from hallmark.audit.registry import AuditContext, Finding, finding, rule
from hallmark.store.clock import today
from hallmark.store.tables import closeouts, shares

SENSITIVE = ("confidential", "trade-secret")


@rule("closeout-unaccounted",
      "A copy shared under an agreement that has ended (closed out, terminated or expired) was "
      "never recorded as returned or destroyed.")
def closeout_unaccounted(ctx: AuditContext) -> Iterable[Finding]:
    """Every copy under an ended or closed-out agreement with no disposition recorded."""
    closed = {r.agreement: r.closed for r in ctx.conn.execute(
        select(closeouts.c.agreement, closeouts.c.closed))}
    day = today()
    for ag in load_agreements(ctx.conn):
        state = ag.state_on(day)
        if ag.id not in closed and state not in ("terminated", "expired"):
            continue
        why = f"closed out on {closed[ag.id]}" if ag.id in closed else (
            f"terminated on {ag.terminated_on}" if state == "terminated" else
            f"expired on {ag.expires}")
        missing = unaccounted_shares(ctx.conn, ag.id)
        if not missing:
            continue
        rows = {r.id: r for r in ctx.conn.execute(
            select(shares.c.id, shares.c.asset, shares.c.recipient)
            .where(shares.c.id.in_(missing)))}
        for share_id in missing:
            row = rows[share_id]
            asset = ctx.by_id.get(row.asset)
            severity = "high" if asset is not None and asset.classification in SENSITIVE \
                else "medium"
            name = asset.name if asset is not None else row.asset
            yield finding(
                "closeout-unaccounted", severity, row.asset,
                f"copy {share_id} of {name} held by {row.recipient} under {ag.id} ({why}) was "
                "never recorded as returned or destroyed",
                f"get it back or have it destroyed, then record it: `hallmark dispose "
                f"{share_id} --as returned` or `--as destroyed --certificate FILE`",
                share_id)
