"""The bus interface every producer uses, and the default in-process outbox backend.

Producers call ``platform.bus.publish(source, detail_type, detail, resources=...)`` or
``platform.bus.put_events(entries)``; passing ``conn`` makes the event part of the caller's
transaction (the transactional outbox), so a state change and its event commit together.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, select

from assetguard.core.clock import utcnow
from assetguard.db.engine import Database
from assetguard.events.envelope import make_event
from assetguard.events.tables import event_outbox


class EventBus(Protocol):
    def publish(self, source: str, detail_type: str, detail: dict[str, Any], *, resources: Sequence[str] = (),
                account: str | None = None, region: str | None = None, time: datetime | None = None,
                conn: Connection | None = None) -> str: ...

    def recent(self, *, detail_type: str | None = None, limit: int = 100) -> list[dict[str, Any]]: ...


class OutboxBus:
    """Writes each event to ``event_outbox``; the worker drains it to rules and targets."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # Set after each enqueue so an in-process worker wakes at once instead of at its next poll.
        self.wakeup = threading.Event()

    def publish(self, source: str, detail_type: str, detail: dict[str, Any], *, resources: Sequence[str] = (),
                account: str | None = None, region: str | None = None, time: datetime | None = None,
                conn: Connection | None = None) -> str:
        event = make_event(source, detail_type, detail, resources=resources, account=account, region=region,
                           time=time)
        self.enqueue([event], conn=conn)
        return str(event["id"])

    def enqueue(self, events: Sequence[dict[str, Any]], *, conn: Connection | None = None) -> None:
        rows = [{"event_id": e["id"], "source": e["source"], "detail_type": e["detail-type"], "time": utcnow(),
                 "event": e} for e in events]
        if not rows:
            return
        if conn is not None:
            conn.execute(event_outbox.insert(), rows)
        else:
            with self.db.begin() as own:
                own.execute(event_outbox.insert(), rows)
        self.wakeup.set()

    def recent(self, *, detail_type: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Newest events first (for tests, the console and debugging)."""
        stmt = select(event_outbox.c.event).order_by(event_outbox.c.seq.desc()).limit(limit)
        if detail_type:
            stmt = stmt.where(event_outbox.c.detail_type == detail_type)
        with self.db.connect() as conn:
            return [r.event for r in conn.execute(stmt)]
