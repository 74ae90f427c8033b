"""Upstream connection hygiene: a response reaches only the client whose request produced it.

An upstream connection returns to the pool only after a complete, well-framed response with
nothing unread; a second response, stray bytes after one (while the connection is idle), an early
answer, a framing error or a timeout discard it. (Bytes an upstream sends long after its response,
once the connection carries the next request, are indistinguishable from that request's answer in
HTTP/1.1; an upstream that sees only canonical requests has no reason to send them.)
"""

from __future__ import annotations

import asyncio
import random
import socket
import threading
import time
from collections.abc import Callable

from tests.waf.frontdoor.conftest import Harness, LenientUpstream, StrictUpstream, read_responses, request


def test_concurrent_clients_only_ever_get_their_own_responses(make_harness: Callable[..., Harness]) -> None:
    upstream = StrictUpstream()
    harness = make_harness(upstream, extra_upstreams=1)
    failures: list[str] = []

    def client(n: int) -> None:
        rng = random.Random(n)
        try:
            with harness.connect() as sock:
                for i in range(15):
                    rid = f"c{n}-{i}"
                    kind = rng.choice(["get", "post", "double", "split", "chunked"])
                    if kind == "post":
                        raw = request(f"/user/{rid}", rid=rid, method="POST", body=rid.encode() * rng.randint(1, 900))
                    elif kind == "double":  # the upstream answers twice: the second answer must die with its connection
                        raw = request(f"/double/{rid}", rid=rid)
                    elif kind == "split":
                        raw = request(f"/split-double/{rid}", rid=rid)
                    elif kind == "chunked":
                        raw = (f"PUT /user/{rid} HTTP/1.1\r\nHost: app.example\r\nX-Req-Id: {rid}\r\n"
                               f"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n").encode()
                    else:
                        raw = request(f"/user/{rid}", rid=rid)
                    sock.sendall(raw)
                    [response] = read_responses(sock, 1)
                    if response.status != 200 or not response.body.startswith(b"{") or response.json()["id"] != rid:
                        failures.append(f"{rid}: {response.status} {response.body[:80]!r}")
                        return
        except (OSError, ValueError) as exc:
            failures.append(f"client {n}: {exc!r}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert upstream.violations == []
    assert len(upstream.requests) == 16 * 15


def test_stray_bytes_after_a_response_discard_the_connection(make_harness: Callable[..., Harness]) -> None:
    upstream = StrictUpstream()
    harness = make_harness(upstream)
    for i in range(3):
        [response] = harness.send(request("/double", rid=f"d{i}"))
        assert response.json()["id"] == f"d{i}"
        [response] = harness.send(request("/late-extra", rid=f"l{i}"))
        assert response.json()["id"] == f"l{i}"
        time.sleep(0.3)  # the stray bytes come 50 ms later, to an idle connection: it is closed
        [response] = harness.send(request("/user", rid=f"u{i}"))
        assert response.status == 200 and response.json()["id"] == f"u{i}" and b"POISON" not in response.body
    assert len(upstream.raw) >= 6  # a /double or /late-extra connection is never reused


def test_a_pipelined_burst_from_many_clients_through_the_lenient_upstream(make_harness: Callable[..., Harness]) -> None:
    upstream = LenientUpstream()
    harness = make_harness(upstream)
    failures: list[str] = []

    def client(n: int) -> None:
        with harness.connect() as sock:
            sock.sendall(b"".join(request(f"/user/{n}/{i}", rid=f"{n}.{i}") for i in range(10)))
            responses = read_responses(sock, 10)
            ids = [r.json()["id"] for r in responses]
            if ids != [f"{n}.{i}" for i in range(10)]:
                failures.append(f"client {n}: {ids}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == [] and upstream.ambiguous == []


def test_framing_errors_and_timeouts_discard_the_connection(make_harness: Callable[..., Harness]) -> None:
    upstream = StrictUpstream()
    harness = make_harness(upstream, upstream_timeout=0.5)
    [bad] = harness.send(request("/bad-framing"))
    assert bad.status == 502
    [slow] = harness.send(request("/hang"))
    assert slow.status == 504
    [ok] = harness.send(request("/user", rid="after"))
    assert ok.status == 200 and ok.json()["id"] == "after"


def test_an_early_answer_stops_the_upload_and_spends_the_connection(make_harness: Callable[..., Harness]) -> None:
    """An upstream that answers 413 on seeing the head, before the body: relayed, and never reused."""
    connections: list[int] = []

    async def early(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 4\r\n\r\nbig!")
        await writer.drain()
        while await reader.read(65536):  # keep reading, as a server draining an upload would
            pass
        writer.close()

    harness = make_harness(max_body_bytes=64 << 20)
    port = harness.call(harness._serve(early))
    harness.proxy.pool.upstreams[0].port = port
    with harness.connect() as sock:
        sock.sendall(b"POST /user HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % (32 << 20))
        sent = 0
        try:
            while sent < 32 << 20:
                sock.sendall(b"x" * 65536)
                sent += 65536
                if sent == 1 << 20:
                    break
        except OSError:
            pass
        sock.shutdown(socket.SHUT_WR)
        [response] = read_responses(sock, 1)
    assert response.status == 413 and response.body == b"big!"
    assert response.header(b"connection") == b"close"
    assert harness.proxy.pool.upstreams[0].idle == type(harness.proxy.pool.upstreams[0].idle)()


def test_a_pooled_connection_with_bytes_still_in_the_kernel_is_not_reused(make_harness: Callable[..., Harness]
                                                                          ) -> None:
    """Stray bytes the event loop has not delivered yet (a second answer written just after the first)."""
    server_side: list[socket.socket] = []
    accepted = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))

    def accept() -> None:
        conn, _ = listener.accept()
        server_side.append(conn)
        accepted.set()

    threading.Thread(target=accept, daemon=True).start()
    harness = make_harness()
    upstream = harness.proxy.pool.upstreams[0]
    upstream.port = listener.getsockname()[1]

    async def scenario() -> tuple[bool, bool]:
        conn, _ = await upstream.acquire()
        conn.request_sent = True
        upstream.release(conn)  # clean so far: into the idle list
        assert accepted.wait(5)
        server_side[0].sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nPOISON")
        time.sleep(0.2)  # the bytes reach the proxy's socket; the loop is blocked, so nothing delivers them
        again, pooled = await upstream.acquire()
        return again is conn, pooled

    try:
        same, pooled = harness.call(scenario())
        assert not same and not pooled
    finally:
        for sock in server_side:
            sock.close()
        listener.close()
