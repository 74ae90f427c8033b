"""Deadlines for many waits, checked by one periodic task instead of a timer per wait.

A timer per read (``asyncio.timeout``) costs several microseconds to arm and cancel, two per
request, and far more under uvloop; the front door's timeouts are tens of seconds, so a deadline
checked every ``tick`` (at most 1 s, a quarter of the shortest timeout) is as good. Each watched
object has a ``deadline`` (loop time; 0 while it is not waiting) and an ``expire()`` that makes
its pending wait fail.

Example::

    watchdog = Watchdog.for_limits(limits); watchdog.start()
    watchdog.add(stream)          # stream.deadline = loop.time() + 60 while it waits
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol

from assetguard.waf.frontdoor.limits import FrontDoorLimits


class Watched(Protocol):
    deadline: float

    def expire(self) -> None: ...


class Watchdog:
    def __init__(self, tick: float) -> None:
        self.tick = tick
        self._watched: set[Watched] = set()
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def for_limits(cls, limits: FrontDoorLimits) -> Watchdog:
        shortest = min(limits.header_timeout, limits.body_timeout, limits.keepalive_timeout, limits.send_timeout,
                       limits.upstream_timeout)
        return cls(max(0.01, min(1.0, shortest / 4)))

    def add(self, item: Watched) -> None:
        self._watched.add(item)

    def discard(self, item: Watched) -> None:
        self._watched.discard(item)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.tick)
            now = loop.time()
            for item in [i for i in self._watched if 0 < i.deadline <= now]:
                item.deadline = 0.0
                item.expire()
