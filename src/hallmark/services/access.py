"""The access service: may a party (or one of its teams) do an action with an asset, on a day,
for a purpose? Allow or deny with reasons, decided by the agreements' compiled policies; every
batch of decisions is logged as one Event."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from hallmark.errors import HallmarkError, InputError
from hallmark.schemas.access import AccessDecision, AccessDecisions, AccessEcho, AccessQuery
from hallmark.services._args import path as checked_path
from hallmark.services._args import sequence
from hallmark.vault import Vault

if TYPE_CHECKING:
    from hallmark.agreements.access import AccessRequest
    from hallmark.policy.decide import Decision

__all__ = ["check", "check_batch", "read_batch", "decide", "MAX_BATCH"]

MAX_BATCH = 100_000  # requests in one batch (agreements.access enforces the same bound)
REQUEST_FIELDS = ("party", "asset", "action", "team", "purpose", "at", "person")


def decide(vault: Vault, requests: Sequence[AccessQuery | AccessRequest], *, actor: str,
           log: bool = True) -> list[Decision]:
    """Decide many access requests (AccessQuery) at once (deny by default) against the
    agreements and the vault's export rules; unless `log` is false, logs one Event for the
    batch, attributed to `actor`."""
    from hallmark.agreements.access import AccessRequest, decide_on, log_decisions
    from hallmark.agreements.export import load_rules

    plain = []
    for i, item in enumerate(sequence(requests, "requests")):
        if isinstance(item, AccessQuery):
            item = AccessRequest(item.party, item.asset, item.action, item.team, item.purpose,
                                 item.at, item.person)
        elif not isinstance(item, AccessRequest):
            raise InputError(f"item {i} must be an AccessQuery (got {type(item).__name__})",
                             field="requests")
        plain.append(item)
    rules = load_rules(vault.dir)
    with vault.read() as conn:
        decisions = decide_on(conn, vault.db_url, plain, rules)
    if log and decisions:
        with vault.transaction(actor) as txn:
            log_decisions(txn, decisions, rules)
    return decisions


def _record(d: Decision) -> AccessDecision:
    return AccessDecision(allowed=d.allowed, reasons=d.reasons, agreements=d.agreements,
                          policies=d.policies, request=AccessEcho(**d.request))


def check(vault: Vault, party: str, asset: str, action: str, *, team: str | None = None,
          purpose: str | None = None, at: date | str | None = None,
          person: str | None = None, actor: str) -> AccessDecision:
    """One access decision (at: YYYY-MM-DD, default today), logged; with `person`, for that
    person inside the party or team (agreements may require persons to acknowledge them)."""
    from hallmark.agreements.access import AccessRequest

    return _record(decide(vault, [AccessRequest(party, asset, action, team, purpose, at,
                                                person)], actor=actor)[0])


def read_batch(path: Path | str) -> list[AccessQuery]:
    """The requests of a batch file: a JSON array or JSON Lines (at most 64 MiB and
    MAX_BATCH requests)."""
    from hallmark.agreements.access import MAX_BATCH_BYTES, parse_batch

    path = checked_path(path, "batch")
    try:
        if path.stat().st_size > MAX_BATCH_BYTES:
            raise InputError(f"{path.name} is larger than {MAX_BATCH_BYTES >> 20} MiB")
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    parsed = parse_batch(text, path.name)
    return [AccessQuery(party=r.party, asset=r.asset, action=r.action, team=r.team,
                        purpose=r.purpose, at=r.at if isinstance(r.at, str) else None,
                        person=r.person) for r in parsed]


def check_batch(vault: Vault, requests: Sequence[AccessQuery] | Path | str, *, actor: str,
                log: bool = True) -> AccessDecisions:
    """Decide many requests (a list, or a batch file's path); unless `log` is false, logged
    as one Event."""
    from hallmark.agreements.access import AccessRequest

    queries = read_batch(requests) if isinstance(requests, (str, Path)) else requests
    if not isinstance(queries, Sequence):
        raise InputError("expected a list of requests or a batch file", field="batch")
    if len(queries) > MAX_BATCH:
        raise InputError(f"at most {MAX_BATCH} requests per batch", field="batch")
    plain = []
    for n, q in enumerate(queries, start=1):
        if not isinstance(q, AccessQuery):
            raise InputError(f"request {n}: expected an AccessQuery, got {type(q).__name__}",
                             field="batch")
        plain.append(AccessRequest(q.party, q.asset, q.action, q.team, q.purpose, q.at,
                                   q.person))
    try:
        decided = decide(vault, plain, actor=actor, log=log)
    except HallmarkError as exc:
        if exc.field not in REQUEST_FIELDS:
            raise
        # A field of one request is not a parameter of the batch: name it in the message.
        raise type(exc)(f"{exc.field}: {exc.message}", field="batch") from None
    return AccessDecisions(decisions=[_record(d) for d in decided])
