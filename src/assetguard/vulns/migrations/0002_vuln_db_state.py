"""vulns: database generation counter (cheap cache invalidation for compiled indexes)

Revision ID: vulns_0002
Revises: vulns_0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from assetguard.db.base import UTCDateTime

revision = "vulns_0002"
down_revision = "vulns_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    state = op.create_table(
        "vuln_db_state",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vuln_db_state")),
    )
    op.bulk_insert(state, [{"id": 1, "generation": 0, "changed_at": None}])


def downgrade() -> None:
    op.drop_table("vuln_db_state")
