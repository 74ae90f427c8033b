"""auth: rotated versions of the shared signing keys

Expand-only: one new table. Version 1 of each key stays in ``signing_keys``; ``keys rotate``
adds version 2, 3, ... here, so a process of the previous release still reads its version 1.

Revision ID: auth_0003
Revises: auth_0002
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from assetguard.db.base import UTCDateTime

revision = "auth_0003"
down_revision = "auth_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signing_key_versions",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("ciphertext", sa.Text(), nullable=False),
        sa.Column("kek_id", sa.String(32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("previous_valid_until", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", "version", name=op.f("pk_signing_key_versions")),
    )


def downgrade() -> None:
    op.drop_table("signing_key_versions")
