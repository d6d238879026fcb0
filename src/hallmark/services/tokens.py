"""The API tokens service: create a token for a role (a partner token bound to one party), list
and revoke them, and authenticate a presented token. The token string is shown once, when it
is created; the vault keeps only the SHA-256 of its secret, and the log never carries either."""

from __future__ import annotations

import hmac
from datetime import date, datetime
from typing import TYPE_CHECKING

from hallmark.errors import InputError, Unauthenticated
from hallmark.schemas.tokens import Principal, TokenCreated, TokenList, TokenRecord
from hallmark.services import _args
from hallmark.store.clock import today

if TYPE_CHECKING:
    from hallmark.vault import Vault

__all__ = ["DEFAULT_EXPIRY", "ROLES", "authenticate", "create", "list_tokens", "revoke"]

DEFAULT_EXPIRY = "90d"
MAX_NOTE = 300
MAX_REASON = 1000
MAX_PRESENTED = 1000  # far longer than any token; a longer string is not read at all


# What each role may do once the API serves it (the API issue compiles these to Cedar
# policies); a token only names its role.
ROLES = {
    "admin": "everything",
    "counsel": "agreements, reviews, ownership, deadlines, checklist",
    "engineer": "assets, scans, shares within agreements, traces",
    "auditor": "read everything and verify the ledger; change nothing",
    "partner": "one party's own agreements, the assets they cover, its own shares and "
               "downloads of its own marked copies",
}


def _role(role: object) -> str:
    if not isinstance(role, str) or role not in ROLES:
        shown = f"{role!r:.40}" if isinstance(role, str) else type(role).__name__
        raise InputError(f"must be one of {', '.join(ROLES)} (got {shown})", field="role")
    return role


def _expiry(expires: object) -> date | None:
    """The first day a new token no longer works: a duration from today or a date after
    today; None: never."""
    from hallmark.schemas.agreements import DURATION_RE, add_duration, parse_date

    if expires is None:
        return None
    if isinstance(expires, datetime) or not isinstance(expires, str | date):
        raise InputError("expected a duration like 90d, 6w, 18m or 2y, or a date as "
                         "YYYY-MM-DD", field="expires")
    day = today()
    if isinstance(expires, str) and DURATION_RE.match(expires.strip()):
        try:
            ends = add_duration(day, expires.strip())
        except (OverflowError, ValueError):
            raise InputError(f"{expires.strip()} from today is beyond the calendar",
                             field="expires") from None
    else:
        try:
            ends = parse_date(expires)
        except ValueError:
            raise InputError("expected a duration like 90d, 6w, 18m or 2y, or a date as "
                             "YYYY-MM-DD", field="expires") from None
    if ends <= day:
        raise InputError(f"{ends} is not after today ({day}): a token would never work",
                         field="expires")
    return ends


def _token_id(value: object) -> str:
    from hallmark.services._tokens import ID_RE

    # the message never repeats the value: a caller may have pasted a whole token
    if not isinstance(value, str) or len(value) > 100 or not ID_RE.fullmatch(value.strip()):
        raise InputError("name a token by its id (12 hex digits, as `hallmark token list` "
                         "shows it)", field="token_id")
    return value.strip()


def create(vault: Vault, role: str, *, party: str | None = None,
           expires: str | date | None = DEFAULT_EXPIRY, note: str | None = None,
           actor: str) -> TokenCreated:
    """A new API token for `role` (a partner token bound to `party`, no other is), expiring
    after `expires` (a duration like 90d, or a date; None: never). The result carries the
    token this once; logs `token.created` without it."""
    from hallmark.agreements.parties import resolve_party
    from hallmark.services._tokens import insert_token, to_record

    _args.text(actor, "actor")
    chosen = _role(role)
    ref = _args.optional_text(party, "party", most=_args.MAX_REF)
    if chosen == "partner" and ref is None:
        raise InputError("a partner token is bound to one party: name it", field="party")
    if chosen != "partner" and ref is not None:
        raise InputError(f"only a partner token is bound to a party (role {chosen} speaks "
                         "for your own team)", field="party")
    ends = _expiry(expires)
    label = _args.optional_text(note, "note", most=MAX_NOTE)
    if label is not None:
        label = " ".join(label.split()) or None
    with vault.transaction(actor) as txn:
        bound = resolve_party(txn.conn, ref, field="party").id if ref is not None else None
        token, row = insert_token(txn, chosen, bound, ends, label)
        return TokenCreated(token=token, record=to_record(row, today()))


def list_tokens(vault: Vault, *, party: str | None = None,
                include_revoked: bool = False) -> TokenList:
    """The tokens (of one party; revoked ones only when asked), newest first; never a secret
    or its hash."""
    from hallmark.agreements.parties import resolve_party
    from hallmark.services._tokens import load_rows, to_record

    ref = _args.optional_text(party, "party", most=_args.MAX_REF)
    if not isinstance(include_revoked, bool):
        raise InputError(f"must be true or false (got {type(include_revoked).__name__})",
                         field="include_revoked")
    day = today()
    with vault.read() as conn:
        bound = resolve_party(conn, ref, field="party").id if ref is not None else None
        return TokenList(tokens=[to_record(r, day)
                                 for r in load_rows(conn, bound, include_revoked)])


def revoke(vault: Vault, token_id: str, *, reason: str | None = None,
           actor: str) -> TokenRecord:
    """Revoke a token from now on (a second revocation is refused); logs `token.revoked`."""
    from hallmark.services._tokens import get_row, revoke_row, to_record

    _args.text(actor, "actor")
    wanted = _token_id(token_id)
    why = _args.optional_text(reason, "reason", most=MAX_REASON)
    if why is not None:
        why = " ".join(why.split()) or None
    with vault.transaction(actor) as txn:
        row = revoke_row(txn, get_row(txn.conn, wanted), why)
        return to_record(row, today())


def authenticate(vault: Vault, token: str) -> Principal:
    """Who a presented token speaks for. An unknown, malformed, forged, revoked or expired
    token, or one whose party is gone, raises Unauthenticated (the API's 401); the secret is
    compared in constant time and never repeated."""
    from hallmark.agreements.parties import load_parties
    from hallmark.services._tokens import (
        NO_DIGEST,
        parse_token,
        secret_digest,
        status,
        token_row,
    )

    if not isinstance(token, str):
        raise InputError(f"must be text (got {type(token).__name__})", field="token")
    parsed = parse_token(token.strip()) if len(token) <= MAX_PRESENTED else None
    if parsed is None:
        raise Unauthenticated("not a Hallmark API token (hm_<id>_<secret>)", field="token")
    token_id, secret = parsed
    with vault.read() as conn:
        row = token_row(conn, token_id)
        index = load_parties(conn) if row is not None and row.party else {}
    expected = row.secret_sha256 if row is not None else NO_DIGEST
    if not hmac.compare_digest(secret_digest(secret), expected) or row is None:
        raise Unauthenticated("unknown token, or not its secret", field="token")
    day = today()
    state = status(row, day)
    if state == "revoked":
        raise Unauthenticated(f"token {row.id} was revoked on {row.revoked[:10]}",
                              field="token")
    if state == "expired":
        raise Unauthenticated(f"token {row.id} expired on {row.expires}", field="token")
    if row.role not in ROLES or (row.role == "partner") != bool(row.party):
        raise Unauthenticated(f"token {row.id} has no valid role", field="token")
    if row.party and row.party not in index:
        raise Unauthenticated(f"token {row.id} is bound to party {row.party}, which no "
                              "longer exists", field="token")
    return Principal(token=row.id, role=row.role, party=row.party,
                     party_name=index[row.party].name if row.party else None,
                     expires=row.expires)
