"""runtime: the scheduler's leader lease and job runs per time slot

Revision ID: runtime_0001
Revises:
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from assetguard.db.base import UTCDateTime

revision = "runtime_0001"
down_revision = None
branch_labels = ("runtime",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduler_lease",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("token", sa.BigInteger, nullable=False),
        sa.Column("acquired_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_lease")),
    )
    op.create_table(
        "scheduler_runs",
        sa.Column("job", sa.String(128), nullable=False),
        sa.Column("slot", sa.BigInteger, nullable=False),
        sa.Column("token", sa.BigInteger, nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("error", sa.String(1024), nullable=True),
        sa.PrimaryKeyConstraint("job", "slot", name=op.f("pk_scheduler_runs")),
    )
    op.create_index("ix_scheduler_runs_started_at", "scheduler_runs", ["started_at"])


def downgrade() -> None:
    op.drop_index("ix_scheduler_runs_started_at", table_name="scheduler_runs")
    op.drop_table("scheduler_runs")
    op.drop_table("scheduler_lease")
