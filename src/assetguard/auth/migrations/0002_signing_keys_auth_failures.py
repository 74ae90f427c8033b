"""auth: signing keys (encrypted at rest) and shared failed-authentication counters

Expand-only: two new tables, nothing existing changes.

Revision ID: auth_0002
Revises: auth_0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from assetguard.db.base import UTCDateTime

revision = "auth_0002"
down_revision = "auth_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signing_keys",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("ciphertext", sa.Text(), nullable=False),
        sa.Column("kek_id", sa.String(32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_signing_keys")),
    )
    op.create_table(
        "auth_failures",
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", "window_start", name=op.f("pk_auth_failures")),
    )
    op.create_index(op.f("ix_auth_failures_window_start"), "auth_failures", ["window_start"])


def downgrade() -> None:
    op.drop_index(op.f("ix_auth_failures_window_start"), table_name="auth_failures")
    op.drop_table("auth_failures")
    op.drop_table("signing_keys")
