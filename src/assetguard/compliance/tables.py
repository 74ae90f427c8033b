"""Tables of the compliance domain.

* ``compliance_results``: the latest result of each (rule, resource), so a change can be detected
  and published, and the finding it produced (``finding_id``) can be resolved later;
* ``remediation_configs``: per rule, the bound runbook, approval (manual/auto), parameters and
  loop-guard limits (AWS Config's RemediationConfiguration);
* ``remediation_executions``: every runbook execution and approval request.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, String, Table, Text

from assetguard.db.base import JSONType, UTCDateTime, metadata

compliance_results = Table(
    "compliance_results",
    metadata,
    Column("rule_id", String(128), primary_key=True),
    Column("resource_arn", String(1024), primary_key=True, index=True),
    Column("resource_type", String(256), nullable=False, index=True),
    Column("resource_id", String(1024), nullable=False),
    Column("account_id", String(32), nullable=True),
    Column("region", String(64), nullable=True),
    Column("compliance_type", String(32), nullable=False, index=True),
    Column("annotation", Text, nullable=False),
    Column("evaluated_at", UTCDateTime(), nullable=False),
    Column("changed_at", UTCDateTime(), nullable=False),
    Column("finding_id", String(512), nullable=True),
    Column("product_arn", String(512), nullable=True),
)

remediation_configs = Table(
    "remediation_configs",
    metadata,
    Column("rule_id", String(128), primary_key=True),
    Column("runbook", String(128), nullable=False),
    Column("approval", String(16), nullable=False),
    Column("parameters", JSONType, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("cooldown_seconds", Integer, nullable=False),
    Column("use_ssm", Boolean, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

remediation_executions = Table(
    "remediation_executions",
    metadata,
    Column("execution_id", String(36), primary_key=True),
    Column("rule_id", String(128), nullable=False),
    Column("runbook", String(128), nullable=False),
    Column("resource_arn", String(1024), nullable=False, index=True),
    Column("resource_type", String(256), nullable=False),
    Column("status", String(32), nullable=False, index=True),
    Column("approval", String(16), nullable=False),
    Column("dry_run", Boolean, nullable=False),
    Column("parameters", JSONType, nullable=False),
    Column("output", JSONType, nullable=True),
    Column("error", Text, nullable=True),
    Column("requested_by", String(200), nullable=False),
    Column("approved_by", String(200), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False, index=True),
    Column("updated_at", UTCDateTime(), nullable=False),
)
