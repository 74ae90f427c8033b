"""Delivery: claim due delivery records, hand them to targets, record the outcome.

At-least-once: a record is claimed (``IN_FLIGHT`` with a lease) and committed *before* the
target is called, and marked ``DELIVERED`` only after the target returned. A worker killed
mid-delivery leaves ``IN_FLIGHT`` rows whose lease expires; another (or the restarted) worker
claims them again, so duplicates are bounded by what was in flight. Confirmed rows are never
re-sent. On PostgreSQL several workers claim with ``FOR UPDATE SKIP LOCKED``; SQLite has a
single writer at a time (``BEGIN IMMEDIATE``).

Failures: ``DeliveryError(retryable=True)`` (and any unexpected exception, code
``TargetException``) is retried with exponential backoff and jitter until the target's
``maximum_retry_attempts`` or ``maximum_event_age_seconds`` is exhausted; then, or at once for
``retryable=False``, the delivery goes to the dead-letter table with code, message and attempts.
A delivery whose event is already past the maximum age when it comes due (a worker that was
down, a long ``Retry-After``) goes there untried, as EventBridge does.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, bindparam, case, func, insert, select, update

from assetguard.core.clock import new_id, utcnow
from assetguard.core.errors import DeliveryError
from assetguard.core.redact import mask_text, scrub_text
from assetguard.events import metrics
from assetguard.events.dispatch import DELIVERED, FAILED, IN_FLIGHT, PENDING, max_event_age_seconds
from assetguard.events.ratelimit import RateLimiter
from assetguard.events.tables import event_deliveries, event_dlq
from assetguard.targets.base import Delivery, Target, build_target, public_target, target_secrets

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform

log = logging.getLogger(__name__)


def backoff_seconds(attempt: int, *, base: float = 1.0, cap: float = 300.0,
                    rng: Callable[[], float] = random.random) -> float:
    """Exponential backoff with "equal jitter": half fixed, half random; attempt 1 → [base/2, base)."""
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    return float(ceiling / 2 + ceiling / 2 * rng())


@dataclass(slots=True)
class Outcome:
    row_id: str
    target_type: str
    ok: bool
    receipt: str | None = None
    code: str = ""
    message: str = ""
    retryable: bool = True
    retry_after: float | None = None


class Deliverer:
    """Claims due deliveries and runs them on a thread pool; ``run_once`` records finished ones."""

    def __init__(self, platform: Platform, *, worker_id: str | None = None) -> None:
        tuning = platform.settings.events
        self.platform = platform
        self.worker_id = worker_id or f"w-{new_id()[:8]}"
        self.max_in_flight = tuning.max_in_flight
        self.lease_seconds = tuning.lease_seconds
        self.backoff_base = tuning.backoff_base_seconds
        self.backoff_cap = tuning.backoff_cap_seconds
        self.pool = ThreadPoolExecutor(max_workers=tuning.delivery_threads, thread_name_prefix="ag-deliver")
        self.results: queue.Queue[Outcome] = queue.Queue()
        self.in_flight = 0
        self.last_claimed = 0
        self.limiter = RateLimiter()
        self._targets: dict[str, Target] = {}
        self._targets_lock = threading.Lock()

    # ------------------------------------------------------------------ claiming
    def claim(self, limit: int) -> list[Any]:
        now = utcnow()
        c = event_deliveries.c
        # Two index-friendly queries (status, next_attempt_at) instead of one OR.
        due = select(event_deliveries).where(c.status == PENDING, c.next_attempt_at <= now) \
            .order_by(c.next_attempt_at).limit(limit)
        expired = select(event_deliveries).where(c.status == IN_FLIGHT, c.claimed_until < now).limit(limit)
        with self.platform.db.begin() as conn:
            rows: list[Any] = []
            for stmt in (expired, due):
                if len(rows) >= limit:
                    break
                if conn.dialect.name == "postgresql":
                    stmt = stmt.with_for_update(skip_locked=True)
                rows.extend(conn.execute(stmt.limit(limit - len(rows))).all())
            if not rows:
                return []
            # A digest's window opens with its first event: when that one is due, take the whole
            # burst for the same rule and target along, even rows whose own window is still open.
            seen = {r.id for r in rows}
            for rule, target_id in {(r.rule, r.target_id) for r in rows if r.target.get("digest")}:
                limit_more = int(next(r.target["digest"].get("max_events", 50) for r in rows
                                      if (r.rule, r.target_id) == (rule, target_id)))
                more = select(event_deliveries).where(c.status == PENDING, c.rule == rule, c.target_id == target_id,
                                                      c.next_attempt_at > now).order_by(c.next_attempt_at)
                if conn.dialect.name == "postgresql":
                    more = more.with_for_update(skip_locked=True)
                rows.extend(r for r in conn.execute(more.limit(limit_more)).all() if r.id not in seen)
            # An event already past its target's maximum age is not tried again: like EventBridge,
            # it goes to the dead-letter table with the reason, untried.
            rows = [r for r in rows if not _too_old(conn, r, now)]
            if not rows:
                return []
            conn.execute(update(event_deliveries).where(c.id.in_([r.id for r in rows])).values(
                status=IN_FLIGHT, claimed_by=self.worker_id,
                claimed_until=now + timedelta(seconds=self.lease_seconds),
                attempts=c.attempts + 1))
        return rows

    def run_once(self, *, claim: bool = True, wait: float = 0.0, record: bool = True) -> int:
        """Record finished deliveries, then claim and start new ones; returns the work done.

        ``record=False`` leaves finished deliveries for the next dispatch's transaction to record
        (unless the pipeline is full and needs the room)."""
        done = 0
        full = self.in_flight >= self.max_in_flight
        if record or full:
            done = self.flush(wait if not claim or full else 0.0)
        room = self.max_in_flight - self.in_flight
        started = 0
        self.last_claimed = 0
        # Claim in batches: a nearly full pipeline waits for more room instead of querying per slot.
        if claim and room > 0 and (room >= self.max_in_flight // 4 or self.in_flight == 0):
            rows = self.claim(room)
            self.last_claimed = len(rows)
            started = self.start(rows)
        return done + started

    def room(self) -> int:
        return max(0, self.max_in_flight - self.in_flight)

    def start(self, rows: list[Any]) -> int:
        """Hand claimed rows (as read *before* the claim's attempt increment) to the thread pool."""
        for group in _group_digests(rows):
            self.in_flight += len(group)
            self.pool.submit(self._deliver_group, group)
        return len(rows)

    # ------------------------------------------------------------------ delivering
    def _target(self, row: Any) -> Target:
        key = f"{row.rule}\x00{row.target_id}\x00{row.target.get('type')}\x00{hash(repr(row.target.get('config')))}"
        with self._targets_lock:
            target = self._targets.get(key)
            if target is None:
                target = build_target(row.target_type, row.target.get("config") or {}, self.platform)
                self._targets[key] = target
            return target

    def _deliver_group(self, rows: list[Any]) -> None:
        from assetguard.events.dispatch import _tracer

        first = rows[0]
        with _tracer(self.platform).start_as_current_span(
                f"deliver {first.target_type}", attributes={"rule": first.rule, "target.id": first.target_id,
                                                            "event.id": str(first.event.get("id", "")),
                                                            "attempt": first.attempts + 1, "batch": len(rows)}) as span:
            try:
                outcome = self._deliver(rows)
            except Exception as exc:  # noqa: BLE001 - never lose a result: unexpected errors are retried
                outcome = Outcome("", first.target_type, False, code="TargetException", message=_safe(exc))
            if not outcome.ok:
                from opentelemetry.trace import Status, StatusCode

                span.set_status(Status(StatusCode.ERROR, outcome.code))
                # A library's error may quote the URL or token the target was given: the ledger,
                # the DLQ and everything that shows them get the message with those masked.
                outcome.message = scrub_text(outcome.message,
                                             target_secrets(first.target_type, first.target.get("config")))
        for row in rows:
            self.results.put(Outcome(row.id, row.target_type, outcome.ok, outcome.receipt, outcome.code,
                                     outcome.message, outcome.retryable, outcome.retry_after))

    def _deliver(self, rows: list[Any]) -> Outcome:
        first = rows[0]
        if first.attempts + 1 > 1:
            metrics.RETRIES.labels(first.target_type).inc()
        try:
            target = self._target(first)
        except DeliveryError as exc:
            return Outcome(first.id, first.target_type, False, code=exc.code, message=exc.message,
                           retryable=exc.retryable)
        rate = first.target.get("rate_per_second") or target.rate_per_second
        key = target.rate_key()
        if not self.limiter.acquire(key, rate, max_wait=self.lease_seconds / 2):
            return Outcome(first.id, first.target_type, False, code="RateLimited",
                           message="rate limit wait exceeded the lease", retry_after=self.lease_seconds / 2)
        extra: dict[str, Any] = {"rule_description": first.target.get("rule_description", "")}
        if len(rows) > 1 or first.target.get("digest"):
            extra["digest"] = [{"event": r.event, "payload": r.payload} for r in rows]
        delivery = Delivery(event=first.event, payload=first.payload, rule=first.rule, target_id=first.target_id,
                            attempt=first.attempts + 1, delivery_id=first.id,
                            rule_description=extra["rule_description"], extra=extra)
        try:
            receipt = target.deliver(delivery)
        except DeliveryError as exc:
            if exc.retry_after:
                self.limiter.pause(key, exc.retry_after)
            return Outcome(first.id, first.target_type, False, code=exc.code, message=exc.message,
                           retryable=exc.retryable, retry_after=exc.retry_after)
        except Exception as exc:  # noqa: BLE001 - a target bug is recorded and retried, not dropped
            return Outcome(first.id, first.target_type, False, code="TargetException", message=_safe(exc))
        return Outcome(first.id, first.target_type, True, receipt=(receipt or "")[:500])

    def close(self) -> None:
        """Wait for running deliveries, record them, release target clients."""
        self.pool.shutdown(wait=True)
        self.flush()
        with self._targets_lock:
            for target in self._targets.values():
                target.close()
            self._targets.clear()

    # ------------------------------------------------------------------ recording
    def flush(self, wait: float = 0.0) -> int:
        """Record finished deliveries in one transaction; ``wait`` blocks briefly for the first one."""
        outcomes = self._take(wait)
        if not outcomes:
            return 0
        with self.platform.db.begin() as conn:
            self._record(conn, outcomes)
        return len(outcomes)

    def record_ready(self, conn: Any) -> int:
        """Record the deliveries finished so far inside ``conn``'s transaction (the dispatcher's:
        one write transaction instead of two); returns how many."""
        outcomes = self._take(0.0)
        if outcomes:
            self._record(conn, outcomes)
        return len(outcomes)

    def _take(self, wait: float) -> list[Outcome]:
        outcomes: list[Outcome] = []
        if wait > 0 and self.in_flight > 0:
            try:
                outcomes.append(self.results.get(timeout=wait))
            except queue.Empty:
                return outcomes
        while True:
            try:
                outcomes.append(self.results.get_nowait())
            except queue.Empty:
                break
        self.in_flight -= len(outcomes)
        return outcomes

    def _record(self, conn: Any, outcomes: list[Outcome]) -> None:
        now = utcnow()
        c = event_deliveries.c
        ids = [o.row_id for o in outcomes]
        rows = {r.id: r for r in conn.execute(
            select(c.id, c.event_id, c.rule, c.target_id, c.target_type, c.status, c.attempts, c.event_time,
                   c.target).where(c.id.in_(ids), c.status == IN_FLIGHT))}
        confirmed: list[dict[str, Any]] = []
        for outcome in outcomes:
            row = rows.get(outcome.row_id)
            if row is None:  # another worker took over after our lease expired
                continue
            if outcome.ok:
                metrics.DELIVERIES.labels(row.target_type, "delivered").inc()
                metrics.DELIVERY_LATENCY.labels(row.target_type).observe(
                    max(0.0, (now - row.event_time).total_seconds()))
                confirmed.append({"b_id": row.id, "b_receipt": outcome.receipt})
                continue
            metrics.DELIVERIES.labels(row.target_type, "failed").inc()
            self._failed(conn, row, outcome, now)
        if confirmed:
            conn.execute(update(event_deliveries).where(c.id == bindparam("b_id"), c.status == IN_FLIGHT).values(
                status=DELIVERED, delivered_at=now, receipt=bindparam("b_receipt"), claimed_until=None,
                last_error_code=None, last_error_message=None), confirmed)

    def _failed(self, conn: Any, row: Any, outcome: Outcome, now: datetime) -> None:
        policy = row.target.get("retry_policy") or {}
        max_age = max_event_age_seconds(row.target)
        max_retries = int(policy.get("maximum_retry_attempts", 185))
        mine = and_(event_deliveries.c.id == row.id, event_deliveries.c.status == IN_FLIGHT)
        delay = outcome.retry_after if outcome.retry_after else backoff_seconds(
            row.attempts, base=self.backoff_base, cap=self.backoff_cap)
        age_at_retry = (now - row.event_time).total_seconds() + delay
        code, message = outcome.code, outcome.message
        if outcome.retryable and row.attempts - 1 < max_retries and age_at_retry <= max_age:
            conn.execute(update(event_deliveries).where(mine).values(
                status=PENDING, next_attempt_at=now + timedelta(seconds=delay), claimed_until=None,
                last_error_code=code, last_error_message=message[:1000]))
            return
        if outcome.retryable:
            if row.attempts - 1 >= max_retries:
                code, message = "RetryAttemptsExhausted", (
                    f"gave up after {row.attempts} attempts (maximum_retry_attempts {max_retries}); "
                    f"last error {outcome.code}: {outcome.message}")
            else:
                code, message = "MaximumEventAgeExceeded", (
                    f"event older than maximum_event_age_seconds {int(max_age)} after {row.attempts} attempts; "
                    f"last error {outcome.code}: {outcome.message}")
        dead_letter(conn, row, code, message, now)


def _too_old(conn: Any, row: Any, now: datetime) -> bool:
    """Dead-letter ``row`` (as claimed, not yet tried again) when its event is past the maximum age."""
    age, max_age = (now - row.event_time).total_seconds(), max_event_age_seconds(row.target)
    if age <= max_age:
        return False
    last = f"; last error {row.last_error_code}: {row.last_error_message}" if row.last_error_code else ""
    dead_letter(conn, row, "MaximumEventAgeExceeded",
                f"event {int(age)} s old, past maximum_event_age_seconds {int(max_age)}, when due for attempt "
                f"{row.attempts + 1}; not tried{last}", now)
    return True


def dead_letter(conn: Any, row: Any, code: str, message: str, now: datetime) -> None:
    metrics.DEAD_LETTERS.labels(row.target_type, code).inc()
    conn.execute(update(event_deliveries).where(event_deliveries.c.id == row.id).values(
        status=FAILED, claimed_until=None, last_error_code=code, last_error_message=message[:1000]))
    conn.execute(insert(event_dlq).values(
        delivery_id=row.id, event_id=row.event_id, rule=row.rule, target_id=row.target_id,
        target_type=row.target_type, error_code=code[:64], error_message=message[:1000], attempts=row.attempts,
        failed_at=now))


def _group_digests(rows: list[Any]) -> list[list[Any]]:
    groups: dict[tuple[str, str], list[Any]] = {}
    out: list[list[Any]] = []
    for row in rows:
        digest = row.target.get("digest")
        if digest:
            group = groups.setdefault((row.rule, row.target_id), [])
            if len(group) < int(digest.get("max_events", 50)):
                group.append(row)
                continue
        out.append([row])
    out.extend(groups.values())
    return out


def _safe(exc: BaseException) -> str:
    """An exception as text for the ledger: type and message, trimmed (targets keep secrets out)."""
    return f"{type(exc).__name__}: {exc}"[:1000]


def public_delivery(row: dict[str, Any]) -> dict[str, Any]:
    """A delivery record as the API, console and CLI show it: the target's secrets masked."""
    if isinstance(row.get("target"), dict):
        row["target"] = public_target(row["target"])
    if row.get("last_error_message"):
        row["last_error_message"] = mask_text(row["last_error_message"])
    return row


class DeliveryLedger:
    """Read side: delivery records and per-rule counts for the Rules page and the API."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def list(self, *, rule: str | None = None, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        cols = [c for c in event_deliveries.c if c.name not in ("event", "payload")]
        stmt = select(*cols).order_by(event_deliveries.c.created_at.desc()).limit(limit)
        if rule:
            stmt = stmt.where(event_deliveries.c.rule == rule)
        if status:
            stmt = stmt.where(event_deliveries.c.status == status)
        with self.platform.db.connect() as conn:
            return [public_delivery(dict(r._mapping)) for r in conn.execute(stmt)]

    def counts_by_rule(self) -> dict[str, dict[str, int]]:
        retries = func.sum(case((event_deliveries.c.attempts > 1, event_deliveries.c.attempts - 1), else_=0))
        stmt = (select(event_deliveries.c.rule, event_deliveries.c.status, func.count(), retries)
                .group_by(event_deliveries.c.rule, event_deliveries.c.status))
        out: dict[str, dict[str, int]] = {}
        with self.platform.db.connect() as conn:
            for rule, status, count, retried in conn.execute(stmt):
                entry = out.setdefault(rule, {PENDING: 0, IN_FLIGHT: 0, DELIVERED: 0, FAILED: 0, "retries": 0})
                entry[status] = int(count)
                entry["retries"] += int(retried or 0)
        return out

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """For tests and ``--once``: wait until no delivery is pending or in flight."""
        deadline = time.monotonic() + timeout
        while True:
            with self.platform.db.connect() as conn:
                busy = conn.execute(select(func.count()).where(
                    event_deliveries.c.status.in_([PENDING, IN_FLIGHT]))).scalar_one()
            if not busy:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
