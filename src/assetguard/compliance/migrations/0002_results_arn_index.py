"""compliance: index results by resource ARN (the evaluator looks results up by resource)

Revision ID: compliance_0002
Revises: compliance_0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "compliance_0002"
down_revision = "compliance_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_compliance_results_resource_arn"), "compliance_results", ["resource_arn"])


def downgrade() -> None:
    op.drop_index(op.f("ix_compliance_results_resource_arn"), table_name="compliance_results")
