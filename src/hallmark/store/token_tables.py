"""The API tokens (issue 12): who may call the API, in which role, until when.
`hallmark.store.tables` re-exports the table."""

from sqlalchemy import BigInteger, Column, String, Table, Text

from hallmark.store.tables import metadata

# One API token. The token itself (`hm_<id>_<secret>`) is shown once and never stored: only the
# SHA-256 of its secret part. The secret is 256 bits from `secrets`, so a fast hash is right
# (nothing to guess, nothing to stretch, unlike a password); a leaked table reveals no token.
# `party` is set for a partner token only (the party it is bound to); `expires` is the first
# day the token no longer works (the local calendar, as deadlines count).
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(12), primary_key=True),
    Column("secret_sha256", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("party", String(128), index=True),
    Column("note", Text),
    Column("created", String(32), nullable=False),
    Column("created_by", Text, nullable=False),
    Column("expires", String(10)),
    Column("seq", BigInteger, nullable=False),
    Column("revoked", String(32)),
    Column("revoked_by", Text),
    Column("revoked_reason", Text),
    Column("revoked_seq", BigInteger),
)
