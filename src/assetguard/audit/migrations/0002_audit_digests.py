"""audit: signed digests of the chain (expand only: a new table)

Revision ID: audit_0002
Revises: audit_0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from assetguard.db.base import UTCDateTime

revision = "audit_0002"
down_revision = "audit_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    big = sa.BigInteger().with_variant(sa.Integer, "sqlite")
    op.create_table(
        "audit_digests",
        sa.Column("seq", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("first_seq", big, nullable=False),
        sa.Column("last_seq", big, nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("signature", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_digests")),
    )


def downgrade() -> None:
    op.drop_table("audit_digests")
