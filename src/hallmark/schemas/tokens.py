"""Schemas of the API tokens: a token's record (never its secret nor the secret's hash), the one
result that carries the token string itself, and the principal a token authenticates as."""

from __future__ import annotations

from hallmark.schemas.base import Record

__all__ = ["TokenRecord", "TokenCreated", "TokenList", "Principal"]


class TokenRecord(Record):
    """One API token as `token list` shows it."""

    id: str
    role: str  # admin | counsel | engineer | auditor | partner
    party: str | None  # the party a partner token is bound to (its id); None for the others
    note: str | None
    created: str
    created_by: str
    expires: str | None  # the first day it no longer works; None: it never expires
    status: str  # active | expired | revoked (today)
    revoked: str | None
    revoked_by: str | None
    revoked_reason: str | None
    seq: int  # the `token.created` entry


class TokenCreated(Record):
    """`token create --json`: the token, shown this once (only its hash is kept), and its
    record."""

    token: str  # hm_<id>_<secret>
    record: TokenRecord


class TokenList(Record):
    """The tokens (revoked ones only when asked), newest first."""

    tokens: list[TokenRecord]


class Principal(Record):
    """Who a valid token speaks for: the API decides what the role (and party) may do."""

    token: str  # the token's id, never its secret
    role: str
    party: str | None
    party_name: str | None
    expires: str | None
