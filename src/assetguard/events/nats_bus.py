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

The stream is bounded: ``max_age`` and ``max_bytes`` (settings ``retention.stream_*``) are set
when it is created and updated on an existing stream whose limits differ. A worker that cannot
reach NATS within ``connect_timeout_seconds`` at start raises ConfigError naming the URL
(password masked) and the cause; the library's own errors are one log line each, not tracebacks.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from assetguard.core.clock import utcnow
from assetguard.core.errors import ConfigError
from assetguard.core.urls import mask_url
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
                 batch: int = 256, connect_timeout: float = 30.0, max_age: float = 72 * 3600.0,
                 max_bytes: int = 1 << 30) -> None:
        super().__init__(db)
        self.url = url
        self.stream = stream
        self.subject = f"{stream}.events"
        self.ack_wait = ack_wait
        self.batch = batch
        self.connect_timeout = connect_timeout
        self.max_age = max_age
        self.max_bytes = max_bytes
        self.relayed = 0
        self.consumed = 0
        self.last_error: str | None = None
        self._logged_error_at = 0.0

    async def _on_error(self, exc: Exception) -> None:
        # The library calls this for every failed (re)connect attempt; its default prints a
        # traceback each time. One line, at most every 10 s.
        self.last_error = describe_error(exc)
        now = time.monotonic()
        if now - self._logged_error_at >= 10.0:
            self._logged_error_at = now
            log.warning("NATS at %s: %s", mask_url(self.url), self.last_error)

    async def connect(self, attempts: int = 3, *, stop: asyncio.Event | None = None) -> Any:
        """Connect, ensure the stream and the durable consumer; transient timeouts are retried.

        Returns ``(nc, js, sub)``, or None when ``stop`` was set first. Raises ConfigError when
        NATS cannot be reached within ``connect_timeout`` seconds.
        """
        from nats.aio.client import Client
        from nats.errors import FlushTimeoutError, NoRespondersError
        from nats.errors import TimeoutError as NatsTimeout

        deadline = time.monotonic() + self.connect_timeout
        servers = [u.strip() for u in self.url.split(",")]
        for attempt in range(1, attempts + 1):
            nc = Client()
            connecting = asyncio.ensure_future(nc.connect(
                servers, name="assetguard-worker", max_reconnect_attempts=-1, reconnect_time_wait=1,
                connect_timeout=max(1, int(min(10.0, self.connect_timeout))), error_cb=self._on_error))
            waiting: set[asyncio.Future[Any]] = {connecting}
            stopped = asyncio.ensure_future(stop.wait()) if stop is not None else None
            if stopped is not None:
                waiting.add(stopped)
            try:
                await asyncio.wait(waiting, timeout=max(0.1, deadline - time.monotonic()),
                                   return_when=asyncio.FIRST_COMPLETED)
            finally:
                if stopped is not None:
                    stopped.cancel()
            if not connecting.done():
                connecting.cancel()
                await asyncio.gather(connecting, return_exceptions=True)
                await _close_quietly(nc)
                if stop is not None and stop.is_set():
                    return None
                raise ConfigError(f"cannot reach the bus at {mask_url(self.url)} within {self.connect_timeout:.0f} s: "
                                  f"{self.last_error or 'no answer'}", where="bus_url")
            if connecting.exception() is not None:
                raise ConfigError(f"cannot connect to the bus at {mask_url(self.url)}: "
                                  f"{describe_error(connecting.exception())}", where="bus_url")
            try:
                js, sub = await self._setup(nc)
            except NoRespondersError:
                await _close_quietly(nc)
                raise ConfigError(f"the NATS server at {mask_url(self.url)} has no JetStream "
                                  "(start nats-server with -js)", where="bus_url") from None
            except (FlushTimeoutError, NatsTimeout):
                await _close_quietly(nc)
                if attempt == attempts or time.monotonic() >= deadline:
                    raise ConfigError(f"the NATS server at {mask_url(self.url)} did not answer JetStream "
                                      "requests in time", where="bus_url") from None
                await asyncio.sleep(0.5 * attempt)
                continue
            return nc, js, sub
        raise AssertionError("unreachable")

    async def _setup(self, nc: Any) -> tuple[Any, Any]:
        from nats.js.api import AckPolicy, ConsumerConfig

        js = nc.jetstream(timeout=10)
        await self._ensure_stream(js)
        config = ConsumerConfig(durable_name=CONSUMER, ack_policy=AckPolicy.EXPLICIT, ack_wait=self.ack_wait,
                                max_deliver=-1, max_ack_pending=10_000)
        sub = await js.pull_subscribe(self.subject, durable=CONSUMER, stream=self.stream, config=config)
        return js, sub

    async def _ensure_stream(self, js: Any) -> None:
        """Create the stream with its limits, or bring an existing stream's limits to the settings."""
        from nats.js.api import StreamConfig
        from nats.js.errors import NotFoundError

        try:
            info = await js.stream_info(self.stream)
        except NotFoundError:
            await js.add_stream(StreamConfig(name=self.stream, subjects=[f"{self.stream}.>"], duplicate_window=120,
                                             max_age=self.max_age, max_bytes=self.max_bytes))
            return
        config = info.config
        if (config.max_age or 0) != self.max_age or (config.max_bytes or -1) != self.max_bytes:
            config.max_age, config.max_bytes = self.max_age, self.max_bytes
            await js.update_stream(config)
            log.info("NATS stream %s limits set: max_age %.0f s, max_bytes %d", self.stream, self.max_age,
                     self.max_bytes)

    async def start_worker_tasks(self, worker: EventWorker, stop: asyncio.Event) -> list[asyncio.Task[Any]]:
        connected = await self.connect(stop=stop)
        if connected is None:  # stopped while connecting
            return []
        nc, js, sub = connected
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


def describe_error(exc: BaseException | None) -> str:
    """One line: the error's type and its first line (``ConnectionRefusedError: [Errno 111] ...``)."""
    if exc is None:
        return "unknown error"
    text = " ".join(str(exc).split("\n")[0].split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def _close_quietly(nc: Any) -> None:
    try:
        await asyncio.wait_for(nc.close(), timeout=SHUTDOWN_SECONDS)
    except Exception as exc:  # noqa: BLE001 - a connection that never opened has nothing to close
        log.debug("NATS close: %s", type(exc).__name__)
