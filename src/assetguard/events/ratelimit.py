"""Per-key rate limits for targets (a token bucket per Slack webhook, SMTP server ...).

``acquire(key, rate)`` blocks the calling delivery thread until a slot is free; ``pause(key, s)``
(used for HTTP 429 ``Retry-After``) makes every delivery on that key wait::

    limiter = RateLimiter()
    limiter.acquire("slack:abc", 1.0)      # at most one per second per key
"""

from __future__ import annotations

import threading
import time


class RateLimiter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next_free: dict[str, float] = {}

    def reserve(self, key: str, rate_per_second: float | None) -> float:
        """Reserve the next slot; returns how many seconds to wait before using it."""
        if not rate_per_second:
            return max(0.0, self._next_free.get(key, 0.0) - time.monotonic())
        interval = 1.0 / rate_per_second
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_free.get(key, 0.0))
            self._next_free[key] = slot + interval
            return slot - now

    def acquire(self, key: str, rate_per_second: float | None, *, max_wait: float = 60.0) -> bool:
        """Wait for a slot; False (without waiting) when the wait would exceed ``max_wait``."""
        wait = self.reserve(key, rate_per_second)
        if wait > max_wait:
            return False
        if wait > 0:
            time.sleep(wait)
        return True

    def pause(self, key: str, seconds: float) -> None:
        with self._lock:
            until = time.monotonic() + seconds
            self._next_free[key] = max(self._next_free.get(key, 0.0), until)
