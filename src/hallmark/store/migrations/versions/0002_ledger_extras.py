"""ledger_extras tables: RFC 3161 timestamps over checkpoints.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "timestamps",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("checkpoint_size", sa.BigInteger, nullable=False),
        sa.Column("checkpoint", sa.Text, nullable=False),
        sa.Column("tsa_url", sa.Text, nullable=False),
        sa.Column("token", sa.LargeBinary, nullable=False),
        sa.Column("chain", sa.Text, nullable=False),
        sa.Column("gen_time", sa.String(32), nullable=False),
        sa.Column("event_seq", sa.BigInteger, nullable=False),
        sa.Column("created", sa.String(32), nullable=False),
    )
    op.create_index("ix_timestamps_checkpoint_size", "timestamps", ["checkpoint_size"])


def downgrade() -> None:
    op.drop_index("ix_timestamps_checkpoint_size", table_name="timestamps")
    op.drop_table("timestamps")
