"""vulns: denormalised match spec per affected row (one read, one JSON decode per row)

Revision ID: vulns_0003
Revises: vulns_0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "vulns_0003"
down_revision = "vulns_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("vuln_affected") as batch:
        batch.add_column(sa.Column("spec", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("vuln_affected") as batch:
        batch.drop_column("spec")
