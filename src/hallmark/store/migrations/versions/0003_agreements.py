"""agreements tables: parties, due diligence, agreements and their versions, inventions, filings.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "parties",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("member_of", sa.String(128)),
        sa.Column("role", sa.String(16)),
        sa.Column("email", sa.Text),
        sa.Column("created", sa.String(32), nullable=False),
    )
    op.create_table(
        "diligence",
        sa.Column("party", sa.String(128), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("answers", sa.Text, nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("rating", sa.String(8), nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("recorded", sa.String(32), nullable=False),
    )
    op.create_table(
        "agreements",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("effective", sa.String(10), nullable=False),
        sa.Column("expires", sa.String(10)),
        sa.Column("terminated_on", sa.String(10)),
        sa.Column("terms", sa.Text, nullable=False),
        sa.Column("document_sha256", sa.String(64)),
        sa.Column("document_name", sa.Text),
        sa.Column("created", sa.String(32), nullable=False),
        sa.Column("updated", sa.String(32), nullable=False),
    )
    op.create_table(
        "agreement_versions",
        sa.Column("agreement", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("change", sa.String(16), nullable=False),
        sa.Column("terms", sa.Text, nullable=False),
        sa.Column("source_sha256", sa.String(64)),
        sa.Column("document_sha256", sa.String(64)),
        sa.Column("recorded", sa.String(32), nullable=False),
    )
    op.create_table(
        "inventions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("conceived", sa.String(10), nullable=False),
        sa.Column("inventors", sa.Text, nullable=False),
        sa.Column("assets", sa.Text, nullable=False),
        sa.Column("disclosed", sa.String(32), nullable=False),
    )
    op.create_table(
        "filings",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("invention", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("office", sa.String(8), nullable=False),
        sa.Column("filed", sa.String(10), nullable=False),
        sa.Column("number", sa.Text),
        sa.Column("created", sa.String(32), nullable=False),
    )
    op.create_index("ix_filings_invention", "filings", ["invention"])


def downgrade() -> None:
    op.drop_index("ix_filings_invention", "filings")
    for name in ("filings", "inventions", "agreement_versions", "agreements", "diligence",
                 "parties"):
        op.drop_table(name)
