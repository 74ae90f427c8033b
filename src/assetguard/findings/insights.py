"""Saved insights (Security Hub ``CreateInsight``): a name, ASFF filters and a group-by field.

    insights = SavedInsights(platform)
    insights.create("open-by-type", {"WorkflowStatus": [{"Value": "NEW"}]}, "ResourceType", actor=principal)
    insights.results("open-by-type")   # [{"GroupByAttributeValue": "AwsS3Bucket", "Count": 3}, ...]
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from assetguard.auth.principal import Principal
from assetguard.core.clock import new_id, utcnow
from assetguard.core.errors import ConflictError, NotFoundError, ValidationError
from assetguard.findings.filters import compile_filters
from assetguard.findings.tables import insights

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform


class SavedInsights:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def create(self, name: str, filters: dict[str, Any], group_by: str, *, actor: Principal) -> dict[str, Any]:
        if not name.strip() or not group_by.strip():
            raise ValidationError("an insight needs a name and a group-by field")
        compile_filters(filters)  # validate before storing
        arn = f"arn:aws:securityhub:local:000000000000:insight/{new_id()}"
        doc = {"InsightArn": arn, "Name": name, "Filters": filters, "GroupByAttribute": group_by}
        with self.platform.db.begin() as conn:
            if conn.execute(select(insights.c.name).where(insights.c.name == name)).first():
                raise ConflictError(f"an insight named {name!r} exists")
            conn.execute(insights.insert().values(insight_arn=arn, name=name, filters=filters,
                                                  group_by_attribute=group_by, created_at=utcnow()))
            self.platform.audit.record(conn, actor, "findings.insight.create", arn, after=doc)
        return doc

    def list(self) -> builtins.list[dict[str, Any]]:
        with self.platform.db.connect() as conn:
            return [{"InsightArn": r.insight_arn, "Name": r.name, "Filters": r.filters,
                     "GroupByAttribute": r.group_by_attribute}
                    for r in conn.execute(select(insights).order_by(insights.c.name))]

    def results(self, name: str) -> builtins.list[dict[str, Any]]:
        from assetguard.findings.hub import FindingsHub

        found = [i for i in self.list() if i["Name"] == name]
        if not found:
            raise NotFoundError(f"no insight named {name!r}")
        return FindingsHub(self.platform).insight(found[0]["GroupByAttribute"], found[0]["Filters"])

    def delete(self, name: str, *, actor: Principal) -> None:
        with self.platform.db.begin() as conn:
            row = conn.execute(select(insights).where(insights.c.name == name)).first()
            if row is None:
                raise NotFoundError(f"no insight named {name!r}")
            conn.execute(delete(insights).where(insights.c.name == name))
            self.platform.audit.record(conn, actor, "findings.insight.delete", row.insight_arn,
                                       before={"Name": name, "GroupByAttribute": row.group_by_attribute})
