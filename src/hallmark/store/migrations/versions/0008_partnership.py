"""The whole partnership (issue 15): party countries and asset export classifications, an
imported restricted-party screening list, periodic agreement reviews with their RACI, recorded
acknowledgements of terms, close-outs and what became of each share (returned or destroyed),
and what a de-identified share removed.

Revision ID: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("parties", sa.Column("country", sa.String(2)))
    op.add_column("assets", sa.Column("export_control", sa.String(32)))
    op.add_column("shares", sa.Column("deidentified", sa.Text))
    op.create_table(
        "screening_entries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("list_sha256", sa.String(64), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("alt_names", sa.Text, nullable=False),
        sa.Column("country", sa.String(2)),
        sa.Column("programs", sa.Text),
        sa.Column("imported", sa.String(32), nullable=False),
    )
    op.create_table(
        "review_plans",
        sa.Column("agreement", sa.String(64), primary_key=True),
        sa.Column("responsible", sa.String(128), nullable=False),
        sa.Column("accountable", sa.String(128), nullable=False),
        sa.Column("consulted", sa.Text, nullable=False),
        sa.Column("informed", sa.Text, nullable=False),
        sa.Column("every", sa.String(8), nullable=False),
        sa.Column("first_due", sa.String(10), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("created", sa.String(32), nullable=False),
    )
    op.create_table(
        "periodic_reviews",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("agreement", sa.String(64), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("reviewed", sa.String(10), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("notes", sa.Text),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("created", sa.String(32), nullable=False),
    )
    op.create_table(
        "acknowledgements",
        sa.Column("agreement", sa.String(64), primary_key=True),
        sa.Column("person", sa.String(128), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("acknowledged", sa.String(32), nullable=False),
    )
    op.create_table(
        "closeouts",
        sa.Column("agreement", sa.String(64), primary_key=True),
        sa.Column("closed", sa.String(10), nullable=False),
        sa.Column("forced", sa.Boolean, nullable=False),
        sa.Column("report_sha256", sa.String(64), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("created", sa.String(32), nullable=False),
    )
    op.create_table(
        "share_dispositions",
        sa.Column("share", sa.String(32), primary_key=True),
        sa.Column("disposition", sa.String(16), nullable=False),
        sa.Column("certificate_sha256", sa.String(64)),
        sa.Column("certificate_name", sa.Text),
        sa.Column("recorded", sa.String(10), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("created", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    for name in ("share_dispositions", "closeouts", "acknowledgements", "periodic_reviews",
                 "review_plans", "screening_entries"):
        op.drop_table(name)
    op.drop_column("shares", "deidentified")
    op.drop_column("assets", "export_control")
    op.drop_column("parties", "country")
