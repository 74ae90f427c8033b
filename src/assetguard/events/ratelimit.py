"""Per-key rate limits for targets (a token bucket per Slack webhook, SMTP server ...).

``acquire(key, rate)`` blocks the calling delivery thread until a slot is free; ``pause(key, s)``
(used for HTTP 429 ``Retry-After``) makes every delivery on that key wait::

    limiter = RateLimiter()
    limiter.acquire("slack:abc", 1.0)      # at most one per second per key

A waiting delivery reserves its slot up front (first come, first served, and the wait is known
before sleeping), and when it wakes it also checks the time since the key's last *actual* send:
threads that woke late together (a stalled process, a busy machine) still go out one interval
apart instead of in a burst.
"""

from __future__ import annotations

import threading
import time


class RateLimiter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next_free: dict[str, float] = {}   # the next slot a new reservation gets
        self._last_sent: dict[str, float] = {}   # when the key's last delivery was let through
        self._paused_until: dict[str, float] = {}

    def _earliest(self, key: str, interval: float) -> float:
        return max(self._last_sent.get(key, float("-inf")) + interval, self._paused_until.get(key, 0.0))

    def reserve(self, key: str, rate_per_second: float | None, *, max_wait: float = float("inf")) -> float | None:
        """Reserve the next slot; returns the seconds to wait for it, or None (nothing reserved)
        when that would exceed ``max_wait``."""
        interval = _interval(rate_per_second)
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_free.get(key, 0.0), self._earliest(key, interval))
            if slot - now > max_wait:
                return None
            if interval:
                self._next_free[key] = slot + interval
            return slot - now

    def acquire(self, key: str, rate_per_second: float | None, *, max_wait: float = 60.0) -> bool:
        """Wait for a slot; False (without waiting or reserving) when the wait would exceed ``max_wait``."""
        wait = self.reserve(key, rate_per_second, max_wait=max_wait)
        if wait is None:
            return False
        interval = _interval(rate_per_second)
        while True:
            if wait > 0:
                time.sleep(wait)
            with self._lock:
                now = time.monotonic()
                wait = self._earliest(key, interval) - now
                if wait <= 0:
                    self._last_sent[key] = now
                    # Woken late: later reservations start from this send, not from the stale slot.
                    if interval and self._next_free.get(key, 0.0) < now + interval:
                        self._next_free[key] = now + interval
                    return True

    def pause(self, key: str, seconds: float) -> None:
        with self._lock:
            until = time.monotonic() + seconds
            self._paused_until[key] = max(self._paused_until.get(key, 0.0), until)
            self._next_free[key] = max(self._next_free.get(key, 0.0), until)


def _interval(rate_per_second: float | None) -> float:
    """Seconds between two sends at ``rate_per_second`` (0: no limit)."""
    return 1.0 / rate_per_second if rate_per_second else 0.0
