"""Cost of parsing one request head with llhttp (httptools) and with h11, as the front door uses them.

The request is the proxy benchmark's GET (browser headers, query, session cookie) and a 300-byte
form POST. Each parser turns the bytes into method, target, version and the header list.

    .venv/bin/python -m bench.waf_proxy.parsers [--n 20000]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import h11
import httptools

GET = (b"GET /user/search?q=running4711+shoes&page=17&sort=price&size=42&lang=en HTTP/1.1\r\n"
       b"Host: 127.0.0.1:18192\r\n"
       b"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 "
       b"Safari/537.36\r\n"
       b"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
       b"Accept-Language: en-GB,en;q=0.9\r\n"
       b"Cookie: session=1a2b3c4d5e6f7a8b; theme=dark\r\n\r\n")
FORM = b"name=" + b"x" * 280 + b"&page=1"
POST = (b"POST /user/profile HTTP/1.1\r\nHost: 127.0.0.1:18192\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + str(len(FORM)).encode() +
        b"\r\n\r\n" + FORM)


class _Sink:
    __slots__ = ("url", "headers", "body", "done")

    def __init__(self) -> None:
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = b""
        self.done = False

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        self.done = True


def parse_llhttp(data: bytes) -> tuple[bytes, bytes, list[tuple[bytes, bytes]], bytes]:
    sink = _Sink()
    parser = httptools.HttpRequestParser(sink)
    parser.feed_data(data)
    assert sink.done
    return parser.get_method(), sink.url, sink.headers, sink.body


def parse_h11(data: bytes) -> tuple[bytes, bytes, list[tuple[bytes, bytes]], bytes]:
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(data)
    event = conn.next_event()
    assert isinstance(event, h11.Request)
    body = b""
    while True:
        nxt = conn.next_event()
        if isinstance(nxt, h11.Data):
            body += nxt.data
        elif isinstance(nxt, h11.EndOfMessage):
            break
    return event.method, event.target, list(event.headers.raw_items()), body


def per_call_us(fn: Callable[[bytes], object], data: bytes, n: int) -> float:
    for _ in range(200):
        fn(data)
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(n):
            fn(data)
        best = min(best, (time.perf_counter() - started) / n)
    return best * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20000)
    args = parser.parse_args()
    for name, data in (("GET, browser headers", GET), ("POST, 300-byte form", POST)):
        a = parse_llhttp(data)
        b = parse_h11(data)
        assert a == b, name
        llhttp_us = per_call_us(parse_llhttp, data, args.n)
        h11_us = per_call_us(parse_h11, data, args.n)
        print(f"{name:<22} llhttp {llhttp_us:6.2f} us   h11 {h11_us:6.2f} us   h11/llhttp {h11_us / llhttp_us:5.1f}x")


if __name__ == "__main__":
    main()
