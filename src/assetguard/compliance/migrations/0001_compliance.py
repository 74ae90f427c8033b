"""compliance: results, remediation configurations and executions

Revision ID: compliance_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from assetguard.db.base import JSONType, UTCDateTime

revision = "compliance_0001"
down_revision = None
branch_labels = ("compliance",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "compliance_results",
        sa.Column("rule_id", sa.String(128), nullable=False),
        sa.Column("resource_arn", sa.String(1024), nullable=False),
        sa.Column("resource_type", sa.String(256), nullable=False),
        sa.Column("resource_id", sa.String(1024), nullable=False),
        sa.Column("account_id", sa.String(32), nullable=True),
        sa.Column("region", sa.String(64), nullable=True),
        sa.Column("compliance_type", sa.String(32), nullable=False),
        sa.Column("annotation", sa.Text, nullable=False),
        sa.Column("evaluated_at", UTCDateTime(), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.Column("finding_id", sa.String(512), nullable=True),
        sa.Column("product_arn", sa.String(512), nullable=True),
        sa.PrimaryKeyConstraint("rule_id", "resource_arn", name=op.f("pk_compliance_results")),
    )
    op.create_index(op.f("ix_compliance_results_resource_type"), "compliance_results", ["resource_type"])
    op.create_index(op.f("ix_compliance_results_compliance_type"), "compliance_results", ["compliance_type"])
    op.create_table(
        "remediation_configs",
        sa.Column("rule_id", sa.String(128), nullable=False),
        sa.Column("runbook", sa.String(128), nullable=False),
        sa.Column("approval", sa.String(16), nullable=False),
        sa.Column("parameters", JSONType, nullable=False),
        sa.Column("max_attempts", sa.Integer, nullable=False),
        sa.Column("cooldown_seconds", sa.Integer, nullable=False),
        sa.Column("use_ssm", sa.Boolean, nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("rule_id", name=op.f("pk_remediation_configs")),
    )
    op.create_table(
        "remediation_executions",
        sa.Column("execution_id", sa.String(36), nullable=False),
        sa.Column("rule_id", sa.String(128), nullable=False),
        sa.Column("runbook", sa.String(128), nullable=False),
        sa.Column("resource_arn", sa.String(1024), nullable=False),
        sa.Column("resource_type", sa.String(256), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("approval", sa.String(16), nullable=False),
        sa.Column("dry_run", sa.Boolean, nullable=False),
        sa.Column("parameters", JSONType, nullable=False),
        sa.Column("output", JSONType, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("approved_by", sa.String(200), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("execution_id", name=op.f("pk_remediation_executions")),
    )
    op.create_index(op.f("ix_remediation_executions_resource_arn"), "remediation_executions", ["resource_arn"])
    op.create_index(op.f("ix_remediation_executions_status"), "remediation_executions", ["status"])
    op.create_index(op.f("ix_remediation_executions_created_at"), "remediation_executions", ["created_at"])


def downgrade() -> None:
    op.drop_table("remediation_executions")
    op.drop_table("remediation_configs")
    op.drop_table("compliance_results")
