"""Periodic jobs, run by the scheduler component (one per deployment).

>>> @jobs.register("inventory.collect.host")
... def _job() -> Job:
...     return Job("inventory.collect.host", 900, lambda platform: collect_host(platform))
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assetguard.core.registry import Registry
from assetguard.runtime.components import components

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    interval_seconds: float
    func: Callable[[Platform], Any]
    run_at_start: bool = False


jobs: Registry[Callable[[], Job]] = Registry("job")


class Scheduler:
    name = "scheduler"

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.last_run: dict[str, float] = {}
        self.errors: dict[str, str] = {}

    def due(self, now: float) -> list[Job]:
        out = []
        for _name, factory in jobs.items():
            job = factory()
            last = self.last_run.get(job.name)
            if last is None:
                if job.run_at_start:
                    out.append(job)
                else:
                    self.last_run[job.name] = now
            elif now - last >= job.interval_seconds:
                out.append(job)
        return out

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            now = time.monotonic()
            for job in self.due(now):
                self.last_run[job.name] = now
                try:
                    await asyncio.to_thread(job.func, self.platform)
                    self.errors.pop(job.name, None)
                except Exception as exc:  # noqa: BLE001 - a failing job is logged and retried next interval
                    self.errors[job.name] = str(exc)
                    log.warning("job %s failed: %s", job.name, exc)
            try:
                await asyncio.wait_for(stop.wait(), timeout=1.0)
            except TimeoutError:
                pass


@components.register("scheduler")
def _scheduler(platform: Platform) -> Scheduler:
    return Scheduler(platform)
