"""findings: ASFF findings, automation rules, insights

Revision ID: findings_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from assetguard.db.base import JSONType, UTCDateTime

revision = "findings_0001"
down_revision = None
branch_labels = ("findings",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "findings",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False, autoincrement=True),
        sa.Column("product_arn", sa.String(512), nullable=False),
        sa.Column("finding_id", sa.String(512), nullable=False),
        sa.Column("generator_id", sa.String(512), nullable=False),
        sa.Column("aws_account_id", sa.String(12), nullable=False),
        sa.Column("title", sa.String(256), nullable=False),
        sa.Column("severity_label", sa.String(16), nullable=False),
        sa.Column("severity_rank", sa.Integer, nullable=False),
        sa.Column("workflow_status", sa.String(16), nullable=False),
        sa.Column("record_state", sa.String(16), nullable=False),
        sa.Column("compliance_status", sa.String(16), nullable=True),
        sa.Column("resource_type", sa.String(256), nullable=False),
        sa.Column("resource_id", sa.String(1024), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("processed_at", UTCDateTime(), nullable=False),
        sa.Column("consumer_fields", JSONType, nullable=False),
        sa.Column("data", JSONType, nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_findings")),
        sa.UniqueConstraint("product_arn", "finding_id", name=op.f("uq_findings_product_arn")),
    )
    op.create_index(op.f("ix_findings_severity_label"), "findings", ["severity_label"])
    op.create_index(op.f("ix_findings_workflow_status"), "findings", ["workflow_status"])
    op.create_index(op.f("ix_findings_record_state"), "findings", ["record_state"])
    op.create_index(op.f("ix_findings_resource_id"), "findings", ["resource_id"])
    op.create_index(op.f("ix_findings_updated_at"), "findings", ["updated_at"])
    op.create_index(op.f("ix_findings_processed_at"), "findings", ["processed_at"])
    op.create_table(
        "finding_automation_rules",
        sa.Column("rule_arn", sa.String(256), nullable=False),
        sa.Column("rule_name", sa.String(256), nullable=False),
        sa.Column("rule_order", sa.Integer, nullable=False),
        sa.Column("rule_status", sa.String(16), nullable=False),
        sa.Column("is_terminal", sa.Boolean, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("criteria", JSONType, nullable=False),
        sa.Column("actions", JSONType, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("rule_arn", name=op.f("pk_finding_automation_rules")),
        sa.UniqueConstraint("rule_name", name=op.f("uq_finding_automation_rules_rule_name")),
    )
    op.create_table(
        "finding_insights",
        sa.Column("insight_arn", sa.String(256), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("filters", JSONType, nullable=False),
        sa.Column("group_by_attribute", sa.String(256), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("insight_arn", name=op.f("pk_finding_insights")),
        sa.UniqueConstraint("name", name=op.f("uq_finding_insights_name")),
    )


def downgrade() -> None:
    op.drop_table("finding_insights")
    op.drop_table("finding_automation_rules")
    op.drop_table("findings")
