"""SQLAlchemy Core tables. Migrations in `migrations/versions` create them; keep both in step."""

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

assets = Table(
    "assets",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("path", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("mtime_ns", BigInteger, nullable=False),
    Column("inode", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("blake3", String(64), nullable=False),
    Column("meta", Text, nullable=False),  # JSON; "metadata" is reserved by SQLAlchemy
    Column("owner", Text),
    Column("status", String(16), nullable=False),
    Column("classification", String(16), nullable=False),
    Column("protection", String(16)),
    Column("value", Integer),
    Column("license", Text),
    Column("first_seen", String(32), nullable=False),
    Column("updated", String(32), nullable=False),
    # ECCN (4E091, EAR99), EU dual-use entry (5A002) or "not-controlled" (issue 15); who
    # decided and when is the `asset.updated` event that set it.
    Column("export_control", String(32)),
)

lineage = Table(
    "lineage",
    metadata,
    Column("child", String(16), primary_key=True),
    Column("parent", String(16), primary_key=True),
    Column("relation", String(32), primary_key=True),
    Column("created", String(32), nullable=False),
)

scan_problems = Table(
    "scan_problems",
    metadata,
    Column("path", Text, primary_key=True),
    Column("reason", Text, nullable=False),
    Column("seen", String(32), nullable=False),
)

# The append-only log. `seq` is the 0-based leaf index in the Merkle tree.
events = Table(
    "events",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("time", String(32), nullable=False),
    Column("type", String(64), nullable=False),
    Column("actor", Text, nullable=False),
    Column("entry", LargeBinary, nullable=False),  # canonical JSON (RFC 8785) bytes
    Column("leaf_hash", LargeBinary, nullable=False),
)

event_subjects = Table(
    "event_subjects",
    metadata,
    Column("subject", String(64), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Index("ix_event_subjects_seq", "seq"),  # verify reads the index by entry range
)

# Hashes of perfect subtrees: (level, idx) covers leaves [idx * 2**level, (idx + 1) * 2**level).
ledger_nodes = Table(
    "ledger_nodes",
    metadata,
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary, nullable=False),
)

# One row (id = 1): the tree size and root; every append locks it, which serialises writers.
ledger_head = Table(
    "ledger_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("size", BigInteger, nullable=False),
    Column("root", LargeBinary, nullable=False),
    # The right edge of the tree (its perfect subtrees' hashes, left to right), so that an append
    # reads one row instead of O(log n) nodes. Derived state: `ledger verify` checks it.
    Column("frontier", LargeBinary, nullable=False),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary, nullable=False),
    Column("note", Text, nullable=False),
    Column("created", String(32), nullable=False),
)

# RFC 3161 tokens over checkpoints (issue 3): `checkpoint` is the exact note the token covers.
timestamps = Table(
    "timestamps",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("checkpoint_size", BigInteger, nullable=False, index=True),
    Column("checkpoint", Text, nullable=False),
    Column("tsa_url", Text, nullable=False),
    Column("token", LargeBinary, nullable=False),  # DER TimeStampResp
    Column("chain", Text, nullable=False),  # PEM certificates that came with or for the token
    Column("gen_time", String(32), nullable=False),
    Column("event_seq", BigInteger, nullable=False),  # the `ledger.timestamped` entry binding it
    Column("created", String(32), nullable=False),
)

# -- agreements (issue 4)
# Percentages are integers or decimal strings inside the JSON columns; dates are ISO 8601 strings.
parties = Table(
    "parties",
    metadata,
    Column("id", String(128), primary_key=True),  # slug of the name; teams are "org/team"
    Column("name", Text, nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("member_of", String(128)),
    Column("role", String(16)),
    Column("email", Text),
    Column("created", String(32), nullable=False),
    Column("country", String(2)),  # ISO 3166-1 alpha-2 (issue 15)
)

diligence = Table(
    "diligence",
    metadata,
    Column("party", String(128), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("answers", Text, nullable=False),  # JSON: per item answer, evidence, risk, reason
    Column("score", Integer, nullable=False),  # 0..100
    Column("rating", String(8), nullable=False),
    Column("source_sha256", String(64), nullable=False),
    Column("recorded", String(32), nullable=False),
)

agreements = Table(
    "agreements",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("type", String(32), nullable=False),
    Column("title", Text, nullable=False),
    Column("status", String(16), nullable=False),  # active | terminated
    Column("version", Integer, nullable=False),
    Column("effective", String(10), nullable=False),
    Column("expires", String(10)),
    Column("terminated_on", String(10)),
    Column("terms", Text, nullable=False),  # JSON, references resolved to ids
    Column("document_sha256", String(64)),
    Column("document_name", Text),
    Column("created", String(32), nullable=False),
    Column("updated", String(32), nullable=False),
)

agreement_versions = Table(
    "agreement_versions",
    metadata,
    Column("agreement", String(64), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("change", String(16), nullable=False),  # added | amended | terminated
    Column("terms", Text, nullable=False),
    Column("source_sha256", String(64)),
    Column("document_sha256", String(64)),
    Column("recorded", String(32), nullable=False),
)

inventions = Table(
    "inventions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("title", Text, nullable=False),
    Column("conceived", String(10), nullable=False),
    Column("inventors", Text, nullable=False),  # JSON list of party ids
    Column("assets", Text, nullable=False),  # JSON list of asset ids
    Column("disclosed", String(32), nullable=False),
)

filings = Table(
    "filings",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("invention", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("office", String(8), nullable=False),
    Column("filed", String(10), nullable=False),
    Column("number", Text),
    Column("created", String(32), nullable=False),
)

# -- shares and traces (issue 5)
# A share's `params` is its public marking plan (JSON: scheme, Tardos parameters, columns and
# their content fingerprints, steps); never the key. Accusations are JSON lists in `traces`.
shares = Table(
    "shares",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("asset", String(16), nullable=False, index=True),
    Column("recipient", String(128), nullable=False),
    Column("team", String(128)),
    Column("agreement", String(64)),
    Column("purpose", Text),
    Column("format", String(16), nullable=False),
    Column("source_sha256", String(64), nullable=False),
    Column("copy_sha256", String(64), nullable=False),
    Column("scheme", String(64), nullable=False),
    Column("params", Text, nullable=False),
    Column("params_sha256", String(64), nullable=False),
    Column("rows", BigInteger, nullable=False),
    Column("marked_cells", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=False),  # the share's event in the log
    Column("created", String(32), nullable=False),
    # JSON: what `share --deidentify` removed or pseudonymised (columns, counts, k); never values
    Column("deidentified", Text),
)

traces = Table(
    "traces",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("asset", String(16), nullable=False, index=True),
    Column("suspect_sha256", String(64), nullable=False),
    Column("suspect_name", Text, nullable=False),
    Column("rows_matched", BigInteger, nullable=False),
    Column("needed_rows", BigInteger, nullable=False),
    Column("recipients", Integer, nullable=False),
    Column("accused", Text, nullable=False),  # JSON list of {recipient, share, score, p_value}
    Column("created", String(32), nullable=False),
)

# -- agreement reviews (issue 6)
# One row per agreement version that came with a document: the full review (clauses, evidence)
# is a canonical-JSON blob; `missing` (clause types) and `risks` ({id, severity, message}) are
# JSON lists copied out so the audit can read them without the blob.
agreement_reviews = Table(
    "agreement_reviews",
    metadata,
    Column("agreement", String(64), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("document_sha256", String(64), nullable=False),
    Column("review_sha256", String(64), nullable=False),
    Column("review_type", String(32), nullable=False),
    Column("missing", Text, nullable=False),
    Column("risks", Text, nullable=False),
    Column("created", String(32), nullable=False),
)

# -- enforcement (issue 17)
# An incident is bound to one asset and one party; `shares` and `agreements` are JSON lists of
# ids, `detail` JSON (accusations with p-values, the clauses the breach touches). Files logged
# with an incident (notices, the evidence bundles sent with them) are blobs named by digest.
incidents = Table(
    "incidents",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("title", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("source", String(64), nullable=False),  # the trace (or alert) it was opened from
    Column("source_kind", String(16), nullable=False),
    Column("asset", String(16), nullable=False),
    Column("party", String(128), nullable=False),
    Column("shares", Text, nullable=False),
    Column("agreements", Text, nullable=False),
    Column("detail", Text, nullable=False),
    Column("cure_due", String(10)),
    Column("opened", String(32), nullable=False),
    Column("updated", String(32), nullable=False),
)

incident_files = Table(
    "incident_files",
    metadata,
    Column("incident", String(32), primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),  # notice | evidence | certificate
    Column("name", Text, nullable=False),
    Column("seq", BigInteger, nullable=False),  # the event that logged its digest
    Column("created", String(32), nullable=False),
)

# Defensive publications: a dated disclosure of an invention, its digest, where it appeared.
publications = Table(
    "publications",
    metadata,
    Column("invention", String(32), primary_key=True),
    Column("published", String(10), nullable=False),
    Column("url", Text),
    Column("disclosure_sha256", String(64), nullable=False),
    Column("format", String(8), nullable=False),
    Column("timestamped", String(32)),  # the RFC 3161 token's time, when a TSA stamped it
    Column("seq", BigInteger, nullable=False),
    Column("created", String(32), nullable=False),
)

# Trademarks: model names and stewardship marks (Nice class 9 or 42 and others), per office.
trademarks = Table(
    "trademarks",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", Text, nullable=False),
    Column("nice_class", Integer, nullable=False),
    Column("office", String(8), nullable=False),
    Column("filed", String(10)),
    Column("registered", String(10)),
    Column("number", Text),
    Column("assets", Text, nullable=False),  # JSON list of asset ids
    Column("created", String(32), nullable=False),
)


# The tables of issue 15 live in their own module (this one would outgrow a page); importing
# them here registers them with `metadata` and keeps one import path for every table.
from hallmark.store.partnership_tables import (  # noqa: E402
    acknowledgements,
    closeouts,
    periodic_reviews,
    review_plans,
    screening_entries,
    share_dispositions,
)
from hallmark.store.token_tables import api_tokens  # noqa: E402  (issue 12)

__all__ = ["acknowledgements", "agreement_reviews", "agreement_versions", "agreements",
           "api_tokens", "assets", "checkpoints", "closeouts", "diligence", "event_subjects",
           "events", "filings",
           "incident_files", "incidents", "inventions", "ledger_head", "ledger_nodes", "lineage",
           "metadata", "parties", "periodic_reviews", "publications", "review_plans",
           "scan_problems", "screening_entries", "share_dispositions", "shares", "timestamps",
           "traces", "trademarks"]
