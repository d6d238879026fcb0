"""shares and traces: per-recipient marked copies and the examinations of suspects.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shares",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("asset", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(128), nullable=False),
        sa.Column("team", sa.String(128)),
        sa.Column("agreement", sa.String(64)),
        sa.Column("purpose", sa.Text),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("copy_sha256", sa.String(64), nullable=False),
        sa.Column("scheme", sa.String(64), nullable=False),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("params_sha256", sa.String(64), nullable=False),
        sa.Column("rows", sa.BigInteger, nullable=False),
        sa.Column("marked_cells", sa.BigInteger, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("created", sa.String(32), nullable=False),
    )
    op.create_index("ix_shares_asset", "shares", ["asset"])
    op.create_table(
        "traces",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("asset", sa.String(16), nullable=False),
        sa.Column("suspect_sha256", sa.String(64), nullable=False),
        sa.Column("suspect_name", sa.Text, nullable=False),
        sa.Column("rows_matched", sa.BigInteger, nullable=False),
        sa.Column("needed_rows", sa.BigInteger, nullable=False),
        sa.Column("recipients", sa.Integer, nullable=False),
        sa.Column("accused", sa.Text, nullable=False),
        sa.Column("created", sa.String(32), nullable=False),
    )
    op.create_index("ix_traces_asset", "traces", ["asset"])


def downgrade() -> None:
    op.drop_index("ix_traces_asset", "traces")
    op.drop_table("traces")
    op.drop_index("ix_shares_asset", "shares")
    op.drop_table("shares")
