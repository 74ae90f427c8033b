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
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy.exc import SQLAlchemyError

from assetguard.core.registry import Registry
from assetguard.runtime.components import components
from assetguard.runtime.leader import LeaderLease, LeadershipLost

if TYPE_CHECKING:
    from assetguard.core.settings import Settings
    from assetguard.runtime.platform import Platform

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """``interval_seconds``, or ``interval_setting`` (read from the settings each round) when the
    operator sets the interval: the leader keeps to it from the job's last recorded run."""

    name: str
    interval_seconds: float
    func: Callable[[Platform], Any]
    run_at_start: bool = False
    interval_setting: Callable[[Settings], float] | None = None

    def interval(self, settings: Settings | None) -> float:
        if self.interval_setting is not None and settings is not None:
            return float(self.interval_setting(settings))
        return self.interval_seconds


jobs: Registry[Callable[[], Job]] = Registry("job")


class Scheduler:
    """Runs due jobs while this process leads (see :mod:`assetguard.runtime.leader`).

    Without a lease (``Scheduler(platform, lease=None)``, as in unit tests) it always leads and
    keeps the last run times in memory. With one, it waits for leadership, reads when each job
    last ran (by any leader), claims each run's (job, slot) before starting it, re-verifies the
    lease before and during each job, and goes back to following when it loses the lease.
    ``exit_on_lost_job``: a job still running when the lease is lost cannot be stopped from
    outside its thread, so the ``scheduler`` command raises :class:`LeadershipLost` to end the
    process (its process manager restarts it as a follower).
    """

    name = "scheduler"

    def __init__(self, platform: Platform, *, lease: LeaderLease | None | Literal["auto"] = "auto",
                 exit_on_lost_job: bool = False) -> None:
        self.platform = platform
        if lease == "auto":
            lease = lease_for(platform) if platform is not None else None
        self.lease: LeaderLease | None = lease
        self.check_seconds = lease.check if lease is not None else 1.0
        self.exit_on_lost_job = exit_on_lost_job
        self.last_run: dict[str, float] = {}  # job name -> wall-clock start (epoch seconds)
        self.errors: dict[str, str] = {}
        self.skipped_slots = 0  # claims refused because another leader ran that slot

    def due(self, now: float) -> list[Job]:
        out = []
        settings = self.platform.settings if self.platform is not None else None
        for _name, factory in jobs.items():
            job = factory()
            last = self.last_run.get(job.name)
            if last is None:
                if job.run_at_start:
                    out.append(job)
                else:
                    self.last_run[job.name] = now
            elif now - last >= job.interval(settings):
                out.append(job)
        return out

    async def run(self, stop: asyncio.Event) -> None:
        stopping = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                if self.lease is not None:
                    if not await self._wait_for_leadership(stop, stopping):
                        return
                    try:
                        self.last_run = {job: when.timestamp() for job, when in
                                         (await asyncio.to_thread(self.lease.last_runs)).items()}
                    except SQLAlchemyError as exc:  # a blip right after taking the lease: hand it back
                        log.warning("scheduler cannot read the last runs (%s); stepping down", type(exc).__name__)
                        await asyncio.to_thread(self.lease.release)
                        await asyncio.wait({stopping}, timeout=self.check_seconds)
                        continue
                outcome, running = await self._lead(stop, stopping)
                if outcome == "stopped":
                    return
                if running is not None and self.exit_on_lost_job:
                    raise LeadershipLost(f"lost the scheduler lease while job {running} was running; "
                                         "exiting so that it stops")
                log.warning("scheduler lost its lease; following again")
                # Two check intervals before trying again: a follower (polling every interval)
                # takes over instead of the old leader flapping back.
                await asyncio.wait({stopping}, timeout=2 * self.check_seconds)
        finally:
            stopping.cancel()
            if self.lease is not None:
                await asyncio.to_thread(self.lease.release)

    async def _wait_for_leadership(self, stop: asyncio.Event, stopping: asyncio.Future[Any]) -> bool:
        assert self.lease is not None
        announced = False
        while not stop.is_set():
            if await asyncio.to_thread(self.lease.acquire):
                log.info("scheduler leads (fencing token %s); running jobs", self.lease.token)
                return True
            if not announced:
                log.info("scheduler follows; another process leads")
                announced = True
            await asyncio.wait({stopping}, timeout=self.check_seconds)
        return False

    async def _lead(self, stop: asyncio.Event, stopping: asyncio.Future[Any]) -> tuple[str, str | None]:
        """Run due jobs until ``stop`` ("stopped") or the lease is lost ("lost", job still running)."""
        lease = self.lease
        next_check = time.monotonic() + self.check_seconds
        while not stop.is_set():
            if lease is not None and time.monotonic() >= next_check:
                if not await asyncio.to_thread(lease.verify):
                    return "lost", None
                next_check = time.monotonic() + self.check_seconds
            for job in self.due(time.time()):
                now = time.time()
                slot = int(now // job.interval(self.platform.settings if self.platform is not None else None))
                if lease is not None:
                    try:  # re-verify before each job, then claim its slot under the fencing token
                        if not await asyncio.to_thread(lease.verify):
                            return "lost", None
                        claimed = await asyncio.to_thread(lease.claim, job.name, slot)
                    except LeadershipLost:
                        return "lost", None
                    except SQLAlchemyError as exc:  # not claimed, not run: tried again at the next round
                        log.warning("job %s not started: claiming its slot failed (%s)", job.name,
                                    type(exc).__name__)
                        break
                    next_check = time.monotonic() + self.check_seconds
                    self.last_run[job.name] = now
                    if not claimed:
                        self.skipped_slots += 1
                        log.info("job %s slot %d already ran; skipped", job.name, slot)
                        continue
                else:
                    self.last_run[job.name] = now
                finished = run_in_daemon_thread(self._run_job, job, slot)
                while True:  # wait for the job, re-verifying the lease every check interval
                    await asyncio.wait({finished, stopping}, timeout=self.check_seconds,
                                       return_when=asyncio.FIRST_COMPLETED)
                    if stop.is_set():
                        return "stopped", None  # a job still running is abandoned: its daemon thread dies with us
                    if finished.done():
                        break
                    if lease is not None and not await asyncio.to_thread(lease.verify):
                        return "lost", job.name
                next_check = min(next_check, time.monotonic() + self.check_seconds)
            await asyncio.wait({stopping}, timeout=1.0)
        return "stopped", None

    def _run_job(self, job: Job, slot: int) -> None:
        error: str | None = None
        try:
            job.func(self.platform)
            self.errors.pop(job.name, None)
        except Exception as exc:  # noqa: BLE001 - a failing job is logged and retried next interval
            error = str(exc) or type(exc).__name__
            self.errors[job.name] = error
            log.warning("job %s failed: %s", job.name, exc)
        if self.lease is not None:
            self.lease.finish(job.name, slot, error)


def lease_for(platform: Platform) -> LeaderLease:
    """The scheduler lease with the deployment's ``scheduler`` settings."""
    cfg = platform.settings.scheduler
    return LeaderLease(platform.db, ttl=cfg.lease_seconds, check=cfg.check_seconds)


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
