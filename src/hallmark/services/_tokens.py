"""API token rows: the token format, its hash, the `api_tokens` rows with their `token.created`
and `token.revoked` events, and what the close-out of an agreement does to its partners'
tokens. `hallmark.services.tokens` validates and is the front door."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select, update

from hallmark.errors import InputError, NotFound
from hallmark.schemas.closeouts import CloseOutToken
from hallmark.schemas.tokens import TokenRecord
from hallmark.store.clock import utcnow
from hallmark.store.tables import api_tokens

if TYPE_CHECKING:
    from hallmark.schemas.agreements import Agreement
    from hallmark.vault import Txn

PREFIX = "hm"
ID_HEX = 12  # 48 bits: a public handle, not a secret
SECRET_BYTES = 32  # 256 bits of randomness
SECRET_CHARS = 43  # base64url of 32 bytes, unpadded
TOKEN_CHARS = len(PREFIX) + 1 + ID_HEX + 1 + SECRET_CHARS
TOKEN_RE = re.compile(rf"{PREFIX}_([0-9a-f]{{{ID_HEX}}})_([A-Za-z0-9_-]{{{SECRET_CHARS}}})")
ID_RE = re.compile(rf"[0-9a-f]{{{ID_HEX}}}")
# Compared against when no token has the presented id, so that an unknown id costs the same
# comparison as a wrong secret.
NO_DIGEST = "0" * 64


def parse_token(token: str) -> tuple[str, str] | None:
    """(id, secret) of a well-formed token string, else None; bounded before any regex."""
    if len(token) != TOKEN_CHARS:
        return None
    found = TOKEN_RE.fullmatch(token)
    return (found.group(1), found.group(2)) if found else None


def secret_digest(secret: str) -> str:
    """The hex SHA-256 of a token's secret part: what the table keeps."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def new_secret() -> str:
    """A fresh secret: base64url of 32 random bytes, unpadded."""
    return base64.urlsafe_b64encode(secrets.token_bytes(SECRET_BYTES)).decode().rstrip("=")


def status(row: Any, day: date) -> str:
    """active, expired or revoked on `day`."""
    if row.revoked:
        return "revoked"
    if row.expires and day >= date.fromisoformat(row.expires):
        return "expired"
    return "active"


def to_record(row: Any, day: date) -> TokenRecord:
    """A row as its record: never the secret's hash."""
    return TokenRecord(id=row.id, role=row.role, party=row.party, note=row.note,
                       created=row.created, created_by=row.created_by, expires=row.expires,
                       status=status(row, day), revoked=row.revoked, revoked_by=row.revoked_by,
                       revoked_reason=row.revoked_reason, seq=row.seq)


def token_row(conn: Connection, token_id: str) -> Any:
    """One token's row by id, or None."""
    return conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).first()


def insert_token(txn: Txn, role: str, party: str | None, expires: date | None,
                 note: str | None) -> tuple[str, Any]:
    """A new token: its string (shown once) and its row; logs `token.created` (no secret)."""
    while True:  # 48-bit ids: a clash is unlikely, never silent
        token_id = secrets.token_hex(ID_HEX // 2)
        if token_row(txn.conn, token_id) is None:
            break
    secret = new_secret()
    ends = expires.isoformat() if expires is not None else None
    seq = txn.log.append("token.created", {"token": token_id, "role": role, "party": party,
                                           "expires": ends, "note": note},
                         [token_id, *([party] if party else [])])
    txn.conn.execute(insert(api_tokens).values(
        id=token_id, secret_sha256=secret_digest(secret), role=role, party=party, note=note,
        created=utcnow(), created_by=txn.actor, expires=ends, seq=seq))
    return f"{PREFIX}_{token_id}_{secret}", token_row(txn.conn, token_id)


def revoke_row(txn: Txn, row: Any, reason: str | None, *, field: str = "token_id",
               agreement: str | None = None) -> Any:
    """Revoke one token and log `token.revoked`; a token revoked already (here or by a
    concurrent transaction: the update only takes an unrevoked row) is refused."""
    changed = txn.conn.execute(
        update(api_tokens).where(api_tokens.c.id == row.id)
        .where(api_tokens.c.revoked.is_(None))
        .values(revoked=utcnow(), revoked_by=txn.actor, revoked_reason=reason))
    if changed.rowcount != 1:
        current = token_row(txn.conn, row.id)
        raise InputError(f"token {row.id} was already revoked on "
                         f"{str(current.revoked if current else '')[:10]}", field=field)
    payload: dict[str, Any] = {"token": row.id, "role": row.role, "party": row.party,
                               "reason": reason}
    if agreement is not None:
        payload["agreement"] = agreement
    seq = txn.log.append("token.revoked", payload,
                         [row.id, *([row.party] if row.party else []),
                          *([agreement] if agreement else [])])
    txn.conn.execute(update(api_tokens).where(api_tokens.c.id == row.id)
                     .values(revoked_seq=seq))
    return token_row(txn.conn, row.id)


def get_row(conn: Connection, token_id: str) -> Any:
    """One token's row; NotFound names `token_id`."""
    row = token_row(conn, token_id)
    if row is None:
        raise NotFound(f"no token {token_id} (see `hallmark token list`)", field="token_id")
    return row


def load_rows(conn: Connection, party: str | None, include_revoked: bool) -> list[Any]:
    """The token rows (of one party; revoked ones only when asked), newest first."""
    query = select(api_tokens).order_by(api_tokens.c.created.desc(), api_tokens.c.id)
    if party is not None:
        query = query.where(api_tokens.c.party == party)
    if not include_revoked:
        query = query.where(api_tokens.c.revoked.is_(None))
    return list(conn.execute(query))


def _related(index: dict[str, Any], a: str, b: str) -> bool:
    """Whether one of two parties is the other or inside it (a team, a person)."""
    from hallmark.agreements.parties import ancestors

    return a in ancestors(index, b) or b in ancestors(index, a)


def close_out_tokens(txn: Txn, ag: Agreement, partners: set[str], day: date,
                     ) -> tuple[list[CloseOutToken], list[CloseOutToken]]:
    """At the close-out of `ag`: revoke every unrevoked token bound to one of its `partners`
    (or to a team or person inside one), each logged `token.revoked`, except where that party
    still has another agreement in force (active or about to begin, not closed out): those are
    kept, with the reason. (revoked, kept)."""
    from hallmark.agreements.agreements import load_agreements
    from hallmark.agreements.closeout import closeout_row
    from hallmark.agreements.parties import ancestors, load_parties

    index = load_parties(txn.conn)
    rows = [r for r in load_rows(txn.conn, None, False)
            if r.party and any(p in partners for p in ancestors(index, r.party))]
    if not rows:
        return [], []
    others = [a for a in load_agreements(txn.conn) if a.id != ag.id
              and a.state_on(day) in ("active", "pending")
              and closeout_row(txn.conn, a.id) is None]
    revoked, kept = [], []
    for row in sorted(rows, key=lambda r: r.id):
        held = sorted(a.id for a in others
                      if any(_related(index, row.party, p) for p in a.parties))
        if held:
            kept.append(CloseOutToken(token=row.id, role=row.role, party=row.party,
                                      note=row.note, reason="another agreement in force with "
                                      f"{row.party}: {', '.join(held)}"))
            continue
        revoke_row(txn, row, f"close-out of {ag.id}", field="agreement_id", agreement=ag.id)
        revoked.append(CloseOutToken(token=row.id, role=row.role, party=row.party,
                                     note=row.note, reason=f"close-out of {ag.id}"))
    return revoked, kept
