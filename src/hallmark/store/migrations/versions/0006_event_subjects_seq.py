"""event_subjects(seq): `ledger verify` reads the subject index by entry range, batch by batch;
without this index each batch scanned the whole table.

Revision ID: 0006
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_event_subjects_seq", "event_subjects", ["seq"])


def downgrade() -> None:
    op.drop_index("ix_event_subjects_seq", table_name="event_subjects")
