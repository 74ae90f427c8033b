"""Stored tag policies; the effective policy is every stored policy merged in name order.

>>> TagPolicyStore(platform).put("org", {"tags": {...}, "required": {...}}, actor=cli_principal())
>>> effective_policy(platform)        # TagPolicy used by the compliance rule ``required-tags``
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from assetguard.auth.principal import Principal
from assetguard.core.clock import utcnow
from assetguard.core.errors import NotFoundError
from assetguard.tagging.policy import TagPolicy, parse_policy
from assetguard.tagging.tables import tag_policies


class TagPolicyStore:
    def __init__(self, platform: Any) -> None:
        self.platform = platform

    def put(self, name: str, document: Any, *, actor: Principal) -> TagPolicy:
        policy = parse_policy(document, where=f"policy {name}")  # validate before storing anything
        with self.platform.db.begin() as conn:
            old = conn.execute(select(tag_policies.c.document).where(tag_policies.c.name == name)).scalar()
            conn.execute(delete(tag_policies).where(tag_policies.c.name == name))
            conn.execute(tag_policies.insert().values(name=name, document=document, updated_at=utcnow()))
            self.platform.audit.record(conn, actor, "tagging.policy_put", f"tag-policy/{name}", before=old,
                                       after=document)
        return policy

    def delete(self, name: str, *, actor: Principal) -> None:
        with self.platform.db.begin() as conn:
            old = conn.execute(select(tag_policies.c.document).where(tag_policies.c.name == name)).scalar()
            if old is None:
                raise NotFoundError(f"no tag policy named {name!r}")
            conn.execute(delete(tag_policies).where(tag_policies.c.name == name))
            self.platform.audit.record(conn, actor, "tagging.policy_delete", f"tag-policy/{name}", before=old)

    def list(self) -> list[dict[str, Any]]:
        with self.platform.db.connect() as conn:
            return [{"name": r.name, "document": r.document, "updated_at": r.updated_at.isoformat()}
                    for r in conn.execute(select(tag_policies).order_by(tag_policies.c.name))]


def effective_policy(platform: Any) -> TagPolicy:
    """All stored policies merged (later names assign over earlier ones)."""
    merged = TagPolicy()
    for row in TagPolicyStore(platform).list():
        merged = merged.merged(parse_policy(row["document"], where=f"policy {row['name']}"))
    return merged
