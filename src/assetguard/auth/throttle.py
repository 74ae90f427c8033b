"""The failed-authentication throttle, shared by every API process.

A failed attempt (a bearer token or a console login that matches no valid token) counts against
two keys in fixed one-minute windows:

- the client's address (an IPv6 client by its /64, which one host usually holds whole), as
  :mod:`assetguard.api.forwarded` found it behind trusted proxies;
- the id of the token it presented (``ag_<id>_<secret>``: the id is the token's public prefix),
  when it has one.

Once either count passes ``api.auth_failure_limit`` in the window, further *failures* answer 429
with ``Retry-After`` instead of 401. Credentials are always checked first, and a valid token
always succeeds, from any address and whatever failures its id has collected: a token's secret is
256 random bits, so no rate of guessing endangers it, while blocking valid tokens would let anyone
lock out a user behind the same NAT, or a token whose id they know. Failures for one id never
touch another id. A success resets nothing, so a client holding one valid token cannot clear its
address's count between guesses.

The counts live in Redis when ``waf.redis_url`` is set (``INCR`` with expiry, keys
``<waf.redis_key_prefix>auth:fail:...`` beside the WAF's ``<prefix>waf:rate:...``; a Redis outage
falls back to the database), else in the ``auth_failures`` table, so two API processes count together.
A process that has seen a key over the limit answers failures carrying it with 429 from memory
until the window ends, without counting them, so a flood from a throttled address costs the
store nothing more.

    throttle = AuthThrottle(DatabaseFailureCounter(platform.db), limit=10)
    wait = throttle.failed("203.0.113.9", "ag_1a2b3c4d_...", via="bearer")   # 0.0: answer 401
"""

from __future__ import annotations

import ipaddress
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from prometheus_client import Counter
from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from assetguard.auth.tables import auth_failures
from assetguard.auth.tokens import PREFIX
from assetguard.db.engine import Database
from assetguard.waf.ratelimit import DEFAULT_KEY_PREFIX

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60
_TOKEN_ID = re.compile(r"[0-9a-f]{1,32}")

AUTH_FAILURES = Counter("assetguard_auth_failures_total",
                        "Failed authentications (bearer tokens and console logins) seen by this process",
                        ["via"])
AUTH_THROTTLED = Counter("assetguard_auth_throttled_total",
                         "Failed authentications answered 429 because a key passed the limit, by key scope",
                         ["scope"])


def token_id(presented: str | None) -> str | None:
    """The public id of a presented ``ag_<id>_<secret>`` token, or None when it has no such shape."""
    if not presented or not presented.startswith(PREFIX):
        return None
    ident, sep, _rest = presented[len(PREFIX):].partition("_")
    return ident if sep and _TOKEN_ID.fullmatch(ident) else None


def address_key(address: str) -> str:
    """The counting key for a client address: IPv4 as is, IPv6 by its /64; anything else as given."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


class FailureCounter(Protocol):
    def add(self, keys: Sequence[tuple[str, str]], window_start: int) -> list[int]:
        """Add one failure to each ``(scope, key)`` in the window; their counts afterwards."""
        ...


class DatabaseFailureCounter:
    """Counts in the ``auth_failures`` table (one upsert per failure); old windows are pruned."""

    def __init__(self, db: Database, window: int = WINDOW_SECONDS) -> None:
        self.db = db
        self.window = window
        self._pruned_before = 0

    def add(self, keys: Sequence[tuple[str, str]], window_start: int) -> list[int]:
        dialect = postgresql if self.db.dialect == "postgresql" else sqlite
        counts = []
        with self.db.begin() as conn:
            for scope, key in keys:
                stmt = dialect.insert(auth_failures).values(scope=scope, key=key, window_start=window_start,
                                                            count=1)
                stmt = stmt.on_conflict_do_update(index_elements=["scope", "key", "window_start"],
                                                  set_={"count": auth_failures.c.count + 1})
                counts.append(int(conn.execute(stmt.returning(auth_failures.c.count)).scalar_one()))
            if window_start > self._pruned_before:
                conn.execute(delete(auth_failures).where(auth_failures.c.window_start < window_start - self.window))
                self._pruned_before = window_start
        return counts


class RedisFailureCounter:
    """Counts in Redis (``INCR`` + ``EXPIRE`` in one round trip); the database when Redis fails."""

    def __init__(self, url: str, fallback: FailureCounter, *, prefix: str = f"{DEFAULT_KEY_PREFIX}auth:fail:",
                 window: int = WINDOW_SECONDS) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self._error = redis.RedisError
        self.fallback = fallback
        self.prefix = prefix
        self.window = window
        self._failing = False

    def add(self, keys: Sequence[tuple[str, str]], window_start: int) -> list[int]:
        pipe = self._redis.pipeline(transaction=False)
        for scope, key in keys:
            name = f"{self.prefix}{scope}:{key}:{window_start}"
            pipe.incr(name)
            pipe.expire(name, 2 * self.window)
        try:
            replies = pipe.execute()
        except self._error as exc:
            if not self._failing:
                log.warning("failed-auth throttle: Redis unreachable (%s); counting in the database",
                            type(exc).__name__)
            self._failing = True
            return self.fallback.add(keys, window_start)
        self._failing = False
        return [int(n) for n in replies[0::2]]

    def close(self) -> None:
        self._redis.close()


class AuthThrottle:
    """Decides, for one failed attempt, whether to answer 429 (and for how long) or 401."""

    def __init__(self, counter: FailureCounter, limit: int, *, window: int = WINDOW_SECONDS,
                 clock: Callable[[], float] = time.time) -> None:
        self.counter = counter
        self.limit = limit
        self.window = window
        self.clock = clock
        self._lock = threading.Lock()
        self._over: dict[tuple[str, str], int] = {}  # (scope, key) -> window start it passed the limit in

    def failed(self, address: str, presented: str | None, *, via: str) -> float:
        """Record one failure; the seconds to put in ``Retry-After`` (0.0: not throttled, answer 401)."""
        AUTH_FAILURES.labels(via).inc()
        now = self.clock()
        window_start = int(now) // self.window * self.window
        keys = [("address", address_key(address))]
        ident = token_id(presented)
        if ident is not None:
            keys.append(("token", ident))
        with self._lock:
            over = [k for k in keys if self._over.get(k) == window_start]
        # Already throttled here: answer from memory, without a store write per flooded request.
        to_count = [] if over else keys
        if to_count:
            for key, count in zip(to_count, self.counter.add(to_count, window_start), strict=True):
                if count > self.limit:
                    over.append(key)
        if not over:
            return 0.0
        with self._lock:
            for key in over:
                self._over[key] = window_start
            if len(self._over) > 10_000:  # forget windows that have ended
                self._over = {k: w for k, w in self._over.items() if w == window_start}
        scope = "address" if any(k[0] == "address" for k in over) else "token"
        AUTH_THROTTLED.labels(scope).inc()
        return max(1.0, window_start + self.window - now)

    def close(self) -> None:
        close = getattr(self.counter, "close", None)
        if callable(close):
            close()


def throttle_for(settings_limit: int, db: Database, redis_url: str | None, *,
                 key_prefix: str = DEFAULT_KEY_PREFIX) -> AuthThrottle:
    """The process's throttle: Redis when ``redis_url`` is set (database as fallback; keys
    ``<key_prefix>auth:fail:...``, ``key_prefix`` being ``waf.redis_key_prefix``), else the database."""
    database = DatabaseFailureCounter(db)
    counter: FailureCounter = (RedisFailureCounter(redis_url, database, prefix=f"{key_prefix}auth:fail:")
                               if redis_url else database)
    return AuthThrottle(counter, settings_limit)
