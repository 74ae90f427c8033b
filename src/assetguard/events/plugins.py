"""Registrations of the events domain: the ``worker`` component and the bus-backend hook."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assetguard.runtime.components import components

if TYPE_CHECKING:
    from assetguard.events.worker import EventWorker
    from assetguard.runtime.platform import Platform


@components.register("worker")
def _worker(platform: Platform) -> EventWorker:
    from assetguard.events.worker import EventWorker

    return EventWorker(platform)


def _select_bus(platform: Platform) -> None:
    """``bus_url=nats://...`` swaps the in-process bus for NATS JetStream (same producer interface)."""
    settings = platform.settings
    url = settings.bus_url
    if url:  # settings refuse any other scheme, so a typo never falls back to the database outbox
        from assetguard.events.nats_bus import JetStreamBus

        # A message fetched by a worker that dies is redelivered after ack_wait: no later than a
        # delivery claimed by a dead worker is retried (events.lease_seconds), at most 30 s.
        platform.bus = JetStreamBus(platform.db, url, stream=settings.events.stream,
                                    ack_wait=min(30.0, settings.events.lease_seconds),
                                    connect_timeout=settings.connect_timeout_seconds,
                                    max_age=settings.retention.stream_max_age_hours * 3600.0,
                                    max_bytes=settings.retention.stream_max_bytes)


def _register_hook() -> None:
    from assetguard.runtime.platform import PLATFORM_HOOKS

    if _select_bus not in PLATFORM_HOOKS:
        PLATFORM_HOOKS.append(_select_bus)


_register_hook()

