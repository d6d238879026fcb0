"""The rows of shares and traces, and the digests of their files: the SQL behind
services.shares and services.traces (the marks maths never touches the database)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select

from hallmark.marks.scheme import Shared
from hallmark.store.clock import utcnow
from hallmark.store.tables import shares, traces

if TYPE_CHECKING:
    from hallmark.vault import Txn

KNOWN_PLANS_SCANNED = 50


def known_plan(conn: Connection, asset_id: str, source_sha: str,
               options: dict[str, Any]) -> dict[str, Any] | None:
    """A plan already made for this exact content and options (so the profile pass is skipped
    and every recipient's copy is keyed the same way)."""
    query = select(shares.c.params).where(shares.c.asset == asset_id,  # a de-identified
                                          shares.c.source_sha256 == source_sha,  # copy's plan
                                          shares.c.deidentified.is_(None))  # is its own
    for row in conn.execute(query.order_by(shares.c.created.desc())
                            .limit(KNOWN_PLANS_SCANNED)):
        plan: dict[str, Any] = json.loads(row.params)
        if plan.get("options") == options:
            return plan
    return None


def insert_share(txn: Txn, row: dict[str, Any]) -> None:
    """One Share row (its event already appended: `row["seq"]`)."""
    txn.conn.execute(insert(shares).values(**row, created=utcnow()))


def share_rows(conn: Connection, asset_id: str | None) -> list[Any]:
    """Every share (optionally of one asset), oldest first."""
    query = select(shares).order_by(shares.c.created, shares.c.id)
    if asset_id is not None:
        query = query.where(shares.c.asset == asset_id)
    return list(conn.execute(query))


def shared_plans(conn: Connection, asset_id: str | None) -> list[Shared]:
    """The shares grouped by (asset, plan), oldest first."""
    query = select(shares.c.id, shares.c.asset, shares.c.recipient, shares.c.params,
                   shares.c.params_sha256).order_by(shares.c.created, shares.c.id)
    if asset_id is not None:
        query = query.where(shares.c.asset == asset_id)
    groups: dict[tuple[str, str], Shared] = {}
    for row in conn.execute(query):
        group = groups.get((row.asset, row.params_sha256))
        if group is None:
            group = groups[(row.asset, row.params_sha256)] = Shared(
                row.asset, json.loads(row.params), [])
        group.shares.append((row.id, row.recipient))
    return list(groups.values())


def insert_trace(txn: Txn, row: dict[str, Any]) -> None:
    """One Trace row (`accused` as its JSON text)."""
    txn.conn.execute(insert(traces).values(**row, created=utcnow()))


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, streamed."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
