"""findings: index for the Findings page (state filter, newest first, per-day severity counts)

Revision ID: findings_state_upd_ix
Revises: findings_dash_ix
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "findings_state_upd_ix"
down_revision = "findings_dash_ix"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_findings_state_updated", "findings", ["record_state", "updated_at", "severity_label"])


def downgrade() -> None:
    op.drop_index("ix_findings_state_updated", table_name="findings")
