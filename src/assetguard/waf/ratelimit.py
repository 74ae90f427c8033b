"""Request counters for RateBasedStatement: in memory, or in Redis so several proxies share them.

Counts are kept in 10-second buckets; a window of 60/120/300/600 s sums the buckets it covers
(a sliding window with 10 s resolution). ``hit`` adds one request and returns the count in the
window, including it.

Example::

    counter = MemoryRateCounter()
    counter.hit("acl/rule", "203.0.113.9", window=60, now=time.time())   # 1
    counter = RedisRateCounter("redis://127.0.0.1:6379/0")                 # shared by proxies,
                                                                           # synchronised every second
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Protocol

log = logging.getLogger(__name__)

BUCKET_SECONDS = 10
MAX_KEYS = 200_000
DEFAULT_KEY_PREFIX = "assetguard:"  # waf.redis_key_prefix: one deployment's namespace in a shared Redis


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
    """Counters shared through Redis, without a network round trip per request.

    ``hit`` counts in memory and answers at once: the count is what this process saw since the
    last synchronisation plus the totals of every process read back then. A background thread
    (every ``sync_interval`` seconds) adds this process's new counts to Redis (``INCRBY`` per
    10-second bucket, with expiry) and reads back the window totals (``MGET``) of the keys this
    process has seen. So the proxy's event loop never waits on Redis, a Redis outage only makes
    the limit per-process until it returns (the counts are kept and sent later), and every proxy
    learns the others' counts within about one ``sync_interval`` — as AWS WAF itself estimates
    rates with a delay ("usually below 30 seconds", its rate-based rule caveats).
    """

    def __init__(self, url: str, prefix: str = "assetguard:waf:rate:", *, sync_interval: float = 1.0,
                 background: bool = True, max_keys: int = MAX_KEYS) -> None:
        import redis  # imported here so the in-memory engine does not need the client

        self._redis = redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self._error = redis.RedisError
        self.prefix = prefix
        self.sync_interval = sync_interval
        self.max_keys = max_keys
        self._lock = threading.Lock()
        # (rule, key, bucket) -> counts not yet added to Redis / totals last read (ours included)
        self._pending: dict[tuple[str, str, int], int] = {}
        self._shared: dict[tuple[str, str, int], int] = {}
        # (rule, key) -> (window, newest bucket): what to read back
        self._active: OrderedDict[tuple[str, str], tuple[int, int]] = OrderedDict()
        self._failing = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if background:
            self._thread = threading.Thread(target=self._run, name="waf-rate-sync", daemon=True)
            self._thread.start()

    def hit(self, rule: str, key: str, window: int, now: float) -> int:
        bucket = int(now) // BUCKET_SECONDS
        oldest = bucket - window // BUCKET_SECONDS + 1
        with self._lock:
            slot = (rule, key, bucket)
            self._pending[slot] = self._pending.get(slot, 0) + 1
            active = self._active.get((rule, key))
            self._active[(rule, key)] = (window, bucket if active is None else max(bucket, active[1]))
            self._active.move_to_end((rule, key))
            if len(self._active) > self.max_keys:
                gone = self._active.popitem(last=False)[0]
                self._shared = {slot: n for slot, n in self._shared.items() if slot[:2] != gone}
            total = 0
            for b in range(oldest, bucket + 1):
                total += self._shared.get((rule, key, b), 0) + self._pending.get((rule, key, b), 0)
            return total

    def sync(self) -> bool:
        """One synchronisation round; False (counts kept for the next round) when Redis fails."""
        with self._lock:
            pending, self._pending = self._pending, {}
            for slot, n in pending.items():  # until read back, count our flushed hits ourselves
                self._shared[slot] = self._shared.get(slot, 0) + n
            wanted = [
                (rule, key, b)
                for (rule, key), (window, newest) in self._active.items()
                for b in range(newest - window // BUCKET_SECONDS + 1, newest + 1)
            ]
            ttl = {slot: self._active.get(slot[:2], (600, 0))[0] + BUCKET_SECONDS for slot in pending}
        pipe = self._redis.pipeline(transaction=False)
        for slot, n in pending.items():
            name = self._name(*slot)
            pipe.incrby(name, n)
            pipe.expire(name, ttl[slot])
        if wanted:
            pipe.mget([self._name(*slot) for slot in wanted])
        try:
            replies = pipe.execute()
        except self._error as exc:
            with self._lock:
                for slot, n in pending.items():
                    self._shared[slot] -= n
                    self._pending[slot] = self._pending.get(slot, 0) + n
            if not self._failing:
                log.warning("WAF rate counters: Redis unreachable (%s); counting per process until it returns",
                            type(exc).__name__)
            self._failing = True
            return False
        if self._failing:
            log.info("WAF rate counters: Redis reachable again")
        self._failing = False
        with self._lock:
            # Hits counted while the pipeline ran are in _pending, added on top of these totals.
            values = replies[-1] if wanted else []
            self._shared = {slot: int(v) for slot, v in zip(wanted, values, strict=True) if v is not None}
            # Keys idle for longer than their window are no longer read back.
            current = max((last for _, last in self._active.values()), default=0)
            for ident, (window, last) in list(self._active.items()):
                if last + window // BUCKET_SECONDS < current:
                    del self._active[ident]
        return True

    def _name(self, rule: str, key: str, bucket: int) -> str:
        return f"{self.prefix}{rule}:{key}:{bucket}"

    def _run(self) -> None:
        while not self._stop.wait(self.sync_interval):
            self.sync()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.sync()
        self._redis.close()


_SHARED: dict[tuple[str, str], RedisRateCounter] = {}
_SHARED_LOCK = threading.Lock()


def redis_counter(url: str, key_prefix: str = DEFAULT_KEY_PREFIX) -> RedisRateCounter:
    """The process's counter for ``url`` and the deployment's ``waf.redis_key_prefix`` (keys
    ``<key_prefix>waf:rate:...``): an ACL reload keeps counting where the old one was."""
    with _SHARED_LOCK:
        counter = _SHARED.get((url, key_prefix))
        if counter is None:
            counter = _SHARED[(url, key_prefix)] = RedisRateCounter(url, f"{key_prefix}waf:rate:")
        return counter
