"""``POST /events`` on the lean path: an ASGI handler ahead of FastAPI, and group commit.

The route in :mod:`assetguard.api.routes.events` stays the reference and the OpenAPI
documentation; :func:`install` puts :class:`IngestApp` in front of the application's whole
middleware stack (OpenTelemetry's included), and it answers the common request itself:

``POST /events`` with ``Authorization: Bearer <token>``, ``Content-Type: application/json``, and a body
that parses to ``{"Entries": [...]}`` with 1-10 items. Each entry is checked by the same
:func:`~assetguard.events.put_events.check_entries` the route uses; the request then joins the
process's :class:`GroupCommitter` and is answered once its entries are committed.

Everything else goes to the FastAPI route with the body already read: a console session cookie
(CSRF), no or another credential, a body that is not JSON or not UTF-8, a body of another shape,
more than 10 entries. So those answers (400 naming the field or the byte, 422, 401) are the route's
own, exactly. A body over :data:`MAX_BODY_BYTES` is refused with 413 on both paths, before any of
it is parsed.

Group commit: :data:`WRITERS` writers per process on PostgreSQL (one on SQLite), each with a
connection of its own. A request's entries wait while every writer is in a transaction; the next
transaction takes every request that arrived meanwhile (up to :data:`GROUP_MAX_ENTRIES` entries).
In that one transaction the writer

1. reads the rows of the requests' tokens (by SHA-256 hash, as ``TokenService.authenticate``);
2. inserts the outbox rows of every request whose token exists, is not revoked and has the
   operator role (``bus.enqueue(events, conn=...)``, the transactional outbox);
3. records "last used" for tokens whose stamp is over a minute old (the condition is in the
   UPDATE, as ``TokenService.touch``);

and commits. Only then are the requests answered: 200 with their EventIds, 401 (through the
failed-authentication throttle, so 429 once it is over the limit) or 403. An answered EventId is
committed. If the transaction fails, each request of the group is retried in a transaction of
its own, so one request's failure is not another's.

Revocation stays immediate, across processes: there is no token cache. The token is read in the
very transaction that inserts the request's entries, so a token whose revocation committed before
that transaction started is refused, and none of its entries is written; the read costs one
indexed query per group, not per request.

Telemetry: every request records OpenTelemetry's ``http.server.request.duration`` (the instrument
of the application's own instrumentation, same name and attributes). Server spans are sampled: every answer other than 200, every request whose
``traceparent`` asks for sampling, and at most one other request per second (attribute
``assetguard.span.sampled_one_in`` gives the requests it stands for), since a span per request
was most of a request's cost.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import json
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, or_, select, update

from assetguard.auth.principal import ROLE_RANK
from assetguard.auth.tables import api_tokens
from assetguard.auth.tokens import LAST_USED_RESOLUTION, PREFIX
from assetguard.core.clock import utcnow
from assetguard.events.bus import OutboxBus
from assetguard.events.put_events import MAX_ENTRIES, MAX_ENTRY_BYTES, answer, check_entries
from assetguard.events.tables import event_outbox

try:
    import orjson
except ImportError:  # pragma: no cover - a dependency; json gives the same rows and answers, slower
    orjson = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Ten entries of 256 KB each, every byte written up to three times larger in JSON (a 2-byte UTF-8
# character as \u00e9, a Detail's quotes escaped again inside its JSON string), and room to spare.
MAX_BODY_BYTES = 8 * 1024 * 1024
GROUP_MAX_ENTRIES = 2000
WRITERS = 2  # transactions in flight at once per process, on PostgreSQL
REQUIRED_ROLE = "operator"
SPAN_INTERVAL_SECONDS = 1.0
ROUTE = "/events"
_AS_RECEIVED = "assetguard.ingest.scope"  # the scope before the forwarded client was put in

_JSON_TYPES = (b"application/json",)
_T = api_tokens.c
_SELECT_TOKENS = (f"SELECT {_T.token_hash.name}, {_T.id.name}, {_T.role.name}, {_T.revoked_at.name}, "
                  f"{_T.last_used_at.name} FROM {api_tokens.name} WHERE {_T.token_hash.name} = ANY(%s)")
# the columns OutboxBus.enqueue fills, in this order
_COPY_OUTBOX = (f"COPY {event_outbox.name} ({event_outbox.c.event_id.name}, {event_outbox.c.source.name}, "
                f"{event_outbox.c.detail_type.name}, {event_outbox.c.time.name}, {event_outbox.c.event.name}) "
                "FROM STDIN")


@dataclass
class _Job:
    token_hash: str
    events: list[dict[str, Any]]
    future: asyncio.Future[tuple[str, str]] = field(repr=False)


class GroupCommitter:
    """The process's writers of ``POST /events`` entries (see the module docstring).

    ``await committer.submit(token_hash, events)`` → ``("ok", role)`` (committed),
    ``("unauthorized", "")`` (no such token, or revoked) or ``("forbidden", role)`` (a role below
    operator); a database failure raises.
    """

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.bus: OutboxBus = platform.bus  # type: ignore[assignment]
        # PostgreSQL: two writers, so one group is written while the one before commits (and the
        # server uses both cores); SQLite takes one writer at a time anyway.
        self.writers = WRITERS if platform.db.dialect == "postgresql" else 1
        self._executor = concurrent.futures.ThreadPoolExecutor(self.writers, thread_name_prefix="events-ingest")
        # per event loop (one under uvicorn; a test client may run several one after another)
        self._pending: dict[asyncio.AbstractEventLoop, deque[_Job]] = {}
        self._in_flight: dict[asyncio.AbstractEventLoop, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._local = threading.local()  # each writer thread's own connection
        self._connections: list[Connection] = []
        self._lock = threading.Lock()
        self.groups = 0  # transactions committed, for tests and the bench
        self.requests = 0

    async def submit(self, token_hash: str, events: list[dict[str, Any]]) -> tuple[str, str]:
        loop = asyncio.get_running_loop()
        job = _Job(token_hash, events, loop.create_future())
        self._pending.setdefault(loop, deque()).append(job)
        self._start_groups(loop)
        return await job.future

    def _start_groups(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start a transaction for what is pending, unless every writer is busy (a writer that
        finishes starts the next one)."""
        pending = self._pending.get(loop)
        while pending and self._in_flight.get(loop, 0) < self.writers:
            group: list[_Job] = []
            count = 0
            while pending and (not group or count + len(pending[0].events) <= GROUP_MAX_ENTRIES):
                job = pending.popleft()
                group.append(job)
                count += len(job.events)
            self._in_flight[loop] = self._in_flight.get(loop, 0) + 1
            task = loop.create_task(self._write(loop, group))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        if not pending and not self._in_flight.get(loop):
            self._pending.pop(loop, None)
            self._in_flight.pop(loop, None)

    async def _write(self, loop: asyncio.AbstractEventLoop, group: list[_Job]) -> None:
        try:
            try:
                verdicts = await loop.run_in_executor(self._executor, self._commit, group)
            except Exception:  # noqa: BLE001 - isolate the failing request: each alone
                if len(group) == 1:
                    _settle(group[0], exc=_current_exception())
                    return
                log.warning("events ingest: a group of %d requests failed; committing each alone", len(group))
                for job in group:
                    try:
                        [verdict] = await loop.run_in_executor(self._executor, self._commit, [job])
                    except Exception as exc:  # noqa: BLE001 - this request's own failure
                        _settle(job, exc=exc)
                    else:
                        _settle(job, verdict)
                return
            for job, verdict in zip(group, verdicts, strict=True):
                _settle(job, verdict)
        finally:
            self._in_flight[loop] -= 1
            self._start_groups(loop)

    def _commit(self, group: list[_Job]) -> list[tuple[str, str]]:
        conn = self._connection()
        try:
            verdicts = self._transaction(conn, group)
        except Exception:
            self._local.conn = None  # a fresh (pre-pinged) connection from the pool next time
            with self._lock:
                if conn in self._connections:
                    self._connections.remove(conn)
            with contextlib.suppress(Exception):
                conn.close()
            raise
        with self._lock:
            self.groups += 1
            self.requests += len(group)
        return verdicts

    def _connection(self) -> Connection:
        # Each writer keeps one connection: a pool checkout pings the server first, one more round
        # trip per transaction.
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.invalidated:
            conn = self.platform.db.engine.connect().execution_options(assetguard_write=True)
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def _transaction(self, conn: Connection, group: list[_Job]) -> list[tuple[str, str]]:
        hashes = sorted({job.token_hash for job in group})
        now = utcnow()
        # PostgreSQL: the statements straight on the driver (a third of the cost of building them
        # through the SQL layer each time), the outbox rows by COPY; a bus of another kind than the
        # outbox writes its own rows.
        raw = conn.dialect.name == "postgresql" and type(self.bus).enqueue is OutboxBus.enqueue
        with conn.begin():
            driver = conn.connection.driver_connection if raw else None
            if driver is not None:
                tokens = {row[0]: row for row in driver.execute(_SELECT_TOKENS, [hashes])}
            else:
                tokens = {row.token_hash: tuple(row) for row in conn.execute(
                    select(api_tokens.c.token_hash, api_tokens.c.id, api_tokens.c.role, api_tokens.c.revoked_at,
                           api_tokens.c.last_used_at).where(api_tokens.c.token_hash.in_(hashes)))}
            verdicts: list[tuple[str, str]] = []
            events: list[dict[str, Any]] = []
            used: set[str] = set()
            for job in group:
                row = tokens.get(job.token_hash)
                if row is None or row[3] is not None:  # unknown or revoked
                    verdicts.append(("unauthorized", ""))
                elif ROLE_RANK.get(row[2], 0) < ROLE_RANK[REQUIRED_ROLE]:
                    verdicts.append(("forbidden", row[2]))
                else:
                    verdicts.append(("ok", row[2]))
                    events.extend(job.events)
                    if row[4] is None or now - _aware(row[4]) >= LAST_USED_RESOLUTION:
                        used.add(row[1])
            if events and driver is not None:
                with driver.cursor() as cursor, cursor.copy(_COPY_OUTBOX) as copy:
                    for e in events:
                        copy.write_row((e["id"], e["source"], e["detail-type"], now, dumps_event(e)))
            elif events:
                self.bus.enqueue(events, conn=conn)
            if used:  # "last used", at most once a minute per token (the condition is in the UPDATE)
                stale = or_(api_tokens.c.last_used_at.is_(None),
                            api_tokens.c.last_used_at <= now - LAST_USED_RESOLUTION)
                conn.execute(update(api_tokens).where(api_tokens.c.id.in_(sorted(used)), stale)
                             .values(last_used_at=now))
        if events:
            self.bus.wakeup.set()  # committed now: an in-process worker finds the rows at once
        return verdicts

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            with contextlib.suppress(Exception):
                conn.close()


def dumps_event(event: dict[str, Any]) -> str:
    """An envelope's JSON text for the outbox: orjson (15 times faster than json), json for what
    orjson refuses (an integer past 64 bits, a lone surrogate)."""
    if orjson is not None:
        try:
            return orjson.dumps(event).decode()
        except TypeError:
            pass
    return json.dumps(event)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _current_exception() -> BaseException:
    import sys

    exc = sys.exc_info()[1]
    assert exc is not None
    return exc


def _settle(job: _Job, verdict: tuple[str, str] | None = None, *, exc: BaseException | None = None) -> None:
    if job.future.done():  # the request was cancelled
        return
    if exc is not None or verdict is None:
        job.future.set_exception(exc or RuntimeError("no verdict"))
    else:
        job.future.set_result(verdict)


def committer_for(platform: Platform) -> GroupCommitter:
    return platform.singleton("events-ingest", lambda: GroupCommitter(platform))


class _Telemetry:
    """The application's own HTTP instruments and tracer, used sparingly (see the module docstring)."""

    def __init__(self, otel: Any) -> None:
        self.duration = getattr(otel, "duration_histogram_new", None)
        self.tracer = getattr(otel, "tracer", None)
        self._lock = threading.Lock()
        self._next_span = 0.0
        self._skipped = 0

    def sample(self, scope: Scope, status: int) -> int:
        """0: no span for this request; else the number of requests the span stands for."""
        if status != 200 or _sampled_parent(scope):
            return 1
        now = time.monotonic()
        with self._lock:
            self._skipped += 1
            if now < self._next_span:
                return 0
            self._next_span = now + SPAN_INTERVAL_SECONDS
            count, self._skipped = self._skipped, 0
            return count


def _sampled_parent(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"traceparent":
            parts = value.split(b"-")
            return len(parts) == 4 and parts[3][-1:] in b"13579bdf"
    return False


def find_otel_middleware(app: Any, depth: int = 12) -> Any:
    """The OpenTelemetry ASGI middleware in a built middleware stack, or None."""
    for _ in range(depth):
        if app is None:
            return None
        if hasattr(app, "duration_histogram_new") and hasattr(app, "tracer"):
            return app
        app = getattr(app, "app", None)
    return None


class IngestApp:
    """ASGI: ``POST /events`` on the lean path, everything else to ``app`` (the full stack)."""

    def __init__(self, app: ASGIApp, platform: Platform, *, throttle: Callable[[], Any],
                 trusted_proxies: list[str] | None = None) -> None:
        self.app = app
        self.platform = platform
        self.throttle = throttle
        self.committer = committer_for(platform) if isinstance(platform.bus, OutboxBus) else None
        otel = find_otel_middleware(app)
        self.telemetry = _Telemetry(otel) if otel is not None else None
        # Behind trusted proxies the lean path sees the forwarded client (the throttle counts it);
        # a request it hands on goes to the stack as it came, which resolves the client itself.
        self.forwarded: Any = None
        if trusted_proxies:
            from assetguard.api.forwarded import TrustedProxyMiddleware

            self.forwarded = TrustedProxyMiddleware(self._lean, trusted=trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == ROUTE and scope["method"] == "POST":
            if self.forwarded is not None:
                await self.forwarded({**scope, _AS_RECEIVED: scope}, receive, send)
            else:
                await self._lean(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _lean(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = time.perf_counter()
        authorization = content_type = length = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
            elif name == b"content-type":
                content_type = value
            elif name == b"content-length":
                length = value
        if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
            await self._too_large(scope, send, start)
            return
        body = await _read_body(receive)
        if body is None:  # the client disconnected
            return
        if len(body) > MAX_BODY_BYTES:
            await self._too_large(scope, send, start)
            return
        presented = _bearer(authorization)
        parsed = None
        committer = self.committer
        if presented is not None and committer is not None and _is_json(content_type):
            parsed = _parse_body(body)
        entries = parsed.get("Entries") if isinstance(parsed, dict) else None
        if (presented is None or committer is None or not isinstance(entries, list)
                or not 1 <= len(entries) <= MAX_ENTRIES):
            await self.app(scope.get(_AS_RECEIVED, scope), _replay(body, receive), send)
            return
        results, events = check_entries(entries)
        headers: list[tuple[bytes, bytes]] = []
        try:
            verdict, role = await committer.submit(hashlib.sha256(presented.encode()).hexdigest(), events)
            if verdict == "ok":
                status, payload = 200, answer(results)
            elif verdict == "forbidden":
                status, payload = 403, {"detail": f"this action needs the {REQUIRED_ROLE} role; you have {role}"}
            else:
                status, payload, headers = await self._unauthorized(scope, presented)
        except Exception:
            log.exception("POST /events failed")
            await _send_plain(send, 500, b"Internal Server Error")
            self._record(scope, 500, start)
            return
        await _send_json(send, status, payload, headers)
        self._record(scope, status, start)

    async def _unauthorized(self, scope: Scope, presented: str) -> tuple[int, dict[str, Any], list[tuple[bytes, bytes]]]:
        client = scope.get("client")
        address = client[0] if client else "unknown"
        loop = asyncio.get_running_loop()
        wait = await loop.run_in_executor(None, lambda: self.throttle().failed(address, presented, via="bearer"))
        if wait:
            return 429, {"detail": "too many failed authentications; slow down"}, [
                (b"retry-after", str(int(wait) + 1).encode())]
        return 401, {"detail": "invalid or revoked token"}, [(b"www-authenticate", b"Bearer")]

    async def _too_large(self, scope: Scope, send: Send, start: float) -> None:
        await _send_json(send, 413, {"detail": f"request body larger than {MAX_BODY_BYTES} bytes "
                                               f"({MAX_ENTRIES} entries of at most {MAX_ENTRY_BYTES // 1024} KB)"},
                         [(b"connection", b"close")])
        self._record(scope, 413, start)

    def _record(self, scope: Scope, status: int, start: float) -> None:
        telemetry = self.telemetry
        if telemetry is None:
            return
        elapsed = time.perf_counter() - start
        attributes = {"http.request.method": "POST", "url.scheme": scope.get("scheme", "http"),
                      "network.protocol.version": scope.get("http_version", "1.1"), "http.route": ROUTE,
                      "http.response.status_code": status}
        if telemetry.duration is not None:
            telemetry.duration.record(elapsed, attributes)
        sampled = telemetry.sample(scope, status)
        if sampled and telemetry.tracer is not None:
            self._span(telemetry.tracer, scope, attributes, status, elapsed, sampled)

    @staticmethod
    def _span(tracer: Any, scope: Scope, attributes: dict[str, Any], status: int, elapsed: float,
              sampled: int) -> None:
        from opentelemetry import trace
        from opentelemetry.propagate import extract

        carrier = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]
                   if name in (b"traceparent", b"tracestate")}
        end = time.time_ns()
        span = tracer.start_span(f"POST {ROUTE}", context=extract(carrier) if carrier else None,
                                 kind=trace.SpanKind.SERVER, start_time=end - int(elapsed * 1e9),
                                 attributes={**attributes, "url.path": scope["path"],
                                             "assetguard.span.sampled_one_in": sampled})
        if status >= 500:
            span.set_status(trace.Status(trace.StatusCode.ERROR))
        span.end(end_time=end)


_LONG_NUMBER = re.compile(rb"\d{19}")


def _parse_body(body: bytes) -> Any:
    """The body as FastAPI's ``json.loads`` reads it, or None where it fails (the route then answers
    with its own 400). orjson first where it reads alike: it rounds an integer past 64 bits to a
    float, so such text goes to json, as does anything orjson refuses."""
    if orjson is not None and not _LONG_NUMBER.search(body):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, too deep
        return None


def _bearer(value: bytes | None) -> str | None:
    if value is None:
        return None
    scheme, _, token = value.decode("latin-1").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or not token.startswith(PREFIX):
        return None
    return token


def _is_json(content_type: bytes | None) -> bool:
    if content_type is None:  # FastAPI reads no JSON without it (a 422): the route answers
        return False
    return content_type.split(b";", 1)[0].strip().lower() in _JSON_TYPES


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        if chunk:
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                return b"".join(chunks)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _send_plain(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-length", str(len(body)).encode()),
                            (b"content-type", b"text/plain; charset=utf-8")]})
    await send({"type": "http.response.body", "body": body})


async def _send_json(send: Send, status: int, payload: Any, headers: list[tuple[bytes, bytes]]) -> None:
    # Starlette's JSONResponse rendering (compact, UTF-8), so both paths answer byte for byte alike
    body = (orjson.dumps(payload) if orjson is not None else
            json.dumps(payload, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode())
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json"),
                            *headers]})
    await send({"type": "http.response.body", "body": body})


def install(app: Any, platform: Platform) -> None:
    """Put :class:`IngestApp` in front of ``app``'s middleware stack (call after every other middleware
    and instrumentation is added; the stack is built on the first request)."""
    build = app.build_middleware_stack

    def build_middleware_stack() -> ASGIApp:
        return IngestApp(build(), platform, throttle=lambda: app.state.auth_throttle,
                         trusted_proxies=platform.settings.api.trusted_proxies)

    app.build_middleware_stack = build_middleware_stack
