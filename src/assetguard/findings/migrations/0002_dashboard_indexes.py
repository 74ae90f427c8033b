"""findings: covering indexes for dashboard aggregates

Revision ID: findings_dash_ix
Revises: findings_0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "findings_dash_ix"
down_revision = "findings_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_findings_open_severity", "findings", ["record_state", "workflow_status", "severity_label"])
    op.create_index("ix_findings_open_generator", "findings", ["record_state", "workflow_status", "generator_id"])
    op.create_index("ix_findings_open_resource", "findings", ["record_state", "workflow_status", "resource_id"])
    op.create_index("ix_findings_created_severity", "findings", ["created_at", "severity_label"])


def downgrade() -> None:
    for name in ("ix_findings_created_severity", "ix_findings_open_resource", "ix_findings_open_generator",
                 "ix_findings_open_severity"):
        op.drop_index(name, table_name="findings")
