"""``assetguard waf proxy``: a WAF reverse proxy on asyncio (uvloop when installed).

Per client connection (keep-alive, HTTP/1.1): read the head, read at most the ACL's body
inspection limit of the body, evaluate, then either answer the block response or forward to an
upstream over a pooled keep-alive connection - the inspected prefix first, the rest of the body
streamed - and stream the response back. ``X-Forwarded-For`` gets the client address appended.
Upstreams are used round-robin and checked in the background; ``/__assetguard/health`` answers
without inspection. The ACL reloads on SIGHUP (see :class:`~assetguard.waf.gate.WafGate`).

Example::

    server = WafProxy(gate, ["http://127.0.0.1:8001"])
    await server.start("127.0.0.1", 8000)
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from assetguard.core.errors import ValidationError
from assetguard.waf.gate import WafGate
from assetguard.waf.http1 import (
    HOP_BY_HOP,
    Head,
    ProtocolError,
    copy_chunked,
    copy_length,
    copy_until_close,
    read_chunk,
    read_head,
    request_framing,
    response_framing,
    serialise_head,
)
from assetguard.waf.middleware import block_response
from assetguard.waf.request import HttpRequest

log = logging.getLogger(__name__)

HEALTH_PATH = b"/__assetguard/health"
METRICS_PATH = b"/__assetguard/metrics"  # Prometheus scrape target of this proxy process
REASONS = {400: b"Bad Request", 403: b"Forbidden", 404: b"Not Found", 405: b"Method Not Allowed",
           429: b"Too Many Requests", 431: b"Request Header Fields Too Large", 501: b"Not Implemented",
           502: b"Bad Gateway", 503: b"Service Unavailable", 504: b"Gateway Timeout"}
MAX_HEAD = 64 * 1024


@dataclass
class Upstream:
    host: str
    port: int
    tls: bool
    healthy: bool = True
    idle: deque[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = field(default_factory=deque)
    max_idle: int = 64

    @classmethod
    def parse(cls, url: str) -> Upstream:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationError("an upstream must be http://host:port or https://host:port", where=url)
        return cls(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), parts.scheme == "https")

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    async def connect(self, timeout: float = 5.0) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        context = ssl.create_default_context() if self.tls else None
        return await asyncio.wait_for(asyncio.open_connection(self.host, self.port, ssl=context, limit=MAX_HEAD),
                                      timeout)

    async def acquire(self) -> tuple[tuple[asyncio.StreamReader, asyncio.StreamWriter], bool]:
        """A connection and whether it came from the pool (a pooled one may have gone stale)."""
        while self.idle:
            reader, writer = self.idle.pop()
            if not writer.is_closing() and not reader.at_eof():
                return (reader, writer), True
            writer.close()
        return await self.connect(), False

    def release(self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter]) -> None:
        if len(self.idle) < self.max_idle and not conn[1].is_closing():
            self.idle.append(conn)
        else:
            conn[1].close()

    def close(self) -> None:
        while self.idle:
            self.idle.pop()[1].close()


class UpstreamPool:
    """Round-robin over healthy upstreams, with a background health check.

    Without ``health_path`` the check is a TCP connect. With it, like a load balancer's target
    group check: ``GET health_path`` on a fresh connection must answer 200-399 within
    ``timeout``; an upstream is taken out after ``unhealthy_threshold`` failed checks in a row
    (or at once when a forwarded request cannot reach it) and back after ``healthy_threshold``
    good ones.
    """

    def __init__(self, urls: list[str], check_interval: float = 5.0, *, health_path: str | None = None,
                 timeout: float = 2.0, healthy_threshold: int = 2, unhealthy_threshold: int = 2) -> None:
        if not urls:
            raise ValidationError("at least one --upstream is required")
        if health_path is not None and (not health_path.startswith("/") or any(c in health_path for c in " \r\n")):
            raise ValidationError("the health check path must start with / and hold no spaces or line breaks",
                                  where=health_path)
        self.upstreams = [Upstream.parse(u) for u in urls]
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
            reader, writer = await upstream.connect(timeout=self.timeout)
        except (TimeoutError, OSError) as exc:
            return f"connect: {type(exc).__name__}"
        try:
            if self.health_path is None:
                return None
            writer.write(f"GET {self.health_path} HTTP/1.1\r\nHost: {upstream.host}:{upstream.port}\r\n"
                         "User-Agent: assetguard-health-check\r\nConnection: close\r\n\r\n".encode())
            line = await asyncio.wait_for(reader.readline(), self.timeout)
            parts = line.split(None, 2)
            if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
                return "not an HTTP response"
            status = int(parts[1])
            return None if 200 <= status < 400 else f"HTTP {status}"
        except (TimeoutError, OSError) as exc:
            return f"request: {type(exc).__name__}"
        finally:
            writer.close()

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


class WafProxy:
    """The proxy server; ``start`` listens, ``close`` stops accepting and closes idle connections."""

    def __init__(self, gate: WafGate, upstreams: list[str], *, scheme: str = "http",
                 keepalive_timeout: float = 75.0, upstream_timeout: float = 60.0, check_interval: float = 5.0,
                 health_path: str | None = None, tracer: Any = None) -> None:
        self.gate = gate
        self.tracer = tracer  # an OpenTelemetry tracer: spans per request and W3C traceparent upstream
        self.pool = UpstreamPool(upstreams, check_interval, health_path=health_path)
        self.scheme = scheme.encode()
        self.keepalive_timeout = keepalive_timeout
        self.upstream_timeout = upstream_timeout
        self.server: asyncio.base_events.Server | None = None
        self.active = 0
        self.served = 0
        self._checks: asyncio.Task[None] | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int, *, ssl_context: ssl.SSLContext | None = None,
                    reuse_port: bool = False) -> None:
        self.server = await asyncio.start_server(self.handle, host, port, ssl=ssl_context, limit=MAX_HEAD,
                                                 reuse_port=reuse_port or None, backlog=1024)
        self._checks = asyncio.create_task(self.pool.run_checks())

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._checks is not None:
            self._checks.cancel()
        if self.server is not None:
            self.server.close()
        handlers = [t for t in self._handlers if not t.done()]
        for task in handlers:  # idle keep-alive connections; requests in flight get a moment to finish
            task.cancel()
        if handlers:
            await asyncio.wait(handlers, timeout=5)
        if self.server is not None:
            await self.server.wait_closed()
        for upstream in self.pool.upstreams:
            upstream.close()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        client_ip = str(peer[0]) if peer else "127.0.0.1"
        self.active += 1
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)
        try:
            while True:
                try:
                    head = await asyncio.wait_for(read_head(reader), self.keepalive_timeout)
                except TimeoutError:
                    break
                if head is None:
                    break
                if not await self.exchange(head, reader, writer, client_ip):
                    break
        except ProtocolError as exc:
            await self.simple(writer, exc.status, str(exc).encode(), close=True)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.CancelledError):
            pass
        finally:
            self.active -= 1
            writer.close()

    async def simple(self, writer: asyncio.StreamWriter, status: int, body: bytes, *, close: bool,
                     content_type: bytes = b"text/plain; charset=utf-8",
                     extra: Sequence[tuple[bytes, bytes]] = ()) -> None:
        headers = [(b"Content-Type", content_type), (b"Content-Length", str(len(body)).encode()), *extra,
                   (b"Connection", b"close" if close else b"keep-alive")]
        if not writer.is_closing():
            writer.write(serialise_head(b"HTTP/1.1 %d %s" % (status, REASONS.get(status, b"Error")), headers) + body)
            await writer.drain()

    async def exchange(self, head: Head, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                       client_ip: str) -> bool:
        """One request/response; returns whether the client connection stays open."""
        if self.tracer is None or head.start.split(b" ")[1:2] in ([HEALTH_PATH], [METRICS_PATH]):
            return await self._exchange(head, reader, writer, client_ip, None)
        from opentelemetry import context as otel_context
        from opentelemetry import trace
        from opentelemetry.propagate import extract

        carrier = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in head.headers}
        parts = head.start.split(b" ")
        method = parts[0].decode("latin-1") if parts else "GET"
        path = parts[1].split(b"?", 1)[0].decode("latin-1") if len(parts) > 1 else "/"
        route = "/" + path.lstrip("/").split("/", 1)[0]
        span = self.tracer.start_span(f"{method} {route}", context=extract(carrier), kind=trace.SpanKind.SERVER,
                                      attributes={"http.request.method": method, "url.path": path[:300],
                                                  "http.route": route, "client.address": client_ip})
        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            return await self._exchange(head, reader, writer, client_ip, span)
        finally:
            otel_context.detach(token)
            span.end()

    async def _exchange(self, head: Head, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                        client_ip: str, span: Any) -> bool:
        parts = head.start.split(b" ")
        if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
            raise ProtocolError("malformed request line")
        method, target, version = parts
        tokens = head.connection_tokens()
        keep_alive = b"close" not in tokens and (version == b"HTTP/1.1" or b"keep-alive" in tokens)
        if target == HEALTH_PATH:
            body = json.dumps(self.health()).encode()
            await self.simple(writer, 200, body, close=not keep_alive, content_type=b"application/json")
            return keep_alive
        if target == METRICS_PATH and self.client_may_scrape(client_ip):
            from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

            await self.simple(writer, 200, generate_latest(REGISTRY), close=not keep_alive,
                              content_type=CONTENT_TYPE_LATEST.encode())
            return keep_alive
        kind, length = request_framing(head)
        expect = head.get(b"expect")
        if expect is not None and expect.lower() == b"100-continue" and kind != "none":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        limit = self.gate.acl.body_limit
        raw_prefix, body, body_size, finished = await self.read_prefix(reader, kind, length, limit)
        request = HttpRequest(method.decode("latin-1"), target.decode("latin-1"),
                              [(k.decode("latin-1"), v.decode("latin-1")) for k, v in head.headers],
                              body[:limit], client_ip, body_size=body_size, http_version=version.decode())
        if span is None:
            verdict = self.gate.inspect(request)
        else:
            with self.tracer.start_as_current_span("waf.evaluate") as waf_span:
                verdict = self.gate.inspect(request)
                waf_span.set_attribute("waf.action", verdict.action)
                waf_span.set_attribute("waf.terminating_rule", verdict.terminating_rule_id)
            span.set_attribute("waf.action", verdict.action)
        if verdict.action == "BLOCK":
            status, headers, payload = block_response(verdict)
            if span is not None:
                span.set_attribute("http.response.status_code", status)
            close = not keep_alive or not finished
            extra = [(k, v) for k, v in headers if k not in (b"content-type", b"content-length")]
            await self.simple(writer, status, payload, close=close, content_type=dict(headers)[b"content-type"],
                              extra=extra)
            return not close
        self.served += 1
        inserts = verdict.insert_headers
        if span is not None:
            from opentelemetry.propagate import inject

            carrier: dict[str, str] = {}
            inject(carrier)  # this request's span becomes the parent of the application's spans
            inserts = (*inserts, *carrier.items())
        upstream_head = self.upstream_head(head, method, target, client_ip, inserts)
        return await self.forward(upstream_head, raw_prefix, kind, length - len(raw_prefix), finished, method,
                                  reader, writer, keep_alive)

    async def read_prefix(self, reader: asyncio.StreamReader, kind: str, length: int, limit: int
                          ) -> tuple[bytes, bytes, int, bool]:
        """(raw bytes read, decoded prefix, body size for the WAF, whole body read?)."""
        if kind == "none":
            return b"", b"", 0, True
        if kind == "length":
            prefix = await reader.readexactly(min(length, limit)) if length else b""
            return prefix, prefix, length, len(prefix) == length
        raw = bytearray()
        decoded = bytearray()
        while len(decoded) <= limit:
            chunk_raw, data = await read_chunk(reader)
            raw += chunk_raw
            if not data:
                return bytes(raw), bytes(decoded), len(decoded), True
            decoded += data
        return bytes(raw), bytes(decoded), len(decoded), False

    @staticmethod
    def client_may_scrape(client_ip: str) -> bool:
        """Metrics go to loopback and private networks only (a scraper, not the internet)."""
        import ipaddress

        try:
            address = ipaddress.ip_address(client_ip)
        except ValueError:
            return False
        return address.is_loopback or address.is_private

    def upstream_head(self, head: Head, method: bytes, target: bytes, client_ip: str,
                      inserts: tuple[tuple[str, str], ...]) -> bytes:
        drop = HOP_BY_HOP | {t for t in head.connection_tokens()} | {b"expect"}
        if any(n.lower() == "traceparent" for n, _ in inserts):
            drop = drop | {b"traceparent", b"tracestate"}
        headers: list[tuple[bytes, bytes]] = []
        forwarded = None
        for name, value in head.headers:
            lower = name.lower()
            if lower in drop:
                continue
            if lower == b"x-forwarded-for":
                forwarded = value if forwarded is None else forwarded + b", " + value
                continue
            headers.append((name, value))
        ip = client_ip.encode()
        headers.append((b"X-Forwarded-For", forwarded + b", " + ip if forwarded else ip))
        headers.append((b"X-Forwarded-Proto", self.scheme))
        headers.extend((n.encode("latin-1"), v.encode("latin-1")) for n, v in inserts)
        headers.append((b"Connection", b"keep-alive"))
        return serialise_head(method + b" " + target + b" HTTP/1.1", headers)

    async def forward(self, upstream_head: bytes, raw_prefix: bytes, kind: str, remaining: int, finished: bool,
                      method: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                      keep_alive: bool) -> bool:
        for attempt in range(len(self.pool.upstreams) + 1):
            upstream = self.pool.pick()
            try:
                conn, pooled = await upstream.acquire()
            except (TimeoutError, OSError):
                if upstream.healthy:
                    log.warning("upstream %s refused the connection", upstream.url)
                self.pool.mark_down(upstream)
                continue
            up_reader, up_writer = conn
            try:
                up_writer.write(upstream_head + raw_prefix)
                if not finished:
                    if kind == "length":
                        await copy_length(reader, up_writer, remaining)
                    else:
                        await copy_chunked(reader, up_writer)
                    finished = True
                await up_writer.drain()
                resp = await asyncio.wait_for(self._response_head(up_reader), self.upstream_timeout)
            except (ConnectionError, asyncio.IncompleteReadError, ProtocolError) as exc:
                up_writer.close()
                if pooled and finished and attempt == 0:
                    continue  # a stale keep-alive connection: retry once on a fresh one
                log.warning("upstream %s failed: %s", upstream.url, exc)
                await self.simple(writer, 502, b"upstream failed\n", close=True)
                return False
            except TimeoutError:
                up_writer.close()
                await self.simple(writer, 504, b"upstream timed out\n", close=True)
                return False
            self.pool.mark_up(upstream)
            return await self._relay(resp, method, up_reader, up_writer, upstream, writer, keep_alive)
        await self.simple(writer, 502, b"no upstream reachable\n", close=True)
        return False

    async def _response_head(self, up_reader: asyncio.StreamReader) -> Head:
        while True:
            resp = await read_head(up_reader)
            if resp is None:
                raise asyncio.IncompleteReadError(b"", None)
            status = int(resp.start.split(b" ", 2)[1])
            if status >= 200 or status == 101:
                return resp

    async def _relay(self, resp: Head, method: bytes, up_reader: asyncio.StreamReader,
                     up_writer: asyncio.StreamWriter, upstream: Upstream, writer: asyncio.StreamWriter,
                     keep_alive: bool) -> bool:
        status = int(resp.start.split(b" ", 2)[1])
        kind, length = response_framing(resp, method, status)
        reusable = kind != "close" and b"close" not in resp.connection_tokens()
        keep = keep_alive and kind != "close"
        drop = HOP_BY_HOP | resp.connection_tokens()
        headers = [(n, v) for n, v in resp.headers if n.lower() not in drop]
        headers.append((b"Connection", b"keep-alive" if keep else b"close"))
        out = serialise_head(b"HTTP/1.1" + resp.start[8:], headers)
        try:
            if kind == "length" and length <= 65536:
                writer.write(out + (await up_reader.readexactly(length) if length else b""))
                await writer.drain()
            else:
                writer.write(out)
                if kind == "length":
                    await copy_length(up_reader, writer, length)
                elif kind == "chunked":
                    await copy_chunked(up_reader, writer)
                elif kind == "close":
                    await copy_until_close(up_reader, writer)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ProtocolError):
            up_writer.close()
            return False
        if reusable:
            upstream.release((up_reader, up_writer))
        else:
            up_writer.close()
        return keep

    def health(self) -> dict[str, object]:
        return {"status": "ok" if any(u.healthy for u in self.pool.upstreams) else "degraded",
                "time": time.time(), "waf": self.gate.status(), "active_connections": self.active,
                "upstreams": [{"url": u.url, "healthy": u.healthy, "idle": len(u.idle)} for u in self.pool.upstreams]}
