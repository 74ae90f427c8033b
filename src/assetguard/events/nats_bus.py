"""NATS JetStream backend (``bus_url: nats://host:4222``), behind the same producer interface.

Producers still write to the transactional outbox (so an event commits with the state change
that caused it). Each worker then runs two extra tasks:

* **relay**: publishes undispatched outbox rows to the stream ``<settings.events.stream>``
  (subject ``<stream>.events``) with ``Nats-Msg-Id = event id``, waits for the stream's ack,
  then marks the rows dispatched. Two workers relaying the same row publish a duplicate that
  JetStream's de-duplication window drops.
* **consumer**: a durable pull consumer shared by all workers (work-queue style: each message
  goes to one of them), explicit ack, redelivery after ``ack_wait``. A message is acked only
  after its delivery records are committed, and dispatching is idempotent, so a redelivered
  message never creates a second delivery.

Delivery itself stays in the database ledger (claimed with ``FOR UPDATE SKIP LOCKED``), so
several ``assetguard worker`` processes share both matching and delivery.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from assetguard.core.clock import utcnow
from assetguard.db.engine import Database
from assetguard.events.bus import OutboxBus
from assetguard.events.tables import event_outbox

if TYPE_CHECKING:
    from assetguard.events.worker import EventWorker

log = logging.getLogger(__name__)

CONSUMER = "assetguard-worker"
INGESTED_HEADER = "AssetGuard-Ingested"
SHUTDOWN_SECONDS = 5.0  # per shutdown phase: finish the current round, then close


class JetStreamBus(OutboxBus):
    dispatches_from_outbox = False

    def __init__(self, db: Database, url: str, *, stream: str = "assetguard-events", ack_wait: float = 30.0,
                 batch: int = 256) -> None:
        super().__init__(db)
        self.url = url
        self.stream = stream
        self.subject = f"{stream}.events"
        self.ack_wait = ack_wait
        self.batch = batch
        self.relayed = 0
        self.consumed = 0

    async def connect(self, attempts: int = 3) -> Any:
        """Connect, ensure the stream and the durable consumer; transient timeouts are retried."""
        import nats
        from nats.errors import FlushTimeoutError
        from nats.errors import TimeoutError as NatsTimeout

        for attempt in range(1, attempts + 1):
            nc = await nats.connect(self.url, name="assetguard-worker", max_reconnect_attempts=-1,
                                    connect_timeout=10)
            try:
                js, sub = await self._setup(nc)
            except (FlushTimeoutError, NatsTimeout):
                await nc.close()
                if attempt == attempts:
                    raise
                await asyncio.sleep(0.5 * attempt)
                continue
            return nc, js, sub
        raise AssertionError("unreachable")

    async def _setup(self, nc: Any) -> tuple[Any, Any]:
        from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig
        from nats.js.errors import BadRequestError

        js = nc.jetstream(timeout=10)
        try:
            await js.add_stream(StreamConfig(name=self.stream, subjects=[f"{self.stream}.>"], duplicate_window=120))
        except BadRequestError:  # exists with another config: keep it
            pass
        config = ConsumerConfig(durable_name=CONSUMER, ack_policy=AckPolicy.EXPLICIT, ack_wait=self.ack_wait,
                                max_deliver=-1, max_ack_pending=10_000)
        sub = await js.pull_subscribe(self.subject, durable=CONSUMER, stream=self.stream, config=config)
        return js, sub

    async def start_worker_tasks(self, worker: EventWorker, stop: asyncio.Event) -> list[asyncio.Task[Any]]:
        nc, js, sub = await self.connect()
        tasks = [asyncio.create_task(self._relay(js, stop, worker)), asyncio.create_task(self._consume(sub, stop, worker))]

        async def close_when_stopped() -> None:
            # Let the relay and the consumer finish their round first (each checks ``stop`` at
            # least every 0.5 s), so what was dispatched is acked; then close. Not ``nc.drain()``:
            # it swallows cancellation and can wait its 30 s drain timeout plus a 10 s flush on a
            # pull subscription, which held shutdown past any sane bound. Fetched but unacked
            # messages are redelivered after ``ack_wait`` anyway.
            try:
                await stop.wait()
                await asyncio.wait(tasks[:2], timeout=SHUTDOWN_SECONDS)
            finally:
                for task in tasks[:2]:
                    task.cancel()
                try:
                    await asyncio.wait_for(nc.close(), timeout=SHUTDOWN_SECONDS)
                except Exception as exc:  # noqa: BLE001 - best effort; the server drops us anyway
                    log.info("NATS close at shutdown: %s", type(exc).__name__)

        tasks.append(asyncio.create_task(close_when_stopped()))
        return tasks

    # ------------------------------------------------------------------ relay: outbox → stream
    def _pending(self) -> list[Any]:
        stmt = (select(event_outbox.c.seq, event_outbox.c.event_id, event_outbox.c.event, event_outbox.c.time)
                .where(event_outbox.c.dispatched_at.is_(None)).order_by(event_outbox.c.seq).limit(self.batch))
        with self.db.connect() as conn:
            return list(conn.execute(stmt).all())

    def _mark(self, seqs: list[int]) -> None:
        with self.db.begin() as conn:
            conn.execute(update(event_outbox).where(event_outbox.c.seq.in_(seqs), event_outbox.c.dispatched_at.is_(None))
                         .values(dispatched_at=utcnow()))

    async def relay_once(self, js: Any) -> int:
        rows = await asyncio.to_thread(self._pending)
        if not rows:
            return 0
        acks = [js.publish(self.subject, json.dumps(r.event, separators=(",", ":")).encode(),
                           headers={"Nats-Msg-Id": r.event_id, INGESTED_HEADER: r.time.isoformat()})
                for r in rows]
        await asyncio.gather(*acks)
        await asyncio.to_thread(self._mark, [r.seq for r in rows])
        self.relayed += len(rows)
        return len(rows)

    async def _relay(self, js: Any, stop: asyncio.Event, worker: EventWorker) -> None:
        while not stop.is_set():
            try:
                sent = await self.relay_once(js)
            except Exception as exc:  # noqa: BLE001 - NATS or DB hiccup: the rows stay undispatched; retry
                log.warning("outbox relay to NATS failed: %s: %.200s", type(exc).__name__, exc)
                sent = 0
            if not sent:
                await _sleep_or_stop(stop, self.wakeup, worker.idle_poll_seconds)

    # ------------------------------------------------------------------ consumer: stream → delivery records
    async def _consume(self, sub: Any, stop: asyncio.Event, worker: EventWorker) -> None:
        from nats.errors import TimeoutError as NatsTimeout

        while not stop.is_set():
            try:
                messages = await sub.fetch(self.batch, timeout=0.5)
            except NatsTimeout:
                continue
            except Exception as exc:  # noqa: BLE001 - reconnecting; the messages are redelivered later
                log.warning("NATS fetch failed: %s: %.200s", type(exc).__name__, exc)
                await _sleep_or_stop(stop, None, 1.0)
                continue
            events: list[tuple[dict[str, Any], datetime]] = []
            for msg in messages:
                ingested = (msg.headers or {}).get(INGESTED_HEADER)
                when = datetime.fromisoformat(ingested) if ingested else datetime.now(UTC)
                events.append((json.loads(msg.data), when))
            try:
                await asyncio.to_thread(worker.dispatcher.dispatch_events, events)
            except Exception as exc:  # noqa: BLE001 - not acked: JetStream redelivers after ack_wait
                log.warning("dispatching %d NATS messages failed: %s: %.200s", len(events), type(exc).__name__, exc)
                continue
            await asyncio.gather(*(msg.ack() for msg in messages))
            self.consumed += len(messages)
            worker.stream_messages += len(messages)
            worker.poke()


async def _sleep_or_stop(stop: asyncio.Event, wakeup: Any, seconds: float) -> None:
    if wakeup is not None and wakeup.is_set():
        wakeup.clear()
        return
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
