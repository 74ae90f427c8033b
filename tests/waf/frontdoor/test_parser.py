"""The front door's parser against h11, the strict pure-Python reference (differential tests).

Whatever the front door accepts, h11 accepts too and reads the same method, target, fields and
body; and the canonical head written upstream parses the same under both.
"""

from __future__ import annotations

import h11
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assetguard.waf.frontdoor.errors import Refusal
from assetguard.waf.frontdoor.limits import FrontDoorLimits
from assetguard.waf.frontdoor.parser import MessageParser
from assetguard.waf.frontdoor.request import canonical_request, upstream_head
from tests.waf.frontdoor.strategies import raw_request

Parsed = tuple[bytes, bytes, list[tuple[bytes, bytes]], bytes]


def frontdoor_parse(raw: bytes, cuts: list[int]) -> tuple[Parsed, object] | None:
    """The first request as the front door reads it (fed in pieces at ``cuts``), or None if refused."""
    message = MessageParser.request(FrontDoorLimits())
    data = b""
    points = sorted({c for c in cuts if 0 < c < len(raw)}) + [len(raw)]
    start = 0
    try:
        for point in points:
            data, pos = raw[start:point], 0
            start = point
            while pos < len(data) and not message.complete:
                pos += message.feed(data, pos)
            if message.complete:
                break
        if not message.complete:
            return None
        request = canonical_request(message)
    except Refusal:
        return None
    body = b"".join(message.body)
    return (request.method, request.target, [(k.lower(), v) for k, v in request.headers], body), request


def h11_parse(raw: bytes) -> Parsed | None:
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(raw)
    conn.receive_data(b"")
    try:
        event = conn.next_event()
        if not isinstance(event, h11.Request):
            return None
        body = b""
        while True:
            part = conn.next_event()
            if isinstance(part, h11.Data):
                body += part.data
            elif isinstance(part, h11.EndOfMessage):
                break
            else:
                return None
    except h11.RemoteProtocolError:
        return None
    return event.method, event.target, list(event.headers.raw_items()), body


def h11_fields(parsed: Parsed) -> Parsed:
    return parsed[0], parsed[1], [(k.lower(), v) for k, v in parsed[2]], parsed[3]


@settings(max_examples=200, deadline=None, derandomize=False,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(raw_request(), st.lists(st.integers(0, 400), max_size=4))
def test_what_the_front_door_accepts_h11_reads_the_same(raw: bytes, cuts: list[int]) -> None:
    ours = frontdoor_parse(raw, cuts)
    if ours is None:
        return
    parsed, request = ours
    theirs = h11_parse(raw)
    assert theirs is not None, f"accepted by the front door only: {raw!r}"
    method, target, fields, body = h11_fields(theirs)
    if parsed[1] == target or not target.lower().startswith(b"http"):
        assert (parsed[0], parsed[1]) == (method, target)
    assert parsed[2] == [(k, v) for k, v in fields] and parsed[3] == body
    # the head the proxy writes upstream reads the same under both parsers
    assert isinstance(request, object)
    upstream = upstream_head(request, b"app.example", b"192.0.2.1", b"http", [],  # type: ignore[arg-type]
                             b"Content-Length: %d" % len(body) if body or parsed[0] in (b"POST", b"PUT") else b"")
    again = frontdoor_parse(upstream + body, [])
    assert again is not None
    h11_again = h11_parse(upstream + body)
    assert h11_again is not None
    assert again[0] == h11_fields(h11_again)


@pytest.mark.parametrize("raw", [
    b"GET /user?q=1 HTTP/1.1\r\nHost: a\r\nX: v\r\n\r\n",
    b"POST /user HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
    b"PUT /user HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n0\r\nT: 1\r\n\r\n",
    b"GET / HTTP/1.0\r\n\r\n",
])
def test_valid_requests_read_the_same_however_they_are_split(raw: bytes) -> None:
    expected = h11_fields(h11_parse(raw))  # type: ignore[arg-type]
    for cut in range(len(raw)):
        parsed = frontdoor_parse(raw, [cut, cut + 1])
        assert parsed is not None and parsed[0] == expected, cut


def test_empty_lines_before_a_request_are_skipped() -> None:
    """RFC 9112 2.2: at least one empty line before the request line should be ignored (h11 refuses it)."""
    raw = b"\r\n\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n"
    for cut in range(len(raw)):
        parsed = frontdoor_parse(raw, [cut])
        assert parsed is not None and parsed[0][:2] == (b"GET", b"/x"), cut
