"""Request counters for RateBasedStatement: in memory, or in Redis so several proxies share them.

Counts are kept in 10-second buckets; a window of 60/120/300/600 s sums the buckets it covers
(a sliding window with 10 s resolution). ``hit`` adds one request and returns the count in the
window, including it.

Example::

    counter = MemoryRateCounter()
    counter.hit("acl/rule", "203.0.113.9", window=60, now=time.time())   # 1
    counter = RedisRateCounter("redis://127.0.0.1:6379/0")                 # shared by proxies
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Protocol

BUCKET_SECONDS = 10
MAX_KEYS = 200_000


class RateCounter(Protocol):
    def hit(self, rule: str, key: str, window: int, now: float) -> int: ...


class MemoryRateCounter:
    """Per-process counters; least recently used keys are dropped beyond ``max_keys``."""

    def __init__(self, max_keys: int = MAX_KEYS) -> None:
        self._buckets: OrderedDict[tuple[str, str], dict[int, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.max_keys = max_keys

    def hit(self, rule: str, key: str, window: int, now: float) -> int:
        bucket = int(now) // BUCKET_SECONDS
        oldest = bucket - window // BUCKET_SECONDS + 1
        with self._lock:
            counts = self._buckets.get((rule, key))
            if counts is None:
                counts = self._buckets[(rule, key)] = {}
                if len(self._buckets) > self.max_keys:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end((rule, key))
            counts[bucket] = counts.get(bucket, 0) + 1
            total = 0
            for b in list(counts):
                if b < oldest:
                    del counts[b]
                else:
                    total += counts[b]
            return total


class RedisRateCounter:
    """Counters in Redis (``INCR`` per bucket with expiry, ``MGET`` over the window)."""

    def __init__(self, url: str, prefix: str = "assetguard:waf:rate:") -> None:
        import redis  # imported here so the in-memory engine does not need the client

        self._redis = redis.Redis.from_url(url)
        self.prefix = prefix

    def hit(self, rule: str, key: str, window: int, now: float) -> int:
        bucket = int(now) // BUCKET_SECONDS
        n = window // BUCKET_SECONDS
        base = f"{self.prefix}{rule}:{key}:"
        pipe = self._redis.pipeline(transaction=False)
        pipe.incr(base + str(bucket))
        pipe.expire(base + str(bucket), window + BUCKET_SECONDS)
        pipe.mget([base + str(b) for b in range(bucket - n + 1, bucket)] or [base + "none"])
        current, _, older = pipe.execute()
        return int(current) + sum(int(v) for v in older if v is not None)

    def close(self) -> None:
        self._redis.close()
