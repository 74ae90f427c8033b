"""``assetguard waf proxy``: a WAF reverse proxy on asyncio (uvloop when installed).

Per client connection (keep-alive, HTTP/1.0 and 1.1), through the front door
(:mod:`assetguard.waf.frontdoor`): llhttp parses the request strictly, the canonical request is
checked, at most the ACL's body inspection limit of the body is read and evaluated, then either
the block response is answered or a canonical head is written upstream over a pooled connection -
the inspected prefix first, the rest of the body streamed with backpressure - and the response is
streamed back. A refusal is logged, counted and published like a rule block.
``X-Forwarded-For`` gets the client address appended. Upstreams are used round-robin and checked
in the background; ``/__assetguard/health`` answers without inspection. The ACL reloads on SIGHUP
(see :class:`~assetguard.waf.gate.WafGate`).

Example::

    server = WafProxy(gate, ["http://127.0.0.1:8001"])
    await server.start("127.0.0.1", 8000)
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import ssl
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from assetguard.waf.frontdoor.client import ClientStream
from assetguard.waf.frontdoor.errors import Refusal, UpstreamError
from assetguard.waf.frontdoor.limits import FrontDoorLimits
from assetguard.waf.frontdoor.parser import MessageParser
from assetguard.waf.frontdoor.refusals import partial_request, record_refusal
from assetguard.waf.frontdoor.request import CanonicalRequest, canonical_request, response_head, upstream_head
from assetguard.waf.frontdoor.upstream import Upstream, UpstreamConnection, UpstreamPool, _feed
from assetguard.waf.frontdoor.watchdog import Watchdog
from assetguard.waf.gate import WafGate
from assetguard.waf.middleware import block_response
from assetguard.waf.request import HttpRequest

__all__ = ["WafProxy", "UpstreamPool", "Upstream", "FrontDoorLimits"]

log = logging.getLogger(__name__)

HEALTH_PATH = b"/__assetguard/health"
METRICS_PATH = b"/__assetguard/metrics"  # Prometheus scrape target of this proxy process
REASONS = {400: b"Bad Request", 403: b"Forbidden", 404: b"Not Found", 405: b"Method Not Allowed",
           408: b"Request Timeout", 413: b"Content Too Large", 429: b"Too Many Requests",
           431: b"Request Header Fields Too Large", 501: b"Not Implemented", 502: b"Bad Gateway",
           503: b"Service Unavailable", 504: b"Gateway Timeout", 505: b"HTTP Version Not Supported"}
LINGER_SECONDS = 5.0  # after a refusal, unread client input is drained this long at most (nginx: lingering_time)
LINGER_READ_SECONDS = 1.0  # ... and closed after this long without any (nginx: lingering_timeout)


class WafProxy:
    """The proxy server; ``start`` listens, ``close`` stops accepting and closes idle connections."""

    def __init__(self, gate: WafGate, upstreams: list[str], *, scheme: str = "http",
                 keepalive_timeout: float | None = None, upstream_timeout: float | None = None,
                 check_interval: float = 5.0, health_path: str | None = None, tracer: Any = None,
                 limits: FrontDoorLimits | None = None) -> None:
        limits = limits or FrontDoorLimits()
        if keepalive_timeout is not None:
            limits = replace(limits, keepalive_timeout=keepalive_timeout)
        if upstream_timeout is not None:
            limits = replace(limits, upstream_timeout=upstream_timeout)
        self.limits = limits
        self.gate = gate
        self.tracer = tracer  # an OpenTelemetry tracer: spans per request and W3C traceparent upstream
        self.pool = UpstreamPool(upstreams, check_interval, health_path=health_path, limits=limits)
        self.watchdog = Watchdog.for_limits(limits)  # every client and upstream deadline, one periodic check
        for upstream in self.pool.upstreams:
            upstream.watchdog = self.watchdog
        self.scheme = scheme.encode()
        self.server: asyncio.base_events.Server | None = None
        self.active = 0
        self.served = 0
        self._checks: asyncio.Task[None] | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int, *, ssl_context: ssl.SSLContext | None = None,
                    reuse_port: bool = False) -> None:
        self.server = await asyncio.start_server(self.handle, host, port, ssl=ssl_context,
                                                 limit=self.limits.stream_buffer, reuse_port=reuse_port or None,
                                                 backlog=1024)
        self._checks = asyncio.create_task(self.pool.run_checks())
        self.watchdog.start()

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
        await self.watchdog.stop()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        client_ip = str(peer[0]) if peer else "127.0.0.1"
        if self.active >= self.limits.max_connections:
            refusal = Refusal(503, "too_many_connections", f"more than {self.limits.max_connections} connections")
            record_refusal(self.gate, refusal, partial_request(None, client_ip))
            await self._refuse_quietly(writer, refusal)
            return
        self.active += 1
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)
        stream = ClientStream(reader, self.limits, self.watchdog)
        self.watchdog.add(stream)
        try:
            try:
                first = True
                while True:
                    message = await stream.next_head(first)
                    first = False
                    if message is None or not await self.exchange(message, stream, writer, client_ip):
                        break
            except Refusal as exc:
                record_refusal(self.gate, exc, partial_request(stream.message, client_ip))
                await self._refuse_quietly(writer, exc, reader)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client went away, was too slow to take a response, or the proxy is closing
        finally:
            self.watchdog.discard(stream)
            self.active -= 1
            writer.close()

    async def _refuse_quietly(self, writer: asyncio.StreamWriter, refusal: Refusal,
                              reader: asyncio.StreamReader | None = None) -> None:
        try:
            await self.simple(writer, refusal.status, (refusal.detail + "\n").encode(), close=True)
            if reader is not None:
                await self._linger(reader, writer)
        except (OSError, TimeoutError):
            pass
        finally:
            writer.close()

    async def _linger(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Drop what the client still sends for a moment before closing (nginx's lingering close):
        closing a socket with unread input resets it, and the client may never see the refusal."""
        if writer.can_write_eof():
            writer.write_eof()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LINGER_SECONDS
        try:
            while True:
                async with asyncio.timeout_at(min(deadline, loop.time() + LINGER_READ_SECONDS)):
                    if not await reader.read(self.limits.stream_buffer):
                        return
        except TimeoutError:
            return

    async def simple(self, writer: asyncio.StreamWriter, status: int, body: bytes, *, close: bool,
                     content_type: bytes = b"text/plain; charset=utf-8",
                     extra: Sequence[tuple[bytes, bytes]] = ()) -> None:
        lines = [b"HTTP/1.1 %d %s" % (status, REASONS.get(status, b"Error")), b"Content-Type: " + content_type,
                 b"Content-Length: %d" % len(body)]
        lines.extend(n + b": " + v for n, v in extra)
        lines.append(b"Connection: close" if close else b"Connection: keep-alive")
        if not writer.is_closing():
            writer.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
            await self._drain(writer)

    async def _drain(self, writer: asyncio.StreamWriter) -> None:
        transport = writer.transport
        if transport.get_write_buffer_size() > self.limits.stream_buffer:
            async with asyncio.timeout(self.limits.send_timeout):
                await writer.drain()

    async def exchange(self, message: MessageParser, stream: ClientStream, writer: asyncio.StreamWriter,
                       client_ip: str) -> bool:
        """One request/response; returns whether the client connection stays open."""
        if self.tracer is None or message.url in (HEALTH_PATH, METRICS_PATH):
            return await self._exchange(message, stream, writer, client_ip, None)
        from opentelemetry import context as otel_context
        from opentelemetry import trace
        from opentelemetry.propagate import extract

        carrier = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in message.headers}
        method = message.method.decode("latin-1")
        path = message.url.split(b"?", 1)[0].decode("latin-1")
        route = "/" + path.lstrip("/").split("/", 1)[0]
        span = self.tracer.start_span(f"{method} {route}", context=extract(carrier), kind=trace.SpanKind.SERVER,
                                      attributes={"http.request.method": method, "url.path": path[:300],
                                                  "http.route": route, "client.address": client_ip})
        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            return await self._exchange(message, stream, writer, client_ip, span)
        finally:
            otel_context.detach(token)
            span.end()

    async def _exchange(self, message: MessageParser, stream: ClientStream, writer: asyncio.StreamWriter,
                        client_ip: str, span: Any) -> bool:
        request = canonical_request(message)
        keep_alive = request.keep_alive
        if request.target == HEALTH_PATH or (request.target == METRICS_PATH and self.client_may_scrape(client_ip)):
            keep_alive = keep_alive and message.complete
            if request.target == HEALTH_PATH:
                body, content_type = json.dumps(self.health()).encode(), b"application/json"
            else:
                from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

                body, content_type = generate_latest(REGISTRY), CONTENT_TYPE_LATEST.encode()
            await self.simple(writer, 200, body, close=not keep_alive, content_type=content_type)
            return keep_alive
        max_body = self.limits.max_body_bytes
        if max_body and request.length > max_body:
            raise Refusal(413, "body_too_large", f"Content-Length {request.length} above {max_body} bytes")
        if request.expect_continue and not message.complete:
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        limit = self.gate.acl.body_limit
        pieces: list[bytes] = []
        size = 0
        finished = False
        while size <= limit:
            piece = await stream.body_piece()  # b"" at once when there is no body
            if not piece:
                finished = True
                break
            pieces.append(piece)
            size += len(piece)
        body = pieces[0] if len(pieces) == 1 else b"".join(pieces)
        waf_request = HttpRequest(request.method.decode("latin-1"), request.target.decode("latin-1"),
                                  [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers],
                                  body[:limit], client_ip,
                                  body_size=request.length if request.framing == "length" else size,
                                  http_version="HTTP/" + request.version)
        if span is None:
            verdict = self.gate.inspect(waf_request)
        else:
            with self.tracer.start_as_current_span("waf.evaluate") as waf_span:
                verdict = self.gate.inspect(waf_request)
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
            if not finished:  # the rest of the body is unread: let the client see the answer before closing
                await self._linger(stream.reader, writer)
            return not close
        self.served += 1
        inserts = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in verdict.insert_headers]
        if span is not None:
            from opentelemetry.propagate import inject

            carrier: dict[str, str] = {}
            inject(carrier)  # this request's span becomes the parent of the application's spans
            inserts.extend((k.encode("latin-1"), v.encode("latin-1")) for k, v in carrier.items())
        if finished:
            framing = b"Content-Length: %d" % size if request.framing != "none" or size else b""
        elif request.framing == "length":
            framing = b"Content-Length: %d" % request.length
        else:
            framing = b"Transfer-Encoding: chunked"
        return await self.forward(request, body, finished, framing, inserts, client_ip, stream, writer)

    @staticmethod
    def client_may_scrape(client_ip: str) -> bool:
        """Metrics go to loopback and private networks only (a scraper, not the internet)."""
        try:
            address = ipaddress.ip_address(client_ip)
        except ValueError:
            return False
        return address.is_loopback or address.is_private

    async def forward(self, request: CanonicalRequest, body: bytes, finished: bool, framing: bytes,
                      inserts: list[tuple[bytes, bytes]], client_ip: str, stream: ClientStream,
                      writer: asyncio.StreamWriter) -> bool:
        chunked = framing.startswith(b"Transfer-Encoding")
        no_body = request.method == b"HEAD"
        for attempt in range(len(self.pool.upstreams) + 1):
            upstream = self.pool.pick()
            head = upstream_head(request, request.host or upstream.authority, client_ip.encode(), self.scheme,
                                 inserts, framing)
            try:
                conn, pooled = await upstream.acquire()
            except (TimeoutError, OSError):
                if upstream.healthy:
                    log.warning("upstream %s refused the connection", upstream.url)
                self.pool.mark_down(upstream)
                continue
            try:
                client_done = await self._send(conn, head, body, finished, chunked, stream)
                response, data, pos = await conn.read_response_head(no_body)
            except UpstreamError as exc:
                conn.close()
                if pooled and finished and attempt == 0 and exc.status == 502:
                    continue  # a stale keep-alive connection: retry once on a fresh one
                log.warning("upstream %s failed: %s", upstream.url, exc)
                await self.simple(writer, exc.status, b"upstream failed\n" if exc.status == 502
                                  else b"upstream timed out\n", close=True)
                return False
            except BaseException:
                conn.close()
                raise
            self.pool.mark_up(upstream)
            try:
                return await self._relay(response, data, pos, conn, upstream, writer,
                                         request.keep_alive and client_done, request.version == "1.1")
            except BaseException:
                conn.close()
                raise
        await self.simple(writer, 502, b"no upstream reachable\n", close=True)
        return False

    async def _send(self, conn: UpstreamConnection, head: bytes, body: bytes, finished: bool, chunked: bool,
                    stream: ClientStream) -> bool:
        """Write the request upstream; whether the client's body was read to its end."""
        if chunked and body:
            conn.write(head + b"%x\r\n" % len(body) + body + b"\r\n")
        else:
            conn.write(head + body)
        if not finished:
            while True:
                if conn.early:  # the upstream answered before the body was sent: stop; the connection is spent
                    return False
                piece = await stream.body_piece()
                if not piece:
                    break
                if chunked:
                    conn.write(b"%x\r\n" % len(piece))
                    conn.write(piece)
                    conn.write(b"\r\n")
                else:
                    conn.write(piece)
                await conn.drain()
            if chunked:
                conn.write(b"0\r\n\r\n")
        conn.request_sent = True
        await conn.drain()
        return True

    async def _relay(self, response: MessageParser, data: bytes, pos: int, conn: UpstreamConnection,
                     upstream: Upstream, writer: asyncio.StreamWriter, keep_alive: bool, http11: bool) -> bool:
        """Stream the response to the client; the upstream connection goes back only when clean."""
        chunk_out = False
        if response.framing == "none":  # HEAD, 1xx, 204, 304: no body; Content-Length stays as information
            length = response.content_length()
            framing = b"Content-Length: %d" % length if length is not None and response.status != 204 else b""
        elif response.framing == "length":
            framing = b"Content-Length: %d" % (response.content_length() or 0)
        elif http11:
            framing, chunk_out = b"Transfer-Encoding: chunked", True
        else:
            framing, keep_alive = b"", False  # an HTTP/1.0 client: the body ends with the connection
        out = response_head(response.status, response.reason, response.headers, framing, keep_alive)
        body = response.body
        if chunk_out:
            writer.write(out)
        else:  # head and whatever body came with it in one write (the whole response, for most)
            writer.write(out + b"".join(body) if body else out)
            body.clear()
        while not response.complete:
            while body:
                piece = body.popleft()
                if chunk_out:
                    writer.write(b"%x\r\n" % len(piece))
                    writer.write(piece)
                    writer.write(b"\r\n")
                else:
                    writer.write(piece)
            await self._drain(writer)
            if pos < len(data):
                pos += _feed(response, data, pos)
                continue
            try:
                data, pos = await conn.read(), 0
            except UpstreamError as exc:
                log.warning("upstream %s failed mid-response: %s", upstream.url, exc)
                conn.close()
                return False  # the head is out: the client sees the connection close
            if not data:
                response.eof()
                if not response.complete:
                    log.warning("upstream %s closed mid-response", upstream.url)
                    conn.close()
                    return False
        while body:
            piece = body.popleft()
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunk_out else piece)
        if chunk_out:
            writer.write(b"0\r\n\r\n")
        if pos < len(data) or not response.keep_alive():
            conn.close()  # bytes after the response, or the upstream will close: never reuse
        else:
            upstream.release(conn)
        await self._drain(writer)
        return keep_alive

    def health(self) -> dict[str, object]:
        return {"status": "ok" if any(u.healthy for u in self.pool.upstreams) else "degraded",
                "time": time.time(), "waf": self.gate.status(), "active_connections": self.active,
                "upstreams": [{"url": u.url, "healthy": u.healthy, "idle": len(u.idle)} for u in self.pool.upstreams]}
