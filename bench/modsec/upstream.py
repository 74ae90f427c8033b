"""A tiny loopback HTTP/1.1 upstream for WAF benchmarks: answers every request with 200 ``ok``.

    .venv/bin/python -m bench.modsec.upstream --port 18081
"""

from __future__ import annotations

import argparse
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class OkHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _answer

    def log_message(self, format: str, *args: object) -> None:
        return


def serve_in_thread(port: int) -> ThreadingHTTPServer:
    """Start the upstream on 127.0.0.1:``port`` in a daemon thread; ``shutdown()`` stops it."""
    server = ThreadingHTTPServer(("127.0.0.1", port), OkHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=18081)
    ThreadingHTTPServer(("127.0.0.1", parser.parse_args().port), OkHandler).serve_forever()
