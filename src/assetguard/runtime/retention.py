"""Retention of operational records, enforced by the scheduler (job ``retention.prune``, hourly).

What is pruned, each after its ``retention.*`` setting:

* ``event_outbox`` rows already dispatched (to delivery records, or relayed to NATS);
* ``event_deliveries`` that finished: delivered, or failed with no dead letter waiting to be
  redriven (a dead letter keeps its delivery until it is redriven or purged);
* ``scheduler_runs`` (the per-slot record of scheduled runs);
* telemetry spans (traces) and metric roll-ups, by ``telemetry.retention_days`` and
  ``telemetry.max_spans`` (job ``telemetry.prune``, also in batches).

The NATS stream is bounded by JetStream itself (``retention.stream_max_age_hours`` and
``retention.stream_max_bytes``, applied by the worker when it connects).

Deletes go in batches of ``retention.batch_rows`` rows, one short transaction each, so a large
backlog never holds a long lock on a table the workers write to::

    removed = prune(platform)     # {"event_outbox": 1200, "event_deliveries": 3400, ...}
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Table, and_, delete, exists, select, tuple_

from assetguard.core.clock import utcnow
from assetguard.runtime.scheduler import Job, jobs

if TYPE_CHECKING:
    from assetguard.db.engine import Database
    from assetguard.runtime.platform import Platform

log = logging.getLogger(__name__)


def delete_in_batches(db: Database, table: Table, keys: Sequence[Any], where: ColumnElement[bool],
                      batch: int) -> int:
    """Delete the rows of ``table`` matching ``where``, ``batch`` rows per transaction."""
    total = 0
    key = keys[0] if len(keys) == 1 else tuple_(*keys)
    while True:
        chosen = select(*keys).where(where).limit(batch)
        with db.begin() as conn:
            removed = conn.execute(delete(table).where(key.in_(chosen))).rowcount or 0
        total += removed
        if removed < batch:
            return total


def prune(platform: Platform) -> dict[str, int]:
    """Apply every retention setting once; the rows removed per table."""
    from assetguard.events.dispatch import DELIVERED, FAILED
    from assetguard.events.tables import event_deliveries, event_dlq, event_outbox
    from assetguard.runtime.tables import scheduler_runs

    cfg = platform.settings.retention
    now = utcnow()
    db = platform.db
    removed: dict[str, int] = {}

    outbox_cutoff = now - timedelta(days=cfg.outbox_days)
    removed["event_outbox"] = delete_in_batches(
        db, event_outbox, [event_outbox.c.seq],
        and_(event_outbox.c.dispatched_at.is_not(None), event_outbox.c.dispatched_at < outbox_cutoff), cfg.batch_rows)

    d = event_deliveries.c
    deliveries_cutoff = now - timedelta(days=cfg.deliveries_days)
    waiting_letter = exists().where(event_dlq.c.delivery_id == d.id, event_dlq.c.redriven_at.is_(None))
    removed["event_deliveries"] = delete_in_batches(
        db, event_deliveries, [d.id],
        ((d.status == DELIVERED) & (d.delivered_at < deliveries_cutoff))
        | ((d.status == FAILED) & (d.created_at < deliveries_cutoff) & ~waiting_letter), cfg.batch_rows)

    runs_cutoff = now - timedelta(days=cfg.scheduler_runs_days)
    removed["scheduler_runs"] = delete_in_batches(
        db, scheduler_runs, [scheduler_runs.c.job, scheduler_runs.c.slot], scheduler_runs.c.started_at < runs_cutoff,
        cfg.batch_rows)
    if any(removed.values()):
        log.info("retention: removed %s", ", ".join(f"{n} {t}" for t, n in removed.items() if n))
    return removed


@jobs.register("retention.prune")
def _job() -> Job:
    return Job("retention.prune", 3600, prune, run_at_start=True)
