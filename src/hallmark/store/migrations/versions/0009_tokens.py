"""API tokens (issue 12): `api_tokens`, each stored as the SHA-256 of its secret, with its role,
the party a partner token is bound to, its expiry and its revocation.

Revision ID: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(12), primary_key=True),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("party", sa.String(128), index=True),
        sa.Column("note", sa.Text),
        sa.Column("created", sa.String(32), nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("expires", sa.String(10)),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("revoked", sa.String(32)),
        sa.Column("revoked_by", sa.Text),
        sa.Column("revoked_reason", sa.Text),
        sa.Column("revoked_seq", sa.BigInteger),
    )


def downgrade() -> None:
    op.drop_table("api_tokens")
