"""The outbound HTTP client of the Slack and webhook targets: keep-alive, thread-safe, lean.

Built on urllib3's connection pools rather than httpx: a delivery is one small POST, and at a few
hundred alerts a second httpx's request machinery (plus its OpenTelemetry wrapper) was the largest
CPU cost of the whole pipeline, about three times urllib3's. The client adds what a target needs:

- no redirects and no automatic retries (the delivery ledger retries, with backoff);
- a per-call timeout for connecting and for each read;
- with an :class:`~assetguard.targets.outbound.OutboundGuard`, the name is resolved once, every
  answer is vetted, and the connection goes to the vetted address with the name as TLS SNI,
  certificate name and ``Host`` header (no second lookup for DNS rebinding to exploit);
- ``HTTP_PROXY``/``HTTPS_PROXY``/``NO_PROXY`` from the environment, as httpx and curl honour them.
  Through a proxy the name is still resolved and vetted here first, but the proxy connects by
  name and does its own lookup: the proxy is then trusted to enforce the egress policy;
- inside a trace, an OpenTelemetry CLIENT span per request (``POST``, with the method, server
  address, port and response status) and ``traceparent`` propagation. The span never records the
  URL's path or query: a Slack webhook's path *is* its secret::

    client = HttpClient(tracer_provider)
    response = client.post("https://hooks.slack.com/services/…", json={"text": "hi"}, timeout=10)
    response.status_code, response.headers.get("retry-after"), response.json()
"""

from __future__ import annotations

import json as jsonlib
import threading
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import HTTPError as _Urllib3Error
from urllib3.exceptions import NewConnectionError as _Refused
from urllib3.exceptions import TimeoutError as _Urllib3Timeout

from assetguard.targets.outbound import OutboundGuard


class HttpError(Exception):
    """The request did not get an answer (connection refused or reset, TLS failure, bad proxy ...)."""


class HttpTimeout(HttpError):
    """Connecting, or waiting for the answer, took longer than the timeout."""


class HttpResponse:
    def __init__(self, status_code: int, headers: Any, content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers  # case-insensitive: ``headers.get("retry-after")``
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return jsonlib.loads(self.content)


class HttpClient:
    """Pooled keep-alive connections per host; safe to share between delivery threads."""

    def __init__(self, tracer_provider: Any = None, *, pool_size: int = 16, guard: OutboundGuard | None = None,
                 ca_certs: str | None = None) -> None:
        self._pool_size = pool_size
        self._guard = guard
        self._direct = urllib3.PoolManager(num_pools=32, maxsize=pool_size, retries=False, ca_certs=ca_certs)
        self._proxies: dict[str, urllib3.ProxyManager] = {}
        self._env_proxies = urllib.request.getproxies()  # read once, as httpx does per client
        self._lock = threading.Lock()
        self._tracer = tracer_provider.get_tracer("assetguard.targets.http") if tracer_provider is not None else None

    def _manager(self, url: str, host: str) -> urllib3.PoolManager:
        proxy = self._env_proxies.get(urlsplit(url).scheme)
        if not proxy or urllib.request.proxy_bypass(host):
            return self._direct
        with self._lock:
            manager = self._proxies.get(proxy)
            if manager is None:
                manager = urllib3.ProxyManager(proxy, num_pools=32, maxsize=self._pool_size, retries=False)
                self._proxies[proxy] = manager
            return manager

    def post(self, url: str, *, json: Any = None, content: bytes | str | None = None,
             headers: dict[str, str] | None = None, timeout: float = 10.0) -> HttpResponse:
        """POST ``json`` (serialised compactly) or raw ``content``; raises ``HttpTimeout``/``HttpError``,
        and with a guard ``OutboundRefused``/``OutboundUnresolved`` before anything is sent."""
        send_headers = dict(headers or {})
        if json is not None:
            content = jsonlib.dumps(json, separators=(",", ":"), ensure_ascii=False).encode()
            send_headers.setdefault("Content-Type", "application/json")
        body = content.encode() if isinstance(content, str) else (content or b"")
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        pinned = self._guard.resolve(host, port)[0] if self._guard is not None else None
        manager = self._manager(url, host)
        span = self._span(parts.scheme, host, parts.port, send_headers)
        limits = urllib3.Timeout(connect=timeout, read=timeout)
        try:
            if pinned is not None and manager is self._direct:
                # Connect to the vetted address; the name travels as SNI, certificate name and Host.
                pool_kwargs = {"server_hostname": host} if parts.scheme == "https" else None
                pool = manager.connection_from_host(str(pinned), port, parts.scheme, pool_kwargs=pool_kwargs)
                send_headers["Host"] = parts.netloc.rsplit("@", 1)[-1]
                path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
                response = pool.urlopen("POST", path, body=body, headers=send_headers, redirect=False,
                                        retries=False, timeout=limits, preload_content=True,
                                        assert_same_host=False)
            else:
                response = manager.request("POST", url, body=body, headers=send_headers, redirect=False,
                                           retries=False, timeout=limits, preload_content=True)
        except (_Urllib3Error, OSError) as exc:
            self._end(span, None, type(exc).__name__)
            # NewConnectionError subclasses urllib3's ConnectTimeoutError, but a refusal is no timeout.
            timed_out = isinstance(exc, _Urllib3Timeout) and not isinstance(exc, _Refused)
            raise (HttpTimeout if timed_out else HttpError)(type(exc).__name__) from None
        self._end(span, response.status, None)
        return HttpResponse(response.status, response.headers, response.data)

    # ------------------------------------------------------------------ tracing
    def _span(self, scheme: str, host: str, port: int | None, headers: dict[str, str]) -> Any:
        """A CLIENT span when called inside a trace (none outside one: no root spans for polling)."""
        if self._tracer is None:
            return None
        from opentelemetry import propagate, trace

        if not trace.get_current_span().get_span_context().is_valid:
            return None
        span = self._tracer.start_span("POST", kind=trace.SpanKind.CLIENT, attributes={
            "http.request.method": "POST", "server.address": host,
            "server.port": port or (443 if scheme == "https" else 80), "url.scheme": scheme})
        propagate.inject(headers, context=trace.set_span_in_context(span))
        return span

    @staticmethod
    def _end(span: Any, status: int | None, error: str | None) -> None:
        if span is None:
            return
        from opentelemetry.trace import Status, StatusCode

        if status is not None:
            span.set_attribute("http.response.status_code", status)
            if status >= 400:
                span.set_status(Status(StatusCode.ERROR))
                span.set_attribute("error.type", str(status))
        if error is not None:
            span.set_status(Status(StatusCode.ERROR))
            span.set_attribute("error.type", error)
        span.end()

    def close(self) -> None:
        self._direct.clear()
        with self._lock:
            for manager in self._proxies.values():
                manager.clear()
            self._proxies.clear()
