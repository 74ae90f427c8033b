"""vulns: digest of an asset's package keys (skip rewriting unchanged scan state)

Revision ID: vulns_0004
Revises: vulns_0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "vulns_0004"
down_revision = "vulns_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("vuln_asset_state") as batch:
        batch.add_column(sa.Column("keys_digest", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("vuln_asset_state") as batch:
        batch.drop_column("keys_digest")
