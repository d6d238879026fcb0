"""Enforcement (issue 17): incidents and the files logged with them (notices, evidence
bundles), defensive publications of inventions, and trademarks (model names, stewardship marks).

Revision ID: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("source_kind", sa.String(16), nullable=False),
        sa.Column("asset", sa.String(16), nullable=False),
        sa.Column("party", sa.String(128), nullable=False),
        sa.Column("shares", sa.Text, nullable=False),
        sa.Column("agreements", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("cure_due", sa.String(10)),
        sa.Column("opened", sa.String(32), nullable=False),
        sa.Column("updated", sa.String(32), nullable=False),
    )
    op.create_table(
        "incident_files",
        sa.Column("incident", sa.String(32), primary_key=True),
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("created", sa.String(32), nullable=False),
    )
    op.create_table(
        "publications",
        sa.Column("invention", sa.String(32), primary_key=True),
        sa.Column("published", sa.String(10), nullable=False),
        sa.Column("url", sa.Text),
        sa.Column("disclosure_sha256", sa.String(64), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("timestamped", sa.String(32)),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("created", sa.String(32), nullable=False),
    )
    op.create_table(
        "trademarks",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("nice_class", sa.Integer, nullable=False),
        sa.Column("office", sa.String(8), nullable=False),
        sa.Column("filed", sa.String(10)),
        sa.Column("registered", sa.String(10)),
        sa.Column("number", sa.Text),
        sa.Column("assets", sa.Text, nullable=False),
        sa.Column("created", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    for name in ("trademarks", "publications", "incident_files", "incidents"):
        op.drop_table(name)
