"""SIGTERM stops ``assetguard waf proxy`` within the grace period: gracefully (status 0) while a
client and an upstream hang on their connections, and by the 20 s hard stop (status 1, one line)
when its database stops answering in the middle of the stop."""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.scaleout.conftest import Cluster, Proc, free_port

GRACE = 25.0  # the 20 s hard stop plus room for a busy CI box


class Hung:
    """A TCP server that accepts connections and never answers (a hung upstream)."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.port = self.server.getsockname()[1]
        self.held: list[socket.socket] = []
        self.accepted = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        self.server.settimeout(0.2)
        while not self._done.is_set():
            try:
                self.held.append(self.server.accept()[0])
            except OSError:
                continue
            self.accepted.set()

    def close(self) -> None:
        self._done.set()
        self._thread.join(2)
        for conn in self.held:
            conn.close()
        self.server.close()


class FreezableRelay:
    """Relays TCP connections to ``target``; after ``freeze()`` it stops moving bytes but keeps every
    connection open, like a database that stopped answering mid-statement."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.port = self.server.getsockname()[1]
        self.frozen = threading.Event()
        self._done = threading.Event()
        self._socks: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze(self) -> None:
        self.frozen.set()

    def _accept(self) -> None:
        self.server.settimeout(0.2)
        while not self._done.is_set():
            try:
                client = self.server.accept()[0]
            except OSError:
                continue
            upstream = socket.create_connection(self.target)
            self._socks += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        src.settimeout(0.2)
        while not self._done.is_set():
            if self.frozen.is_set():
                time.sleep(0.1)  # nothing read, nothing sent: the peer waits for ever
                continue
            try:
                data = src.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            if self.frozen.is_set():
                continue  # read as the relay froze: never delivered
            try:
                dst.sendall(data)
            except OSError:
                return

    def close(self) -> None:
        self._done.set()
        for sock in self._socks:
            sock.close()
        self.server.close()


@pytest.fixture
def hung_upstream() -> Iterator[Hung]:
    hung = Hung()
    yield hung
    hung.close()


def _start_proxy(cluster: Cluster, upstream_port: int) -> tuple[Proc, int]:
    port = free_port()
    proxy = cluster.start("proxy", "waf", "proxy", "--listen", f"127.0.0.1:{port}",
                          "--upstream", f"http://127.0.0.1:{upstream_port}")
    proxy.wait_output("WAF proxy on")
    return proxy, port


def _hang_connections(port: int, upstream: Hung) -> list[socket.socket]:
    """A client that sent half a request head, and one whose (allowed) request waits on the upstream."""
    half = socket.create_connection(("127.0.0.1", port))
    half.sendall(b"GET /user/ HTTP/1.1\r\nHost: shop.example\r\n")
    waiting = socket.create_connection(("127.0.0.1", port))
    waiting.sendall(b"GET /user/profile HTTP/1.1\r\nHost: shop.example\r\n\r\n")
    assert upstream.accepted.wait(10), "the proxy did not forward the allowed request"
    return [half, waiting]


def test_sigterm_stops_a_proxy_with_hung_client_and_upstream_connections(cluster: Cluster,
                                                                          hung_upstream: Hung) -> None:
    cluster.env["ASSETGUARD_TELEMETRY__ENABLED"] = "false"
    proxy, port = _start_proxy(cluster, hung_upstream.port)
    clients = _hang_connections(port, hung_upstream)
    try:
        started = time.monotonic()
        proxy.popen.send_signal(signal.SIGTERM)
        code = proxy.wait(GRACE)
        took = time.monotonic() - started
    finally:
        for sock in clients:
            sock.close()
    assert code == 0, proxy.describe()
    assert took < 15, f"graceful stop took {took:.1f} s"
    assert "still stopping" not in proxy.output()


def test_sigterm_ends_a_proxy_whose_database_hangs_within_the_grace(cluster: Cluster, hung_upstream: Hung) -> None:
    url = urlsplit(cluster.env["ASSETGUARD_DATABASE_URL"])
    relay = FreezableRelay((url.hostname or "127.0.0.1", url.port or 5432))
    netloc = f"{url.username}@127.0.0.1:{relay.port}" if url.username else f"127.0.0.1:{relay.port}"
    cluster.env["ASSETGUARD_DATABASE_URL"] = urlunsplit(url._replace(netloc=netloc))
    cluster.env["ASSETGUARD_TELEMETRY__ENABLED"] = "false"
    cluster.env["ASSETGUARD_WAF__ACL_POLL_SECONDS"] = "0.5"
    try:
        proxy, port = _start_proxy(cluster, hung_upstream.port)
        clients = _hang_connections(port, hung_upstream)
        relay.freeze()
        time.sleep(1.5)  # the follower's next poll is now stuck in a statement the database never answers
        started = time.monotonic()
        proxy.popen.send_signal(signal.SIGTERM)
        code = proxy.wait(GRACE)
        took = time.monotonic() - started
        for sock in clients:
            sock.close()
    finally:
        relay.close()
    output = proxy.output()
    assert code == 1, proxy.describe()
    assert "assetguard waf proxy: still stopping after 20 s; exiting now" in output, output[-3000:]
    assert 19.0 <= took < GRACE, f"stopped after {took:.1f} s"
    assert "Traceback" not in output, output[-3000:]
