"""A proxy between two upstreams we control, all on loopback in one background event loop.

- :class:`StrictUpstream` parses with h11 and records every request (and every protocol error).
- :class:`LenientUpstream` is deliberately naive, like the servers smuggling attacks target: it
  takes the first Content-Length, ignores Content-Length on GET (CL.0), treats any
  Transfer-Encoding mentioning "chunked" as chunked, reads chunk sizes with Python's ``int(x, 16)``
  (``0x5``, ``+5``, ``0_5``), accepts bare LF and obs-fold, and serves pipelined requests. It
  notes every request that would be ambiguous to a stricter parser; through the proxy that list
  must stay empty.

Both answer ``200`` with a JSON echo (method, target, Host, ``X-Req-Id``, body length and hash),
so a client can check it got the response to its own request. Special targets:

- ``/double`` answers twice (``/split-double`` in two writes);
- ``/late-extra`` sends stray bytes 50 ms after its response;
- ``/eof`` answers without a length and closes;
- ``/chunked-response`` answers chunked;
- ``/no-content`` answers 204 with a stray Content-Length;
- ``/hang`` never answers;
- ``/bad-framing`` answers with two Content-Lengths.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h11
import httptools
import pytest

from assetguard.waf.frontdoor.limits import FrontDoorLimits
from assetguard.waf.gate import WafGate
from assetguard.waf.logs import BlockedEventPublisher, WafLogWriter
from assetguard.waf.proxy import WafProxy
from tests.waf.conftest import make_acl

NONE = [{"Priority": 0, "Type": "NONE"}]
ACL = make_acl([{"Name": "no-admin", "Priority": 0, "Action": {"Block": {}}, "Statement": {"ByteMatchStatement": {
    "SearchString": "/admin", "PositionalConstraint": "STARTS_WITH", "FieldToMatch": {"UriPath": {}},
    "TextTransformations": NONE}}}])


def echo(method: bytes, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
    lower = {k.lower(): v for k, v in headers}
    payload = json.dumps({"method": method.decode(), "target": target.decode("latin-1"),
                          "host": lower.get(b"host", b"").decode("latin-1"),
                          "id": lower.get(b"x-req-id", b"").decode("latin-1"), "len": len(body),
                          "sha": hashlib.sha256(body).hexdigest()}).encode()
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
        len(payload), payload)


SECOND = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nPOISON"


@dataclass
class Seen:
    method: bytes
    target: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes


@dataclass
class StrictUpstream:
    """h11 server: any request h11 refuses is a protocol violation the proxy let through."""

    requests: list[Seen] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)  # all bytes of each connection, for re-parsing
    violations: list[str] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER)
        raw = bytearray()
        self.raw.append(b"")
        index = len(self.raw) - 1
        try:
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    data = await reader.read(65536)
                    raw += data
                    self.raw[index] = bytes(raw)
                    conn.receive_data(data)
                    if not data and conn.their_state is h11.IDLE:
                        return
                    continue
                if isinstance(event, h11.ConnectionClosed):
                    return
                if not isinstance(event, h11.Request):
                    raise h11.RemoteProtocolError(f"unexpected {event!r}")
                body = bytearray()
                while True:
                    part = conn.next_event()
                    if part is h11.NEED_DATA:
                        data = await reader.read(65536)
                        raw += data
                        self.raw[index] = bytes(raw)
                        conn.receive_data(data)
                        if not data:
                            raise h11.RemoteProtocolError("closed mid-body")
                    elif isinstance(part, h11.Data):
                        body += part.data
                    elif isinstance(part, h11.EndOfMessage):
                        break
                headers = list(event.headers.raw_items())
                self.requests.append(Seen(event.method, event.target, headers, bytes(body)))
                if await respond(event.target, headers, bytes(body), event.method, writer):
                    return
                # the response went out as raw bytes: a fresh h11 state for the next request
                leftover, closed = conn.trailing_data
                conn = h11.Connection(h11.SERVER)
                if leftover:
                    conn.receive_data(leftover)
                if closed:
                    conn.receive_data(b"")  # h11's end-of-stream signal
        except h11.RemoteProtocolError as exc:
            self.violations.append(f"{exc}: {bytes(raw)[:200]!r}")
        except ConnectionError:
            pass
        finally:
            writer.close()


async def respond(target: bytes, headers: list[tuple[bytes, bytes]], body: bytes, method: bytes,
                  writer: asyncio.StreamWriter) -> bool:
    """Write the answer; True when the connection must end."""
    answer = echo(method, target, headers, body)
    if target.startswith(b"/double"):
        writer.write(answer + SECOND)
    elif target.startswith(b"/split-double"):  # the second answer in its own write, right after the first
        writer.write(answer)
        await writer.drain()
        writer.write(SECOND)
    elif target.startswith(b"/late-extra"):
        writer.write(answer)
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(SECOND)
    elif target.startswith(b"/eof"):
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil-close " + target)
        await writer.drain()
        return True
    elif target.startswith(b"/hang"):
        await asyncio.sleep(3600)
    elif target.startswith(b"/bad-framing"):
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!")
    elif target.startswith(b"/no-content"):
        writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n")
    elif target.startswith(b"/chunked-response"):
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
    else:
        writer.write(answer)
    await writer.drain()
    return False


HEXLIKE = re.compile(rb"[0-9a-fA-F]{1,16}")


@dataclass
class LenientUpstream:
    """A naive server (see the module docstring); ``ambiguous`` lists what a strict one would refuse."""

    requests: list[Seen] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buf = b""

        async def more() -> bool:
            nonlocal buf
            data = await reader.read(65536)
            buf += data
            return bool(data)

        try:
            while True:
                while b"\n\n" not in buf.replace(b"\r\n", b"\n"):
                    if not await more():
                        return
                end = _head_end(buf)
                head, buf = buf[:end], buf[end:]
                lines = head.replace(b"\r\n", b"\n").rstrip(b"\n").split(b"\n")
                while lines and not lines[0]:
                    lines.pop(0)
                start = lines[0].split()
                method, target = start[0], start[1] if len(start) > 1 else b"/"
                headers: list[tuple[bytes, bytes]] = []
                for line in lines[1:]:
                    if line[:1] in (b" ", b"\t") and headers:
                        self.note("obs-fold", head)
                        name, value = headers.pop()
                        headers.append((name, value + b" " + line.strip()))
                        continue
                    name, _, value = line.partition(b":")
                    if name != name.strip():
                        self.note("white space around a field name", head)
                    headers.append((name.strip(), value.strip()))
                self.check_head(head, method, headers)
                cls = [v for k, v in headers if k.lower() == b"content-length"]
                tes = [v for k, v in headers if k.lower() == b"transfer-encoding"]
                body = b""
                if tes and b"chunked" in tes[0].lower():
                    while True:
                        while b"\n" not in buf:
                            if not await more():
                                return
                        line, _, buf = buf.partition(b"\n")
                        size_text = line.rstrip(b"\r").split(b";")[0]
                        if HEXLIKE.fullmatch(size_text) is None:
                            self.note(f"chunk size {size_text!r}", head)
                        size = int(size_text.strip() or b"0", 16)
                        if size == 0:
                            while b"\n" not in buf:
                                if not await more():
                                    return
                            _, _, buf = buf.partition(b"\n")
                            break
                        while len(buf) < size + 2:
                            if not await more():
                                return
                        body += buf[:size]
                        buf = buf[size + 2:]
                elif cls and method != b"GET":  # CL.0: a GET's Content-Length is ignored
                    size = int(cls[0])
                    while len(buf) < size:
                        if not await more():
                            return
                    body, buf = buf[:size], buf[size:]
                self.requests.append(Seen(method, target, headers, body))
                if await respond(target, headers, body, method, writer):
                    return
        except (ConnectionError, ValueError, IndexError):
            self.note("unparseable", buf[:200])
        finally:
            writer.close()

    def note(self, what: str, head: bytes) -> None:
        self.ambiguous.append(f"{what}: {head[:200]!r}")

    def check_head(self, head: bytes, method: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        if re.search(rb"(?<!\r)\n", head) or re.search(rb"\r(?!\n)", head):
            self.note("bare LF or CR", head)
        if re.search(rb"[\x00-\x08\x0a-\x1f\x7f]", head.replace(b"\r\n", b"")):
            self.note("control byte", head)
        names = [k.lower() for k, _ in headers]
        if names.count(b"content-length") > 1 or names.count(b"transfer-encoding") > 1:
            self.note("repeated framing field", head)
        if b"content-length" in names and b"transfer-encoding" in names:
            self.note("CL and TE", head)
        te = [v for k, v in headers if k.lower() == b"transfer-encoding"]
        if te and te[0] != b"chunked":
            self.note(f"Transfer-Encoding {te[0]!r}", head)
        if names.count(b"host") != 1:
            self.note("Host count", head)
        if method == b"GET" and (b"content-length" in names and dict(
                (k.lower(), v) for k, v in headers)[b"content-length"] != b"0" or b"transfer-encoding" in names):
            self.note("GET with a body", head)
        connection = b",".join(v for k, v in headers if k.lower() == b"connection").lower()
        if any(t in connection for t in (b"content-length", b"transfer-encoding", b"host")):
            self.note("Connection names a framing field", head)


def _head_end(buf: bytes) -> int:
    candidates = [i + n for i, n in ((buf.find(b"\r\n\r\n"), 4), (buf.find(b"\n\n"), 2), (buf.find(b"\r\n\n"), 3))
                  if i >= 0]
    return min(candidates)


class Harness:
    """Upstream(s) and the proxy in a background loop; the test talks to ``proxy_port`` with sockets."""

    def __init__(self, gate: WafGate, upstream: StrictUpstream | LenientUpstream, limits: FrontDoorLimits,
                 extra_upstreams: int = 0, use_uvloop: bool = False) -> None:
        self.gate = gate
        self.upstream = upstream
        self.errors: list[str] = []
        if use_uvloop:  # what `assetguard waf proxy` runs on
            import uvloop

            self.loop = uvloop.new_event_loop()
        else:
            self.loop = asyncio.new_event_loop()
        self.stopping = False
        self.loop.set_exception_handler(lambda _loop, ctx: None if self.stopping else self.errors.append(
            f"{ctx.get('message')}: {ctx.get('exception')!r}"))
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.servers: list[asyncio.base_events.Server] = []
        ports = [self.call(self._serve(upstream.handle)) for _ in range(1 + extra_upstreams)]
        upstream.port = ports[0]
        self.proxy = WafProxy(gate, [f"http://127.0.0.1:{p}" for p in ports], check_interval=30, limits=limits)
        self.call(self.proxy.start("127.0.0.1", 0))
        self.proxy_port = self.proxy.port

    async def _serve(self, handler: Callable[..., Any]) -> int:
        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        self.servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    def call(self, coro: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        async def close() -> None:
            await self.proxy.close()
            for server in self.servers:
                server.close()
            self.stopping = True  # cancelling the upstreams' own handlers below is not the proxy's doing
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:  # upstream handlers still serving pooled connections
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.call(close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()

    def connect(self, timeout: float = 10) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.proxy_port), timeout=timeout)

    def send(self, raw: bytes, *, responses: int = 1, timeout: float = 10, shut: bool = True) -> list[Response]:
        """Send ``raw`` on a new connection; the responses read until ``responses`` or the connection ends."""
        with self.connect(timeout) as sock:
            sock.sendall(raw)
            if shut:
                sock.shutdown(socket.SHUT_WR)
            return read_responses(sock, responses)


@dataclass
class Response:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def header(self, name: bytes) -> bytes | None:
        return next((v for k, v in self.headers if k.lower() == name), None)

    def json(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


class _ResponseSink:
    def __init__(self) -> None:
        self.done: list[Response] = []
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = b""
        self.parser: httptools.HttpResponseParser | None = None

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        assert self.parser is not None
        self.done.append(Response(self.parser.get_status_code(), self.headers, self.body))
        self.headers, self.body = [], b""


def read_responses(sock: socket.socket, count: int) -> list[Response]:
    """Up to ``count`` complete responses (fewer when the connection ends first)."""
    sink = _ResponseSink()
    parser = httptools.HttpResponseParser(sink)
    sink.parser = parser
    while len(sink.done) < count:
        try:
            data = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not data:
            if sink.headers or sink.body:  # a close-delimited body
                sink.done.append(Response(parser.get_status_code(), sink.headers, sink.body))
            break
        parser.feed_data(data)
    return sink.done


def request(target: str = "/user", *, rid: str = "", method: str = "GET", body: bytes = b"",
            extra: str = "") -> bytes:
    head = f"{method} {target} HTTP/1.1\r\nHost: app.example\r\nUser-Agent: t\r\nX-Req-Id: {rid}\r\n{extra}"
    if body or method in ("POST", "PUT"):
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


@pytest.fixture
def make_harness(compile_doc, tmp_path: Path) -> Iterator[Callable[..., Harness]]:  # type: ignore[no-untyped-def]
    made: list[Harness] = []

    def make(upstream: str | StrictUpstream | LenientUpstream = "strict", *, events: Any = None,
             extra_upstreams: int = 0, use_uvloop: bool = False, **limits: Any) -> Harness:
        target = upstream if not isinstance(upstream, str) else (
            StrictUpstream() if upstream == "strict" else LenientUpstream())
        publisher = BlockedEventPublisher(events, sample_rate=1.0) if events is not None else None
        gate = WafGate(lambda: compile_doc(ACL), log_writer=WafLogWriter(tmp_path / "waf.jsonl"), events=publisher,
                       source="assetguard-proxy")
        limits.setdefault("header_timeout", 5.0)
        limits.setdefault("body_timeout", 5.0)
        harness = Harness(gate, target, FrontDoorLimits(**limits), extra_upstreams, use_uvloop)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.stop()
        harness.gate.close()
        assert harness.errors == [], harness.errors  # nothing escaped the proxy's handlers


def log_records(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "waf.jsonl"
    deadline = time.monotonic() + 5
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return [json.loads(line) for line in path.read_text().splitlines()]
