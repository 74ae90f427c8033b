"""The NATS stream is bounded: max_age/max_bytes on create, and brought to the settings on a
stream that exists with other limits (or none)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from assetguard.core.errors import ConfigError
from assetguard.events.nats_bus import JetStreamBus
from assetguard.runtime.platform import Platform
from tests.conftest import nats_test_stream


@pytest.fixture
def stream() -> Iterator[tuple[str, str]]:
    with nats_test_stream("aglim") as named:
        yield named


async def limits(url: str, name: str) -> tuple[float, int]:
    import nats

    nc = await nats.connect(url)
    try:
        info = await nc.jetstream().stream_info(name)
        return float(info.config.max_age or 0), int(info.config.max_bytes or -1)
    finally:
        await nc.close()


async def connect_and_close(bus: JetStreamBus) -> None:
    nc, _js, _sub = await bus.connect()
    await nc.close()


def test_stream_limits_on_create_and_on_an_existing_stream(platform: Platform, stream: tuple[str, str]) -> None:
    url, name = stream

    async def create_unbounded() -> None:  # as an older release created it
        import nats
        from nats.js.api import StreamConfig

        nc = await nats.connect(url)
        await nc.jetstream().add_stream(StreamConfig(name=name, subjects=[f"{name}.>"], duplicate_window=120))
        await nc.close()

    asyncio.run(create_unbounded())
    assert asyncio.run(limits(url, name)) == (0.0, -1)
    asyncio.run(connect_and_close(JetStreamBus(platform.db, url, stream=name, max_age=3600.0, max_bytes=64 << 20)))
    assert asyncio.run(limits(url, name)) == (3600.0, 64 << 20)
    asyncio.run(connect_and_close(JetStreamBus(platform.db, url, stream=name, max_age=7200.0, max_bytes=32 << 20)))
    assert asyncio.run(limits(url, name)) == (7200.0, 32 << 20)


def test_a_new_stream_is_created_bounded(platform: Platform, stream: tuple[str, str]) -> None:
    url, name = stream
    asyncio.run(connect_and_close(JetStreamBus(platform.db, url, stream=name, max_age=600.0, max_bytes=16 << 20)))
    assert asyncio.run(limits(url, name)) == (600.0, 16 << 20)


def test_unreachable_nats_is_one_config_error_naming_the_url(platform: Platform) -> None:
    bus = JetStreamBus(platform.db, "nats://user:pw@127.0.0.1:1", connect_timeout=1.5)
    with pytest.raises(ConfigError) as info:
        asyncio.run(bus.connect())
    message = str(info.value)
    assert "nats://user:***@127.0.0.1:1" in message and "within 2 s" in message and "\n" not in message
    assert "pw@" not in message


def test_stop_while_connecting_returns_none(platform: Platform) -> None:
    bus = JetStreamBus(platform.db, "nats://127.0.0.1:1", connect_timeout=60)

    async def main() -> object:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(0.5, stop.set)
        return await asyncio.wait_for(bus.connect(stop=stop), 10)

    assert asyncio.run(main()) is None
