"""Tables of the findings domain.

``findings`` keeps the whole ASFF document in ``data`` plus the columns the hub filters and
sorts on. ``(product_arn, finding_id)`` is the identity ``BatchImportFindings`` upserts by.
``consumer_fields`` lists the provider fields (Severity, Types, ...) a consumer has changed, which
later provider imports may no longer overwrite. ``processed_at`` is the last time the hub stored a
change; findings untouched for 90 days are purged (Security Hub's retention).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table, Text, UniqueConstraint

from assetguard.db.base import JSONType, UTCDateTime, metadata

findings = Table(
    "findings",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("product_arn", String(512), nullable=False),
    Column("finding_id", String(512), nullable=False),
    Column("generator_id", String(512), nullable=False),
    Column("aws_account_id", String(12), nullable=False),
    Column("title", String(256), nullable=False),
    Column("severity_label", String(16), nullable=False, index=True),
    Column("severity_rank", Integer, nullable=False),
    Column("workflow_status", String(16), nullable=False, index=True),
    Column("record_state", String(16), nullable=False, index=True),
    Column("compliance_status", String(16), nullable=True),
    Column("resource_type", String(256), nullable=False),
    Column("resource_id", String(1024), nullable=False, index=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False, index=True),
    Column("processed_at", UTCDateTime(), nullable=False, index=True),
    Column("consumer_fields", JSONType, nullable=False),
    Column("data", JSONType, nullable=False),
    UniqueConstraint("product_arn", "finding_id"),
)

automation_rules = Table(
    "finding_automation_rules",
    metadata,
    Column("rule_arn", String(256), primary_key=True),
    Column("rule_name", String(256), nullable=False, unique=True),
    Column("rule_order", Integer, nullable=False),
    Column("rule_status", String(16), nullable=False),
    Column("is_terminal", Boolean, nullable=False),
    Column("description", Text, nullable=False),
    Column("criteria", JSONType, nullable=False),
    Column("actions", JSONType, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

insights = Table(
    "finding_insights",
    metadata,
    Column("insight_arn", String(256), primary_key=True),
    Column("name", String(256), nullable=False, unique=True),
    Column("filters", JSONType, nullable=False),
    Column("group_by_attribute", String(256), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# Dashboard aggregates (open findings by severity, rule and asset; new findings per day) read
# these covering indexes instead of scanning the JSON-heavy rows (assetguard.findings.stats).
Index("ix_findings_open_severity", findings.c.record_state, findings.c.workflow_status, findings.c.severity_label)
Index("ix_findings_open_generator", findings.c.record_state, findings.c.workflow_status, findings.c.generator_id)
Index("ix_findings_open_resource", findings.c.record_state, findings.c.workflow_status, findings.c.resource_id)
Index("ix_findings_created_severity", findings.c.created_at, findings.c.severity_label)
Index("ix_findings_state_updated", findings.c.record_state, findings.c.updated_at, findings.c.severity_label)
