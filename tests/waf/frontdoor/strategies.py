"""Hypothesis strategies for raw HTTP/1 requests: mostly well-formed, with the framing tricks mixed in."""

from __future__ import annotations

from hypothesis import strategies as st

METHODS = [b"GET", b"POST", b"PUT", b"HEAD", b"OPTIONS", b"DELETE", b"PATCH", b"get", b"CONNECT", b"TRACE"]
TARGETS = [b"/", b"/user", b"/user/1?q=a%20b", b"/admin/x", b"*", b"http://app.example/user", b"/a#frag",
           b"/a\x00b", b"/caf\xc3\xa9", b"//x", b"/user?x=<script>"]
VERSIONS = [b"HTTP/1.1", b"HTTP/1.1", b"HTTP/1.1", b"HTTP/1.0", b"HTTP/1.2", b"HTTP/2.0", b"http/1.1", b"HTTP/1.1 "]
NAMES = [b"Host", b"Content-Length", b"Transfer-Encoding", b"Connection", b"User-Agent", b"X-Note", b"Expect",
         b"Cookie", b"Keep-Alive", b"Upgrade", b"TE", b"Trailer", b"X-Forwarded-For", b"content-length",
         b"Transfer-Encoding ", b" Host", b"X\x00Y", b"X Y"]
VALUES = [b"app.example", b"0", b"5", b"12", b"5, 5", b"+5", b"chunked", b"Chunked", b"chunked, chunked",
          b"gzip, chunked", b"identity", b"xchunked", b"close", b"keep-alive", b"keep-alive, Content-Length",
          b"Transfer-Encoding", b"host", b"100-continue", b"a\nContent-Length: 5", b"a\rb", b"\x00", b"caf\xc3\xa9",
          b"  padded  ", b"websocket", b"trailers"]
CHUNK_SIZES = [b"5", b"05", b"0x5", b"+5", b"0_5", b"5 ", b"5;ext=1", b"5;" + b"e" * 30, b"00000000000000005", b"F",
               b"100000000000000000000", b"-5"]
EOLS = [b"\r\n"] * 12 + [b"\n", b"\r", b"\r\r\n"]


@st.composite
def raw_request(draw: st.DrawFn) -> bytes:
    """One request's bytes (possibly several requests, possibly malformed)."""
    eol = draw(st.sampled_from(EOLS))
    line = draw(st.sampled_from(METHODS)) + b" " + draw(st.sampled_from(TARGETS)) + b" " + draw(
        st.sampled_from(VERSIONS))
    fields = [(b"Host", b"app.example")] if draw(st.integers(0, 7)) else []
    fields += draw(st.lists(st.tuples(st.sampled_from(NAMES), st.one_of(
        st.sampled_from(VALUES), st.sampled_from(VALUES), st.sampled_from(VALUES), st.binary(max_size=12))),
        max_size=4))
    head = line + eol + b"".join(n + b": " + v + draw(st.sampled_from(EOLS)) for n, v in fields) + eol
    body = draw(st.one_of(st.just(b""), st.binary(max_size=40)))
    if draw(st.booleans()):  # a chunked body, well-formed or not
        size = draw(st.sampled_from(CHUNK_SIZES))
        body = size + b"\r\n" + b"hello" + b"\r\n" + draw(st.sampled_from([b"0\r\n\r\n", b"0\r\nX-T: 1\r\n\r\n",
                                                                           b"0\r\n", b""]))
    raw = head + body
    if not draw(st.integers(0, 3)):  # a random byte changed, dropped or inserted
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.binary(max_size=2)) + raw[at + draw(st.integers(0, 2)):]
    return raw


def clean_request(rid: str) -> bytes:
    """A well-formed request tagged with ``rid`` (the echo upstream returns it)."""
    return (f"POST /user/{rid} HTTP/1.1\r\nHost: app.example\r\nX-Req-Id: {rid}\r\nContent-Length: 3\r\n\r\nabc"
            .encode())
