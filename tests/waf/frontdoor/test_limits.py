"""Bounds: timeouts, sizes, connection count and memory while streaming."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable

import psutil

from tests.waf.frontdoor.conftest import Harness, read_responses, request

POST = b"POST /user HTTP/1.1\r\nHost: app.example\r\nUser-Agent: t\r\n"


def test_a_huge_chunk_that_never_arrives_times_out(make_harness: Callable[..., Harness]) -> None:
    harness = make_harness(max_body_bytes=0, body_timeout=0.5)
    started = time.monotonic()
    with harness.connect() as sock:
        sock.sendall(POST + b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n" + b"x" * 100)
        [response] = read_responses(sock, 1)
    assert response.status == 408 and time.monotonic() - started < 15  # 0.5 s, with room for a loaded machine
    assert harness.upstream.requests == []


def test_a_slow_head_is_cut_off_at_the_header_timeout(make_harness: Callable[..., Harness]) -> None:
    harness = make_harness(header_timeout=1.0)
    started = time.monotonic()
    with harness.connect() as sock:
        sock.sendall(b"GET /user HTTP/1.1\r\n")
        try:
            for _ in range(40):  # one header line every 0.1 s: never a complete head
                sock.sendall(b"X-Slow: a\r\n")
                time.sleep(0.1)
                if sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT):
                    break
        except (BlockingIOError, OSError):
            pass
        sock.settimeout(5)
        [response] = read_responses(sock, 1)
    assert response.status == 408 and time.monotonic() - started < 15  # 1 s, with room for a loaded machine


def test_an_idle_keep_alive_connection_is_closed_without_a_word(make_harness: Callable[..., Harness]) -> None:
    harness = make_harness(keepalive_timeout=0.3)
    with harness.connect() as sock:
        sock.sendall(request("/user", rid="k"))
        [response] = read_responses(sock, 1)
        assert response.status == 200
        started = time.monotonic()
        assert sock.recv(100) == b""
        assert time.monotonic() - started < 15


def test_bodies_above_the_limit_get_413_while_streaming(make_harness: Callable[..., Harness]) -> None:
    harness = make_harness(max_body_bytes=100_000)
    [declared] = harness.send(POST + b"Content-Length: 100001\r\n\r\n", shut=False)
    assert declared.status == 413
    with harness.connect() as sock:
        sock.sendall(POST + b"Transfer-Encoding: chunked\r\n\r\n")
        try:
            for _ in range(40):
                sock.sendall(b"1000\r\n" + b"y" * 4096 + b"\r\n")
        except OSError:
            pass
        [chunked] = read_responses(sock, 1)
    assert chunked.status == 413
    assert harness.upstream.requests == []


def test_head_size_and_header_count(make_harness: Callable[..., Harness]) -> None:
    harness = make_harness(max_head_bytes=4096, max_headers=20)
    [large] = harness.send(b"GET /user HTTP/1.1\r\nHost: a\r\nX-Big: " + b"b" * 5000 + b"\r\n\r\n")
    assert large.status == 431
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(25))
    [count] = harness.send(b"GET /user HTTP/1.1\r\nHost: a\r\n" + many + b"\r\n")
    assert count.status == 431
    assert harness.send(request("/user"))[0].status == 200


def test_connections_above_the_maximum_get_503(make_harness: Callable[..., Harness]) -> None:
    harness = make_harness(max_connections=3)
    held = [harness.connect() for _ in range(3)]
    try:
        time.sleep(0.2)
        [refused] = harness.send(request("/user"), shut=False)
        assert refused.status == 503
    finally:
        for sock in held:
            sock.close()
    deadline = time.monotonic() + 5
    while harness.proxy.active and time.monotonic() < deadline:
        time.sleep(0.05)
    assert harness.send(request("/user"))[0].status == 200


def test_200_slow_connections_do_not_stall_normal_traffic(make_harness: Callable[..., Harness]) -> None:
    harness = make_harness(header_timeout=30.0)
    slow = []
    for _ in range(200):
        sock = harness.connect()
        sock.sendall(b"GET /user HTTP/1.1\r\nHost: a\r\nX-Slow: ")
        slow.append(sock)
    try:
        started = time.monotonic()
        for i in range(30):
            [response] = harness.send(request(f"/user/{i}", rid=str(i)))
            assert response.json()["id"] == str(i)
        # served while all 200 still hold their heads open (they would wait 30 s for the header timeout)
        assert time.monotonic() - started < 20
        assert harness.proxy.active >= 200
    finally:
        for sock in slow:
            sock.close()
    deadline = time.monotonic() + 10
    while harness.proxy.active and time.monotonic() < deadline:
        time.sleep(0.05)
    assert harness.proxy.active == 0


def test_a_large_upload_streams_in_bounded_memory(make_harness: Callable[..., Harness]) -> None:
    """1 GiB through the proxy grows this process (client, proxy and upstream) by a few MiB at most."""
    received: list[int] = []

    async def sink(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length")))
        left = length
        while left:
            left -= len(await reader.read(min(left, 1 << 16)))
        received.append(length)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()

    harness = make_harness(max_body_bytes=0)
    harness.proxy.pool.upstreams[0].port = harness.call(harness._serve(sink))
    block = memoryview(b"z" * (1 << 20))

    def upload(mib: int) -> int:
        with harness.connect(timeout=60) as sock:
            sock.sendall(POST + b"Content-Length: %d\r\n\r\n" % (mib << 20))
            for _ in range(mib):
                sock.sendall(block)
            [response] = read_responses(sock, 1)
            return response.status

    assert upload(16) == 200  # warm-up: buffers, pools and allocator arenas exist before measuring
    rss = psutil.Process().memory_info().rss
    status: list[int] = []
    thread = threading.Thread(target=lambda: status.append(upload(1024)))
    thread.start()
    peak = rss
    while thread.is_alive():
        peak = max(peak, psutil.Process().memory_info().rss)
        thread.join(0.05)
    assert status == [200] and received[-1] == 1024 << 20
    assert peak - rss < 8 << 20, f"RSS grew by {(peak - rss) / 2**20:.1f} MiB"


def test_a_client_still_uploading_sees_its_413(make_harness: Callable[..., Harness]) -> None:
    """Lingering close: the refused client's remaining body is drained, so no reset hides the answer."""
    harness = make_harness(max_body_bytes=1 << 20)
    with harness.connect() as sock:
        sock.sendall(POST + b"Content-Length: %d\r\n\r\n" % (4 << 20))
        sock.sendall(b"x" * (4 << 20))
        [response] = read_responses(sock, 1)
    assert response.status == 413 and response.header(b"connection") == b"close"
