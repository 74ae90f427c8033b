"""Dispatch: match events against the rules and write one delivery record per (event, rule, target).

The delivery id is derived from ``(event id, rule, target id)``, and records are inserted with
"on conflict do nothing", so dispatching the same event twice (a crash before the outbox row was
marked, a NATS redelivery) never creates a second delivery::

    Dispatcher(platform).run_once()          # drain up to a batch of the outbox
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from assetguard.core.clock import utcnow
from assetguard.events import metrics
from assetguard.events.ruleset import RuleSet
from assetguard.events.tables import event_deliveries, event_outbox

if TYPE_CHECKING:
    from assetguard.events.delivery import Deliverer
    from assetguard.runtime.platform import Platform

PENDING = "PENDING"
IN_FLIGHT = "IN_FLIGHT"
DELIVERED = "DELIVERED"
FAILED = "FAILED"


def delivery_id(event_id: str, rule: str, target_id: str) -> str:
    return hashlib.sha256(f"{event_id}\x00{rule}\x00{target_id}".encode()).hexdigest()[:40]


def insert_ignore(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        conn.execute(postgresql.insert(event_deliveries).on_conflict_do_nothing(index_elements=["id"]), rows)
    else:
        conn.execute(sqlite.insert(event_deliveries).on_conflict_do_nothing(index_elements=["id"]), rows)


class RuleSetCache:
    """Recompiles the rule set only when the rules table changed (checked at most every ``check_seconds``)."""

    def __init__(self, platform: Platform, check_seconds: float = 1.0) -> None:
        from assetguard.events.rule_store import RuleStore

        self.platform = platform
        self.store = RuleStore(platform)
        self.check_seconds = check_seconds
        self._version: Any = None
        self._checked = 0.0
        self._ruleset: RuleSet | None = None

    def get(self) -> RuleSet:
        now = time.monotonic()
        if self._ruleset is not None and now - self._checked < self.check_seconds:
            return self._ruleset
        version = self.store.version()
        self._checked = now
        if self._ruleset is None or version != self._version:
            self._ruleset = RuleSet.load(self.platform)
            self._version = version
        return self._ruleset

    def invalidate(self) -> None:
        self._checked = 0.0


def max_event_age_seconds(target: Mapping[str, Any]) -> float:
    """A stored target's ``retry_policy.maximum_event_age_seconds`` (EventBridge's default: 24 h)."""
    policy = target.get("retry_policy") or {}
    return float(policy.get("maximum_event_age_seconds", 86400))


def replay_delivery_rows(ruleset: RuleSet, event: Mapping[str, Any], now: datetime) -> list[dict[str, Any]]:
    """Deliveries of a replayed event (it carries ``replay-name``): keyed apart from the live ones,
    and aged from the replay, not from the original ingestion."""
    return delivery_rows(ruleset, event, now, now)


def delivery_rows(ruleset: RuleSet, event: Mapping[str, Any], ingested: datetime,
                  now: datetime) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    # A replayed event keeps its id; its deliveries are keyed by the replay too.
    key = str(event["id"]) if "replay-name" not in event else f"{event['id']}\x00replay\x00{event['replay-name']}"
    for route in ruleset.routes(event):
        metrics.EVENTS_MATCHED.labels(route.rule).inc()
        target = route.target
        due = now + timedelta(seconds=target.digest.window_seconds) if target.digest else now
        rows.append({
            "id": delivery_id(key, route.rule, target.id),
            "event_id": str(event["id"]), "rule": route.rule, "target_id": target.id,
            "target_type": target.type, "status": PENDING, "attempts": 0, "next_attempt_at": due,
            "event_time": ingested, "created_at": now, "payload": route.payload,
            "claimed_by": None, "claimed_until": None,
            "target": {**target.model_dump(mode="json", exclude_none=True), "rule_description": route.description},
            "event": dict(event),
        })
    return rows


def _tracer(platform: Platform) -> Any:
    """The worker's tracer (spans around rule matching and target delivery), or a no-op one."""
    if not platform.settings.telemetry.enabled:
        from opentelemetry.trace import NoOpTracer

        return NoOpTracer()
    from assetguard.telemetry.setup import telemetry_for

    return telemetry_for(platform).tracer("assetguard-worker")


class Dispatcher:
    """Drains ``event_outbox`` rows not yet dispatched (in-process backend)."""

    def __init__(self, platform: Platform, rules: RuleSetCache | None = None, batch: int = 500) -> None:
        from assetguard.events.archive import ArchiveFilter

        self.platform = platform
        self.rules = rules or RuleSetCache(platform)
        self.archives = ArchiveFilter(platform)
        self.batch = batch
        self.left_due = 0   # deliveries of the last run due now but not started here (a claim takes them)
        self.recorded = 0   # finished deliveries the last run recorded in its transaction

    def run_once(self, deliverer: Deliverer | None = None) -> int:
        """Dispatch a batch of the outbox. With ``deliverer``, deliveries due now are claimed for it
        in the same transaction and started at once (saving a claim round trip: lower latency), and
        its finished deliveries are recorded in that transaction too."""
        self.left_due = self.recorded = 0
        ruleset = self.rules.get()
        self.archives.archives()  # reloaded outside the dispatch transaction
        stmt = (select(event_outbox.c.seq, event_outbox.c.event, event_outbox.c.time)
                .where(event_outbox.c.dispatched_at.is_(None)).order_by(event_outbox.c.seq).limit(self.batch))
        with self.platform.db.begin() as conn:
            if conn.dialect.name == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)
            rows = conn.execute(stmt).all()
            if not rows:
                return 0
            now = utcnow()
            deliveries: list[dict[str, Any]] = []
            with _tracer(self.platform).start_as_current_span(
                    "events.match", attributes={"events": len(rows), "rules": len(ruleset.rules)}) as span:
                for row in rows:
                    deliveries.extend(delivery_rows(ruleset, row.event, row.time, now))
                span.set_attribute("deliveries", len(deliveries))
            started: list[dict[str, Any]] = []
            if deliverer is not None:
                # Outbox rows are dispatched exactly once (row lock / SQLite write lock), so these
                # delivery records are new: claiming them here cannot double-send.
                room = deliverer.room()
                for d in deliveries:
                    if d["next_attempt_at"] > now:
                        continue
                    # An event already past its maximum age is left to the claim, which dead-letters it.
                    if len(started) >= room or \
                            (now - d["event_time"]).total_seconds() > max_event_age_seconds(d["target"]):
                        self.left_due += 1
                        continue
                    d.update(status=IN_FLIGHT, attempts=1, claimed_by=deliverer.worker_id,
                             claimed_until=now + timedelta(seconds=deliverer.lease_seconds))
                    started.append(d)
                self.recorded = deliverer.record_ready(conn)
            insert_ignore(conn, deliveries)
            self.archives.record(conn, [r.event for r in rows], now)
            conn.execute(update(event_outbox).where(event_outbox.c.seq.in_([r.seq for r in rows]))
                         .values(dispatched_at=now))
        metrics.EVENTS_DISPATCHED.inc(len(rows))
        if deliverer is not None and started:
            deliverer.start([SimpleNamespace(**{**d, "attempts": 0}) for d in started])
        return len(rows)

    def dispatch_events(self, events: Sequence[tuple[Mapping[str, Any], datetime]]) -> int:
        """Dispatch events that did not come from the outbox (NATS consumer); idempotent."""
        ruleset = self.rules.get()
        self.archives.archives()
        now = utcnow()
        deliveries: list[dict[str, Any]] = []
        for event, ingested in events:
            deliveries.extend(delivery_rows(ruleset, event, ingested, now))
        with self.platform.db.begin() as conn:
            insert_ignore(conn, deliveries)
            self.archives.record(conn, [event for event, _ingested in events], now)
        metrics.EVENTS_DISPATCHED.inc(len(events))
        return len(deliveries)
