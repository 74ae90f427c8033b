"""The scheduler runs due jobs in daemon threads and stops at once, even while a job is running."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from assetguard.runtime.scheduler import Job, Scheduler, jobs


def test_jobs_run_and_stop_does_not_wait_for_a_slow_job(monkeypatch: Any) -> None:
    ran: list[str] = []
    release = threading.Event()

    def quick(_platform: Any) -> None:
        ran.append("quick")

    def slow(_platform: Any) -> None:
        ran.append("slow")
        release.wait(30)

    def failing(_platform: Any) -> None:
        raise RuntimeError("boom")

    from assetguard.core.registry import Registry

    fake: Registry[Any] = Registry("job")
    fake.add("quick", lambda: Job("quick", 3600, quick, run_at_start=True))
    fake.add("failing", lambda: Job("failing", 3600, failing, run_at_start=True))
    fake.add("slow", lambda: Job("slow", 3600, slow, run_at_start=True))
    monkeypatch.setattr("assetguard.runtime.scheduler.jobs", fake)
    scheduler = Scheduler(platform=None)  # type: ignore[arg-type]

    async def main() -> float:
        stop = asyncio.Event()
        task = asyncio.create_task(scheduler.run(stop))
        while "slow" not in ran:
            await asyncio.sleep(0.01)
        started = time.monotonic()
        stop.set()
        await asyncio.wait_for(task, 5)
        return time.monotonic() - started

    took = asyncio.run(main())
    release.set()
    assert took < 1.0
    assert sorted(ran) == ["quick", "slow"]
    assert scheduler.errors == {"failing": "boom"}
    assert jobs is not fake  # the real registry is untouched
