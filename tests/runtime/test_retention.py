"""Retention: old dispatched outbox rows, finished deliveries and scheduler runs are pruned in
batches; undispatched rows, unfinished deliveries and dead letters waiting for a redrive stay."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select

from assetguard.core.clock import utcnow
from assetguard.events.dispatch import DELIVERED, FAILED, PENDING
from assetguard.events.tables import event_deliveries, event_dlq, event_outbox
from assetguard.runtime.platform import Platform
from assetguard.runtime.retention import prune
from assetguard.runtime.scheduler import jobs
from assetguard.runtime.tables import scheduler_runs
from assetguard.telemetry.store import TelemetryStore
from assetguard.telemetry.tables import spans


def outbox_row(n: int, dispatched: Any) -> dict[str, Any]:
    return {"event_id": f"e-{n}", "source": "t", "detail_type": "T", "time": utcnow(), "event": {"n": n},
            "dispatched_at": dispatched}


def delivery_row(n: int, status: str, created: Any, delivered: Any = None) -> dict[str, Any]:
    return {"id": f"d-{n}", "event_id": f"e-{n}", "rule": "r", "target_id": "t", "target_type": "webhook",
            "status": status, "attempts": 1, "next_attempt_at": created, "event_time": created, "created_at": created,
            "delivered_at": delivered, "target": {}, "event": {}}


def count(platform: Platform, table: Any, *where: Any) -> int:
    with platform.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar() or 0)


def test_prune_removes_only_what_retention_allows(platform: Platform) -> None:
    platform.settings.retention.batch_rows = 100  # several batches for the 250 old rows below
    now = utcnow()
    old, recent = now - timedelta(days=30), now - timedelta(hours=1)
    with platform.db.begin() as conn:
        conn.execute(insert(event_outbox), [outbox_row(i, old) for i in range(250)]
                     + [outbox_row(1000 + i, recent) for i in range(3)]
                     + [outbox_row(2000 + i, None) for i in range(2)])  # not dispatched yet: kept however old
        conn.execute(insert(event_deliveries), [delivery_row(i, DELIVERED, old, old) for i in range(250)]
                     + [delivery_row(1000, DELIVERED, recent, recent),
                        delivery_row(1001, PENDING, old),             # still retrying: kept
                        delivery_row(1002, FAILED, old),              # dead letter waiting: kept
                        delivery_row(1003, FAILED, old),              # dead letter redriven long ago: pruned
                        delivery_row(1004, FAILED, old)])             # dead letter purged: pruned
        letter = {"event_id": "e", "rule": "r", "target_id": "t", "target_type": "webhook", "error_code": "x",
                  "error_message": "x", "attempts": 3, "failed_at": old}
        conn.execute(insert(event_dlq), [{**letter, "delivery_id": "d-1002", "redriven_at": None},
                                         {**letter, "delivery_id": "d-1003", "redriven_at": old}])
        conn.execute(insert(scheduler_runs), [{"job": "j", "slot": i, "token": 1, "holder": "h", "status": "ok",
                                               "started_at": old if i < 5 else recent} for i in range(7)])

    removed = prune(platform)

    assert removed == {"event_outbox": 250, "event_deliveries": 252, "scheduler_runs": 5}
    assert count(platform, event_outbox) == 5
    assert count(platform, event_outbox, event_outbox.c.dispatched_at.is_(None)) == 2
    with platform.db.connect() as conn:
        left = sorted(conn.execute(select(event_deliveries.c.id)).scalars())
    assert left == ["d-1000", "d-1001", "d-1002"]
    assert count(platform, scheduler_runs) == 2
    assert prune(platform) == {"event_outbox": 0, "event_deliveries": 0, "scheduler_runs": 0}


def test_the_scheduler_runs_retention_and_telemetry_prunes_in_batches(platform: Platform) -> None:
    from assetguard.runtime.plugins import load_builtin_plugins

    load_builtin_plugins()
    assert "retention.prune" in jobs.names() and "telemetry.prune" in jobs.names()
    old = utcnow() - timedelta(days=30)
    span = {"trace_id": "t" * 32, "span_id": "s" * 16, "service": "api", "name": "GET /", "kind": "SERVER",
            "duration_ms": 1.0, "status": "OK", "is_root": 1, "attributes": {}}
    with platform.db.begin() as conn:
        conn.execute(insert(spans), [{**span, "start_time": old} for _ in range(230)]
                     + [{**span, "start_time": utcnow()} for _ in range(30)])
    assert TelemetryStore(platform.db).prune(retention_days=7, max_spans=20, batch=100) == 240
    assert count(platform, spans) == 20
