"""Leadership: a lease with a fencing token (PostgreSQL: plus an advisory lock on the leader's
session; SQLite: expiry), and job slots that two leaders can never both claim."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from sqlalchemy import select, text

from assetguard.core.registry import Registry
from assetguard.db.engine import Database
from assetguard.runtime.leader import LOCK_KEY, LeaderLease, LeadershipLost
from assetguard.runtime.platform import Platform
from assetguard.runtime.scheduler import Job, Scheduler
from assetguard.runtime.tables import scheduler_runs


def second_process(platform: Platform) -> Database:
    return Database(platform.settings.resolved_database_url)  # its own engine, as another process would have


def terminate_leader_session(platform: Platform) -> int:
    """``pg_terminate_backend`` on the session that holds the scheduler's advisory lock."""
    with platform.db.engine.connect() as conn:
        pid = conn.execute(text("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = :k AND granted"),
                           {"k": LOCK_KEY}).scalar()
        assert pid is not None, "nobody holds the advisory lock"
        assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
        conn.commit()
    return int(pid)


def test_one_leader_and_each_acquisition_has_a_larger_token(platform: Platform) -> None:
    other_db = second_process(platform)
    try:
        first = LeaderLease(platform.db, ttl=30, check=1)
        second = LeaderLease(other_db, ttl=30, check=1)
        assert first.acquire() and first.token == 1
        assert not second.acquire()  # PostgreSQL: the lock is held; SQLite: the lease has not expired
        assert first.verify() and first.acquire()  # renewing keeps the same token
        assert first.token == 1
        first.release()
        assert second.acquire() and second.token == 2
        assert not first.acquire()
        second.release()
    finally:
        other_db.dispose()


def test_a_slot_is_claimed_once_and_never_with_an_old_token(platform: Platform) -> None:
    other_db = second_process(platform)
    try:
        old = LeaderLease(platform.db, ttl=1.0, check=0.2)
        assert old.acquire()
        assert old.claim("job.a", 100) is True
        assert old.claim("job.a", 100) is False  # the same slot again: refused by the primary key
        assert old.claim("job.a", 101) is True
        if platform.db.dialect == "postgresql":
            terminate_leader_session(platform)  # a database blip ends the old leader's session
            assert not old.verify()
            old.token = 1  # pretend it never noticed: a stale leader still tries with token 1
        else:
            time.sleep(1.2)  # the lease expires unrenewed
        new = LeaderLease(other_db, ttl=30, check=1)
        assert new.acquire() and new.token == 2
        with pytest.raises(LeadershipLost):
            old.claim("job.a", 102)
        assert old.token is None  # it stepped down
        assert new.claim("job.a", 101) is False  # the new leader does not re-run a slot the old one ran
        assert new.claim("job.a", 102) is True
        with platform.db.connect() as conn:
            rows = conn.execute(select(scheduler_runs.c.slot, scheduler_runs.c.token)
                                .order_by(scheduler_runs.c.slot)).all()
        assert [tuple(r) for r in rows] == [(100, 1), (101, 1), (102, 2)]
        new.release()
    finally:
        other_db.dispose()


@pytest.mark.postgres
def test_terminated_session_ends_leadership_and_a_follower_takes_over_at_once(platform: Platform) -> None:
    if platform.db.dialect != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    other_db = second_process(platform)
    try:
        leader = LeaderLease(platform.db, ttl=300, check=1)  # a long lease: takeover must not wait for it
        follower = LeaderLease(other_db, ttl=300, check=1)
        assert leader.acquire() and not follower.acquire()
        terminate_leader_session(platform)
        deadline = time.monotonic() + 10
        while not follower.acquire():
            assert time.monotonic() < deadline, "the follower never took over"
            time.sleep(0.1)
        assert follower.token == 2
        assert not leader.verify() and not leader.leader
        follower.release()
    finally:
        other_db.dispose()


def fake_jobs(monkeypatch: Any, *defs: Job) -> None:
    fake: Registry[Any] = Registry("job")
    for job in defs:
        fake.add(job.name, lambda job=job: job)
    monkeypatch.setattr("assetguard.runtime.scheduler.jobs", fake)


def test_a_new_leader_respects_the_last_run(platform: Platform, monkeypatch: Any) -> None:
    ran: list[str] = []
    fake_jobs(monkeypatch, Job("hourly", 3600, lambda _p: ran.append("hourly"), run_at_start=True),
              Job("fresh", 3600, lambda _p: ran.append("fresh"), run_at_start=True))
    earlier = LeaderLease(platform.db, ttl=30, check=0.2)
    assert earlier.acquire()
    assert earlier.claim("hourly", int(time.time() // 3600))  # a previous leader ran it just now
    earlier.release()

    lease = LeaderLease(platform.db, ttl=30, check=0.2)
    scheduler = Scheduler(platform, lease=lease)

    async def main() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(scheduler.run(stop))
        deadline = time.monotonic() + 10
        while "fresh" not in ran:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        stop.set()
        await asyncio.wait_for(task, 10)

    asyncio.run(main())
    assert ran == ["fresh"]  # "hourly" ran less than an hour ago: not again at takeover
    assert lease.token is None  # released at stop


def test_a_leader_that_loses_the_lease_during_a_job_stops_within_a_check(platform: Platform,
                                                                          monkeypatch: Any) -> None:
    release = threading.Event()
    started = threading.Event()

    def long_job(_p: Any) -> None:
        started.set()
        release.wait(30)

    fake_jobs(monkeypatch, Job("long", 3600, long_job, run_at_start=True))
    check = 0.3
    lease = LeaderLease(platform.db, ttl=1.0, check=check)
    scheduler = Scheduler(platform, lease=lease, exit_on_lost_job=True)
    other_db = second_process(platform)

    async def main() -> float:
        stop = asyncio.Event()
        task = asyncio.create_task(scheduler.run(stop))
        while not started.is_set():
            await asyncio.sleep(0.02)
        if platform.db.dialect == "postgresql":
            await asyncio.to_thread(terminate_leader_session, platform)
        else:  # another scheduler takes the lease over (as after an expiry)
            with other_db.begin() as conn:
                conn.execute(text("UPDATE scheduler_lease SET token = token + 1, holder = 'other'"))
        lost_at = time.monotonic()
        with pytest.raises(LeadershipLost, match="while job long was running"):
            await asyncio.wait_for(task, 10)
        return time.monotonic() - lost_at

    try:
        took = asyncio.run(main())
    finally:
        release.set()
        other_db.dispose()
    assert took < 5 * check + 2  # one check interval, with room for a busy CI box


class BlippingLease(LeaderLease):
    """A lease whose first slot claim fails as during a database blip."""

    def __init__(self, db: Database) -> None:
        super().__init__(db, ttl=30, check=0.2)
        self.claims = 0

    def claim(self, job: str, slot: int) -> bool:
        self.claims += 1
        if self.claims == 1:
            from sqlalchemy.exc import OperationalError

            raise OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly"))
        return super().claim(job, slot)


def test_a_failed_claim_is_retried_not_counted_as_a_run(platform: Platform, monkeypatch: Any) -> None:
    ran: list[float] = []
    fake_jobs(monkeypatch, Job("hourly", 3600, lambda _p: ran.append(time.time()), run_at_start=True))
    lease = BlippingLease(platform.db)
    scheduler = Scheduler(platform, lease=lease)

    async def main() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(scheduler.run(stop))
        deadline = time.monotonic() + 15
        while not ran:
            assert time.monotonic() < deadline and not task.done(), "the job never ran after the failed claim"
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 10)

    asyncio.run(main())
    assert lease.claims == 2 and len(ran) == 1
