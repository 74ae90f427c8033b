"""The targets' outbound HTTP client against real servers on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from assetguard.targets.http import HttpClient, HttpError, HttpTimeout
from tests.targets.receivers import HttpReceiver, Received


def test_post_json_keeps_the_connection_and_reads_the_answer() -> None:
    with HttpReceiver(lambda r: (201, {"Retry-After": "7", "Content-Type": "application/json"}, b'{"ok": true}')) as rx:
        client = HttpClient()
        first = client.post(rx.url + "/hook", json={"text": "héllo"}, timeout=5)
        second = client.post(rx.url + "/hook", content=b"raw", headers={"X-Name": "v"}, timeout=5)
        client.close()
    assert first.status_code == 201 and first.json() == {"ok": True} and first.headers.get("retry-after") == "7"
    assert second.text == '{"ok": true}'
    assert [r.json() for r in rx.requests[:1]] == [{"text": "héllo"}]
    assert rx.requests[0].headers["content-type"] == "application/json"
    assert rx.requests[1].body == b"raw" and rx.requests[1].headers["x-name"] == "v"


def test_redirects_are_not_followed() -> None:
    with HttpReceiver(lambda r: (302, {"Location": "/elsewhere"}, b"")) as rx:
        response = HttpClient().post(rx.url + "/hook", json={}, timeout=5)
    assert response.status_code == 302


def test_a_refused_connection_is_an_http_error_not_a_timeout() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(HttpError) as info:
        HttpClient().post(f"http://127.0.0.1:{port}/hook", json={}, timeout=5)
    assert not isinstance(info.value, HttpTimeout)


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts, reads, never answers."""
    release = threading.Event()

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            release.wait(10)

        def log_message(self, *_a: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    release.set()
    server.shutdown()
    server.server_close()


def test_a_silent_server_times_out(silent_server: int) -> None:
    start = time.monotonic()
    with pytest.raises(HttpTimeout):
        HttpClient().post(f"http://127.0.0.1:{silent_server}/hook", json={}, timeout=0.3)
    assert time.monotonic() - start < 3


def test_proxy_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Received] = []

    def proxy(r: Received) -> tuple[int, dict[str, str], bytes]:
        seen.append(r)
        return 200, {}, b"via proxy"

    with HttpReceiver(proxy) as rx:
        monkeypatch.setenv("HTTP_PROXY", rx.url)
        monkeypatch.setenv("http_proxy", rx.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        response = HttpClient().post("http://hooks.example.invalid/services/x", json={"a": 1}, timeout=5)
    assert response.text == "via proxy"
    assert seen[0].path == "http://hooks.example.invalid/services/x"


def test_client_span_inside_a_trace_only_and_never_the_url_path() -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    got: list[Received] = []

    def down(r: Received) -> tuple[int, dict[str, str], bytes]:
        got.append(r)
        return 503, {}, b"down"

    with HttpReceiver(down) as rx:
        client = HttpClient(provider)
        client.post(rx.url + "/services/T000/B000/SECRETPATH", json={}, timeout=5)  # outside a trace
        with provider.get_tracer("t").start_as_current_span("deliver slack"):
            client.post(rx.url + "/services/T000/B000/SECRETPATH", json={}, timeout=5)
    spans = exporter.get_finished_spans()
    [http] = [s for s in spans if s.name == "POST"]
    [root] = [s for s in spans if s.name == "deliver slack"]
    assert http.parent is not None and http.parent.span_id == root.context.span_id
    attrs = dict(http.attributes or {})
    assert attrs["http.request.method"] == "POST" and attrs["http.response.status_code"] == 503
    assert attrs["server.address"] == "127.0.0.1" and not http.status.is_ok
    assert "SECRETPATH" not in repr(attrs)
    # The trace travels with the request; the call outside the trace carries none.
    assert "traceparent" not in got[0].headers
    assert got[1].headers["traceparent"].split("-")[1] == format(root.context.trace_id, "032x")
