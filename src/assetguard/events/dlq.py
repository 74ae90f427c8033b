"""The dead-letter queue: deliveries that failed for good, and redriving them.

Redrive puts the delivery back to ``PENDING`` with fresh attempts and a fresh age (the event's
ingestion time is reset to now), and stamps the DLQ row ``redriven_at``; it is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from assetguard.auth.principal import Principal
from assetguard.core.clock import utcnow
from assetguard.core.redact import mask_text
from assetguard.events.dispatch import PENDING
from assetguard.events.tables import event_deliveries, event_dlq

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform


class DeadLetters:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def list(self, *, rule: str | None = None, include_redriven: bool = False,
             limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        stmt = select(event_dlq).order_by(event_dlq.c.id.desc()).limit(limit).offset(offset)
        if rule:
            stmt = stmt.where(event_dlq.c.rule == rule)
        if not include_redriven:
            stmt = stmt.where(event_dlq.c.redriven_at.is_(None))
        with self.platform.db.connect() as conn:
            return [{**r._mapping, "error_message": mask_text(r.error_message)} for r in conn.execute(stmt)]

    def redrive(self, *, ids: Sequence[int] | None = None, rule: str | None = None, actor: Principal) -> int:
        now = utcnow()
        stmt = select(event_dlq).where(event_dlq.c.redriven_at.is_(None))
        if ids:
            stmt = stmt.where(event_dlq.c.id.in_(list(ids)))
        if rule:
            stmt = stmt.where(event_dlq.c.rule == rule)
        with self.platform.db.begin() as conn:
            rows = conn.execute(stmt).all()
            if not rows:
                return 0
            conn.execute(update(event_dlq).where(event_dlq.c.id.in_([r.id for r in rows])).values(redriven_at=now))
            conn.execute(update(event_deliveries)
                         .where(event_deliveries.c.id.in_([r.delivery_id for r in rows]))
                         .values(status=PENDING, attempts=0, next_attempt_at=now, event_time=now,
                                 claimed_until=None, claimed_by=None))
            self.platform.audit.record(conn, actor, "events.dlq.redrive", "events/dlq",
                                       after={"ids": [r.id for r in rows]})
        return len(rows)
