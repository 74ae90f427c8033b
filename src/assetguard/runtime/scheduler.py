"""Periodic jobs, run by the scheduler component (one per deployment).

>>> @jobs.register("inventory.collect.host")
... def _job() -> Job:
...     return Job("inventory.collect.host", 900, lambda platform: collect_host(platform))
"""

from __future__ import annotations

import asyncio
import logging
import threading
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
        stopping = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                now = time.monotonic()
                for job in self.due(now):
                    self.last_run[job.name] = now
                    finished = run_in_daemon_thread(self._run_job, job)
                    await asyncio.wait({finished, stopping}, return_when=asyncio.FIRST_COMPLETED)
                    if stop.is_set():
                        return  # a job still running is abandoned: its daemon thread dies with the process
                try:
                    await asyncio.wait_for(asyncio.shield(stopping), timeout=1.0)
                except TimeoutError:
                    pass
        finally:
            stopping.cancel()

    def _run_job(self, job: Job) -> None:
        try:
            job.func(self.platform)
            self.errors.pop(job.name, None)
        except Exception as exc:  # noqa: BLE001 - a failing job is logged and retried next interval
            self.errors[job.name] = str(exc)
            log.warning("job %s failed: %s", job.name, exc)


def run_in_daemon_thread(func: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
    """Run ``func`` in a daemon thread (unlike ``asyncio.to_thread``, it never blocks shutdown)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(set_outcome: Callable[[], Any]) -> None:
        try:
            loop.call_soon_threadsafe(lambda: None if future.done() else set_outcome())
        except RuntimeError:  # the loop closed while the job ran (shutdown): nobody is waiting
            pass

    def target() -> None:
        try:
            result = func(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting coroutine
            error = exc
            settle(lambda: future.set_exception(error))
        else:
            settle(lambda: future.set_result(result))

    threading.Thread(target=target, name="assetguard-job", daemon=True).start()
    return future


@components.register("scheduler")
def _scheduler(platform: Platform) -> Scheduler:
    return Scheduler(platform)
