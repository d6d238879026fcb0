"""agreement_reviews: the clause review of each agreement version that came with a document.

Revision ID: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agreement_reviews",
        sa.Column("agreement", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("document_sha256", sa.String(64), nullable=False),
        sa.Column("review_sha256", sa.String(64), nullable=False),
        sa.Column("review_type", sa.String(32), nullable=False),
        sa.Column("missing", sa.Text, nullable=False),
        sa.Column("risks", sa.Text, nullable=False),
        sa.Column("created", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("agreement_reviews")
