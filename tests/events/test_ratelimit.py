"""The per-key delivery rate limiter: spacing, pauses, and waking late without a burst."""

from __future__ import annotations

import threading
import time

import pytest

from assetguard.events import ratelimit
from assetguard.events.ratelimit import RateLimiter


def _send_times(limiter: RateLimiter, n: int, rate: float, key: str = "k") -> list[float]:
    times: list[float] = []
    lock = threading.Lock()

    def one() -> None:
        assert limiter.acquire(key, rate)
        with lock:
            times.append(time.monotonic())

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return sorted(times)


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def test_sends_are_spaced_by_the_rate() -> None:
    times = _send_times(RateLimiter(), 4, rate=20.0)
    assert len(times) == 4
    assert min(gaps(times)) >= 0.045, gaps(times)


def test_threads_woken_late_together_still_go_one_interval_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    # The process "stalls" for 0.4 s: no sleeping thread wakes before then. Every reserved slot
    # has passed by the time they wake; they must not all send at once.
    real_sleep = time.sleep
    stall_end = time.monotonic() + 0.4

    def stalled_sleep(seconds: float) -> None:
        real_sleep(max(seconds, stall_end - time.monotonic()))

    monkeypatch.setattr(ratelimit.time, "sleep", stalled_sleep)
    times = _send_times(RateLimiter(), 4, rate=10.0)
    assert len(times) == 4
    assert min(gaps(times)) >= 0.09, gaps(times)


def test_pause_holds_every_delivery_on_the_key_only() -> None:
    limiter = RateLimiter()
    limiter.pause("slow", 0.3)
    start = time.monotonic()
    assert limiter.acquire("other", None)
    assert time.monotonic() - start < 0.2
    assert limiter.acquire("slow", None)
    assert time.monotonic() - start >= 0.29


def test_a_wait_beyond_max_wait_is_refused_without_using_a_slot() -> None:
    limiter = RateLimiter()
    assert limiter.acquire("k", 1.0)          # the next slot is a second away
    start = time.monotonic()
    assert limiter.acquire("k", 1.0, max_wait=0.1) is False
    assert time.monotonic() - start < 0.05    # refused at once
    # The refusal reserved nothing: the following delivery waits for the first free slot, not a later one.
    assert limiter.reserve("k", 1.0) == pytest.approx(1.0 - (time.monotonic() - start), abs=0.1)
