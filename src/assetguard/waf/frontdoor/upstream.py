"""Upstream connections and the pool: a connection is reused only when it is provably clean.

An :class:`UpstreamConnection` carries one request and its response at a time. It goes back to
its upstream's idle list only after a complete, well-framed response to that one request, with
no byte left unread, no byte received before the request was fully sent, and keep-alive on both
sides. A byte that arrives while it sits idle closes it at once, and it is taken again only if
its socket has nothing pending. Anything else (a framing error,
a timeout, an early response) discards it.

:class:`UpstreamPool` picks upstreams round-robin among the healthy ones and runs the health
checks (a TCP connect, or ``GET health_path`` like a load balancer's target group check).

Example::

    pool = UpstreamPool(["http://127.0.0.1:8001"], limits=FrontDoorLimits())
    upstream = pool.pick(); conn, pooled = await upstream.acquire()
"""

from __future__ import annotations

import asyncio
import logging
import select
import ssl
from collections import deque
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import urlsplit

from assetguard.core.errors import ValidationError
from assetguard.waf.frontdoor.errors import Refusal, UpstreamError
from assetguard.waf.frontdoor.limits import FrontDoorLimits
from assetguard.waf.frontdoor.parser import MessageParser
from assetguard.waf.frontdoor.watchdog import Watchdog

log = logging.getLogger(__name__)


class UpstreamConnection(asyncio.Protocol):
    """One upstream connection with read backpressure and write flow control."""

    def __init__(self, limits: FrontDoorLimits, watchdog: Watchdog | None = None) -> None:
        self.limits = limits
        self.watchdog = watchdog
        self.deadline = 0.0  # while a read or drain waits, when it times out (see Watchdog)
        self._timed_out = False
        self.transport: asyncio.Transport | None = None
        self.busy = False  # a request is in flight; bytes are expected
        self.request_sent = False
        self.early = False  # bytes arrived before the request was fully sent
        self.closed = False
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._eof = False
        self._paused = False
        self._waiter: asyncio.Future[None] | None = None
        self._drain: asyncio.Future[None] | None = None
        self._write_paused = False

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's
        if self.watchdog is not None:
            self.watchdog.add(self)

    def expire(self) -> None:
        """The watchdog's verdict: the pending read or drain fails with a 504."""
        self._timed_out = True
        self._wake()
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)

    def data_received(self, data: bytes) -> None:
        if not self.busy:  # an idle connection has nothing to say: a late or extra response
            self.close()
            return
        if not self.request_sent:
            self.early = True
        self._chunks.append(data)
        self._buffered += len(data)
        if self._buffered >= self.limits.stream_buffer and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self._eof = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self.watchdog is not None:
            self.watchdog.discard(self)
        self.closed = True
        self._eof = True
        self._wake()
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    # use

    @property
    def reusable(self) -> bool:
        return not self.closed and not self._eof and not self._chunks and self.transport is not None \
            and not self.transport.is_closing()

    def quiet(self) -> bool:
        """Nothing waits unread in the kernel either: bytes the event loop has not delivered yet (a
        second answer sent just after the first) would otherwise be read as the next request's."""
        sock = self.transport.get_extra_info("socket") if self.transport is not None else None
        if sock is None:
            return True
        try:
            readable, _, _ = select.select([sock.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    def write(self, data: bytes) -> None:
        if self.closed or self.transport is None:
            raise UpstreamError("upstream connection closed")
        self.transport.write(data)

    async def drain(self) -> None:
        if self.closed:
            raise UpstreamError("upstream connection closed")
        if not self._write_paused:
            return
        loop = asyncio.get_running_loop()
        self._drain = loop.create_future()
        await self._wait(self._drain, loop, "upstream did not take the request body in time")
        if self.closed:
            raise UpstreamError("upstream connection closed")

    async def read(self) -> bytes:
        """The next received bytes; b"" at end of stream; waits at most ``upstream_timeout``."""
        if not self._chunks and not self._eof:
            loop = asyncio.get_running_loop()
            self._waiter = loop.create_future()
            try:
                await self._wait(self._waiter, loop, "upstream timed out")
            finally:
                self._waiter = None
        if not self._chunks:
            return b""
        data = self._chunks.popleft()
        self._buffered -= len(data)
        if self._paused and self._buffered < self.limits.stream_buffer and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        return data

    async def _wait(self, future: asyncio.Future[None], loop: asyncio.AbstractEventLoop, what: str) -> None:
        """Wait for ``future`` at most ``upstream_timeout`` (by the watchdog when there is one)."""
        if self.watchdog is None:
            try:
                async with asyncio.timeout(self.limits.upstream_timeout):
                    await future
            except TimeoutError:
                raise UpstreamError(what, 504) from None
            return
        self.deadline = loop.time() + self.limits.upstream_timeout
        try:
            await future
        finally:
            self.deadline = 0.0
        if self._timed_out:
            raise UpstreamError(what, 504)

    async def read_response_head(self, no_body: bool) -> tuple[MessageParser, bytes, int]:
        """The final response's parser once its head is complete, with the bytes it has not consumed yet."""
        while True:
            message = MessageParser.response(self.limits, no_body=no_body)
            data, pos = b"", 0
            while not message.head_done:
                if pos >= len(data):
                    data, pos = await self.read(), 0
                    if not data:
                        raise UpstreamError("upstream closed before a response head")
                pos += _feed(message, data, pos)
            if message.status == 101:
                raise UpstreamError("upstream switched protocols")
            if message.status >= 200:
                return message, data, pos
            if not message.complete:
                raise UpstreamError("malformed interim response")
            if pos < len(data):  # more after a 1xx: put it back for the next head
                self._chunks.appendleft(data[pos:])
                self._buffered += len(data) - pos


def _feed(message: MessageParser, data: bytes, pos: int) -> int:
    try:
        return message.feed(data, pos)
    except Refusal as exc:
        raise UpstreamError(f"malformed response from upstream: {exc.detail}") from None


@dataclass
class Upstream:
    host: str
    port: int
    tls: bool
    limits: FrontDoorLimits = field(default_factory=FrontDoorLimits)
    watchdog: Watchdog | None = None
    healthy: bool = True
    idle: deque[UpstreamConnection] = field(default_factory=deque)
    max_idle: int = 64

    _context: ssl.SSLContext | None = None

    def _tls_context(self) -> ssl.SSLContext:
        """One client context per upstream (building one loads the CA store: milliseconds)."""
        if self._context is None:
            self._context = ssl.create_default_context()
        return self._context

    @classmethod
    def parse(cls, url: str, limits: FrontDoorLimits | None = None) -> Upstream:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationError("an upstream must be http://host:port or https://host:port", where=url)
        return cls(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), parts.scheme == "https",
                   limits or FrontDoorLimits())

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    @property
    def authority(self) -> bytes:
        """The Host an HTTP/1.0 request without one is sent with (nginx's ``$proxy_host``)."""
        default = 443 if self.tls else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return (host if self.port == default else f"{host}:{self.port}").encode("ascii")

    async def connect(self, timeout: float | None = None) -> UpstreamConnection:
        context = self._tls_context() if self.tls else None
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(timeout or self.limits.upstream_connect_timeout):
            _, protocol = await loop.create_connection(lambda: UpstreamConnection(self.limits, self.watchdog),
                                                       self.host, self.port, ssl=context)
        return protocol

    async def acquire(self) -> tuple[UpstreamConnection, bool]:
        """A connection and whether it came from the pool (a pooled one may have gone stale)."""
        while self.idle:
            conn = self.idle.pop()
            if conn.reusable and conn.quiet():
                conn.busy = True
                return conn, True
            conn.close()
        conn = await self.connect()
        conn.busy = True
        return conn, False

    def release(self, conn: UpstreamConnection) -> None:
        """Back to the idle list only when clean (see the module docstring); else closed."""
        conn.busy = False
        if conn.reusable and not conn.early and conn.request_sent and len(self.idle) < self.max_idle:
            conn.request_sent = False
            self.idle.append(conn)
        else:
            conn.close()

    def close(self) -> None:
        while self.idle:
            self.idle.pop().close()


class UpstreamPool:
    """Round-robin over healthy upstreams, with a background health check.

    Without ``health_path`` the check is a TCP connect. With it, like a load balancer's target
    group check: ``GET health_path`` on a fresh connection must answer 200-399 within
    ``timeout``; an upstream is taken out after ``unhealthy_threshold`` failed checks in a row
    (or at once when a forwarded request cannot reach it) and back after ``healthy_threshold``
    good ones.
    """

    def __init__(self, urls: list[str], check_interval: float = 5.0, *, health_path: str | None = None,
                 timeout: float = 2.0, healthy_threshold: int = 2, unhealthy_threshold: int = 2,
                 limits: FrontDoorLimits | None = None) -> None:
        if not urls:
            raise ValidationError("at least one --upstream is required")
        if health_path is not None and (not health_path.startswith("/") or any(c in health_path for c in " \r\n")):
            raise ValidationError("the health check path must start with / and hold no spaces or line breaks",
                                  where=health_path)
        self.limits = limits or FrontDoorLimits()
        self.upstreams = [Upstream.parse(u, self.limits) for u in urls]
        self.check_interval = check_interval
        self.health_path = health_path
        self.timeout = timeout
        self.healthy_threshold = healthy_threshold
        self.unhealthy_threshold = unhealthy_threshold
        self._streak: dict[int, int] = {}  # id(upstream) -> +good / -bad checks in a row
        self._next = 0

    def pick(self) -> Upstream:
        """The next healthy upstream; when none is healthy, the next one anyway (as Envoy's panic
        routing does): a request may still get through, and a success brings the upstream back
        at once instead of after the next checks - e.g. an app that started after its proxy."""
        n = len(self.upstreams)
        for i in range(n):
            upstream = self.upstreams[(self._next + i) % n]
            if upstream.healthy:
                self._next = (self._next + i + 1) % n
                return upstream
        upstream = self.upstreams[self._next % n]
        self._next = (self._next + 1) % n
        return upstream

    def mark_up(self, upstream: Upstream) -> None:
        if not upstream.healthy:
            upstream.healthy = True
            self._streak[id(upstream)] = 0
            log.info("upstream %s is back (it answered a request)", upstream.url)

    async def probe(self, upstream: Upstream) -> str | None:
        """None when the upstream passes one check, else why it failed."""
        try:
            conn = await upstream.connect(timeout=self.timeout)
        except (TimeoutError, OSError) as exc:
            return f"connect: {type(exc).__name__}"
        try:
            if self.health_path is None:
                return None
            conn.busy = True
            conn.write(f"GET {self.health_path} HTTP/1.1\r\nHost: {upstream.authority.decode()}\r\n"
                       "User-Agent: assetguard-health-check\r\nConnection: close\r\n\r\n".encode())
            conn.request_sent = True
            async with asyncio.timeout(self.timeout):
                message, _, _ = await conn.read_response_head(no_body=False)
            return None if 200 <= message.status < 400 else f"HTTP {message.status}"
        except (TimeoutError, OSError) as exc:
            return f"request: {type(exc).__name__}"
        except UpstreamError as exc:
            return f"request: {exc}"
        finally:
            conn.close()

    async def check(self) -> None:
        for upstream in self.upstreams:
            failure = await self.probe(upstream)
            streak = self._streak.get(id(upstream), 0)
            if failure is None:
                streak = max(streak, 0) + 1
                if not upstream.healthy and streak >= self.healthy_threshold:
                    upstream.healthy = True
                    log.info("upstream %s is back", upstream.url)
            else:
                streak = min(streak, 0) - 1
                if upstream.healthy and -streak >= self.unhealthy_threshold:
                    upstream.healthy = False
                    upstream.close()
                    log.warning("upstream %s is down (%s)", upstream.url, failure)
            self._streak[id(upstream)] = streak

    def mark_down(self, upstream: Upstream) -> None:
        """A forwarded request could not reach ``upstream``: out at once, back after good checks."""
        upstream.healthy = False
        self._streak[id(upstream)] = -self.unhealthy_threshold

    async def run_checks(self) -> None:
        while True:
            await asyncio.sleep(self.check_interval)
            await self.check()
