"""The tables of the whole partnership (issue 15): screening, periodic reviews with their RACI,
acknowledgements, close-outs and share dispositions. `hallmark.store.tables` re-exports them."""

from sqlalchemy import BigInteger, Boolean, Column, Integer, String, Table, Text

from hallmark.store.tables import metadata

# A restricted-party list the user imported (e.g. the consolidated screening list's CSV); each
# import replaces the previous one. `alt_names` is a JSON list.
screening_entries = Table(
    "screening_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("list_sha256", String(64), nullable=False),
    Column("source", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("alt_names", Text, nullable=False),
    Column("country", String(2)),
    Column("programs", Text),
    Column("imported", String(32), nullable=False),
)

# The periodic review planned for an agreement, with its RACI (party ids; JSON lists).
review_plans = Table(
    "review_plans",
    metadata,
    Column("agreement", String(64), primary_key=True),
    Column("responsible", String(128), nullable=False),
    Column("accountable", String(128), nullable=False),
    Column("consulted", Text, nullable=False),
    Column("informed", Text, nullable=False),
    Column("every", String(8), nullable=False),  # a duration: 90d, 6m, 1y
    Column("first_due", String(10), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("created", String(32), nullable=False),
)

# One periodic review held: the outcome (keep | amend | terminate) on a day.
periodic_reviews = Table(
    "periodic_reviews",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agreement", String(64), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("reviewed", String(10), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("notes", Text),
    Column("seq", BigInteger, nullable=False),
    Column("created", String(32), nullable=False),
)

# A person acknowledged (read, or was trained on) one version of an agreement's terms.
acknowledgements = Table(
    "acknowledgements",
    metadata,
    Column("agreement", String(64), primary_key=True),
    Column("person", String(128), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(16), nullable=False),  # read | trained
    Column("seq", BigInteger, nullable=False),
    Column("acknowledged", String(32), nullable=False),
)

# An agreement closed out: the post-partnership report's digest (a blob) and its summary JSON.
closeouts = Table(
    "closeouts",
    metadata,
    Column("agreement", String(64), primary_key=True),
    Column("closed", String(10), nullable=False),
    Column("forced", Boolean, nullable=False),
    Column("report_sha256", String(64), nullable=False),
    Column("summary", Text, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("created", String(32), nullable=False),
)

# What became of a shared copy: returned or destroyed (a certificate of destruction by digest).
share_dispositions = Table(
    "share_dispositions",
    metadata,
    Column("share", String(32), primary_key=True),
    Column("disposition", String(16), nullable=False),
    Column("certificate_sha256", String(64)),
    Column("certificate_name", Text),
    Column("recorded", String(10), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("created", String(32), nullable=False),
)
