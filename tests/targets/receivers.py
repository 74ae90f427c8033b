"""Real HTTP receivers on 127.0.0.1 (Slack, webhooks) for target tests, each on its own thread."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[["Received"], tuple[int, dict[str, str], bytes]]


class Received:
    def __init__(self, path: str, headers: dict[str, str], body: bytes) -> None:
        self.path = path
        self.headers = headers
        self.body = body
        self.at = time.monotonic()

    def json(self) -> Any:
        return json.loads(self.body)


def ok(_r: Received) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "text/plain"}, b"ok"


class HttpReceiver:
    """``with HttpReceiver() as rx: ... rx.url ... rx.requests``; ``rx.responder`` decides each answer."""

    def __init__(self, responder: Responder = ok) -> None:
        self.responder = responder
        self.requests: list[Received] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received = Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                                    self.rfile.read(length))
                status, headers, body = receiver.responder(received)
                if 200 <= status < 300:
                    with receiver.lock:
                        receiver.requests.append(received)
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client went away (the crash test kills it mid-request)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> HttpReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class CountingReceiver(HttpReceiver):
    """Answers 204 and counts deliveries per event id (``X-AssetGuard-Event-Id``), to find losses and duplicates."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()
        super().__init__(self._answer)

    def _answer(self, r: Received) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            self.seen[r.headers["x-assetguard-event-id"]] += 1
        return 204, {}, b""


class _Feed(BaseHTTPRequestHandler):
    """GET: ``/redirect…`` answers 302 to EC2's metadata address; any other path the server's
    ``answer(path)`` (JSON for ``.json``). Each request is recorded as (path, Host)."""

    def do_GET(self) -> None:
        self.server.seen.append((self.path, self.headers.get("Host", "")))  # type: ignore[attr-defined]
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = self.server.answer(self.path)  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/json" if self.path.endswith(".json") else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_a: Any) -> None:
        return


def feed_server(answer: Callable[[str], bytes]) -> Iterator[ThreadingHTTPServer]:
    """A feed on 127.0.0.1 for outbound-guard tests (see ``_Feed``), for a fixture to ``yield from``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Feed)
    server.daemon_threads = True
    server.seen = []  # type: ignore[attr-defined]
    server.answer = answer  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()
