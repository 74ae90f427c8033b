"""NATS JetStream backend against the real server (``ASSETGUARD_TEST_NATS_URL``; CI sets it)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest

from assetguard.auth.principal import SYSTEM
from assetguard.events.delivery import DeliveryLedger
from assetguard.events.nats_bus import JetStreamBus
from assetguard.events.rule_store import RuleStore
from assetguard.events.rules import Rule
from assetguard.events.worker import EventWorker
from assetguard.runtime.platform import Platform
from assetguard.targets.base import Delivery, Target, TargetConfig, targets
from tests.conftest import NATS_URL, need_service

pytestmark = pytest.mark.nats


class Tally(Target):
    type = "test-tally"
    seen: Counter[str] = Counter()

    class Config(TargetConfig):
        pass

    def deliver(self, delivery: Delivery) -> str | None:
        Tally.seen[str(delivery.event["id"])] += 1
        return None


if "test-tally" not in targets:
    targets.add("test-tally", Tally)


@pytest.fixture
def nats_url() -> str:
    return need_service("NATS", NATS_URL, "ASSETGUARD_TEST_NATS_URL")


@pytest.fixture
def stream(nats_url: str) -> Iterator[str]:
    name = f"agtest-{uuid.uuid4().hex[:10]}"
    yield name

    async def cleanup() -> None:
        import nats
        from nats.js.errors import NotFoundError

        nc = await nats.connect(nats_url)
        with contextlib.suppress(NotFoundError):  # the stream may not exist if the test failed early
            await nc.jetstream().delete_stream(name)
        await nc.close()

    asyncio.run(cleanup())


def setup(platform: Platform, url: str, stream: str, ack_wait: float = 30.0) -> JetStreamBus:
    bus = JetStreamBus(platform.db, url, stream=stream, ack_wait=ack_wait)
    platform.bus = bus
    Tally.seen = Counter()
    RuleStore(platform).put(Rule.model_validate({"name": "n", "pattern": {"source": ["nats.test"]},
                                                 "targets": [{"id": "t", "type": "test-tally"}]}), actor=SYSTEM)
    return bus


async def run_until(workers: list[EventWorker], done: object, timeout: float = 30.0) -> None:
    stop = asyncio.Event()
    tasks = [asyncio.create_task(w.run(stop)) for w in workers]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        while not done():  # type: ignore[operator]
            assert loop.time() < deadline, "timed out"
            for t in tasks:
                if t.done():
                    t.result()
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        # Bounded: a worker that cannot stop must fail this test, not hang the whole run.
        done_tasks, pending = await asyncio.wait(tasks, timeout=15)
        for t in pending:
            t.cancel()
        assert not pending, "worker did not stop within 15 s"
        for t in done_tasks:
            t.result()


def test_two_workers_share_the_stream_and_deliver_each_event_once(platform: Platform, nats_url: str,
                                                                  stream: str) -> None:
    bus = setup(platform, nats_url, stream)
    bus.batch = 16  # small fetches, so both workers get a share
    ids = [bus.publish("nats.test", "T", {"n": i}) for i in range(400)]
    bus.publish("other", "T", {})
    workers = [EventWorker(platform, install_defaults=False) for _ in range(2)]
    asyncio.run(run_until(workers, lambda: len(Tally.seen) >= len(ids) and DeliveryLedger(platform).wait_idle(0)))
    assert set(Tally.seen) == set(ids)
    assert all(count == 1 for count in Tally.seen.values())
    assert bus.consumed >= len(ids) + 1
    assert all(w.stream_messages > 0 for w in workers), [w.stream_messages for w in workers]
    rows = DeliveryLedger(platform).list(limit=1000)
    assert len(rows) == len(ids) and {r["status"] for r in rows} == {"DELIVERED"}


def test_unacked_message_is_redelivered(platform: Platform, nats_url: str, stream: str) -> None:
    """A consumer that fetched but died before acking: JetStream redelivers to a live worker."""
    bus = setup(platform, nats_url, stream, ack_wait=1.0)
    event_id = bus.publish("nats.test", "T", {"n": 1})

    async def crashed_consumer() -> None:
        nc, js, sub = await bus.connect()
        assert await bus.relay_once(js) == 1
        messages = await sub.fetch(1, timeout=5)
        assert len(messages) == 1  # fetched, never acked
        await nc.close()

    asyncio.run(crashed_consumer())
    assert Tally.seen == Counter()
    worker = EventWorker(platform, install_defaults=False)
    asyncio.run(run_until([worker], lambda: Tally.seen[event_id] >= 1, timeout=20))
    assert Tally.seen == Counter({event_id: 1})
