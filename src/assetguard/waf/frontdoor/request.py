"""The canonical request: what the front door accepts from a parsed head, and what it sends upstream.

:func:`canonical_request` checks a head llhttp accepted against RFC 9112/9110 rules llhttp leaves
to the application (version, target form and bytes, exactly one valid ``Host``, one framing,
``Connection`` options) and raises :class:`Refusal` otherwise. :func:`upstream_head` writes a new
head from the result: origin-form target, one ``Host``, end-to-end fields only, framing
recomputed. The client's raw head bytes are never forwarded.

Example::

    request = canonical_request(message)    # message: a MessageParser with head_done
    upstream_head(request, b"127.0.0.1", b"http", [], b"Content-Length: 12")
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from assetguard.waf.frontdoor.errors import Refusal
from assetguard.waf.frontdoor.parser import MessageParser

TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# RFC 3986 host (IP-literal, IPv4 or reg-name) with an optional port
HOST = re.compile(rb"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::[0-9]{0,5})?")
# request-target bytes: visible ASCII without '#' (a fragment is never sent); llhttp already refuses most others
TARGET = re.compile(rb"[!\x22\x24-\x7e]+")
# RFC 9110 7.6.1: connection-specific fields, never forwarded; plus Proxy-Authenticate/-Authorization (hop-by-hop
# in RFC 2616 and in every proxy), the recomputed framing, Host, and Expect (this proxy answers 100-continue itself)
HOP_BY_HOP = frozenset({b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer", b"transfer-encoding",
                        b"upgrade", b"proxy-authenticate", b"proxy-authorization"})
REWRITTEN = frozenset({b"content-length", b"host", b"expect", b"x-forwarded-proto"})
# a Connection option must not remove these: they frame or route the message end to end
NOT_NOMINABLE = frozenset({b"content-length", b"transfer-encoding", b"host"})
BODILESS = frozenset({b"GET", b"HEAD", b"TRACE"})


@dataclass(slots=True)
class CanonicalRequest:
    method: bytes
    target: bytes  # origin-form (or "*" for OPTIONS)
    version: str  # "1.0" | "1.1"
    host: bytes | None  # None: an HTTP/1.0 request without Host
    headers: list[tuple[bytes, bytes]]  # as received, values without surrounding white space
    keep_alive: bool
    framing: str  # "none" | "length" | "chunked"
    length: int = 0
    expect_continue: bool = False
    drop: frozenset[bytes] = field(default=HOP_BY_HOP)


def canonical_request(message: MessageParser) -> CanonicalRequest:
    """Check a parsed request head; the request to inspect and forward, or :class:`Refusal`."""
    version = message.version
    if version not in ("1.1", "1.0"):
        if version == "0.9":
            raise Refusal(400, "invalid_version", "HTTP/0.9 request")
        raise Refusal(505, "unsupported_version", f"HTTP/{version} is not supported")
    method = message.method
    if method == b"CONNECT":
        raise Refusal(405, "connect", "CONNECT is not supported")
    hosts: list[bytes] = []
    lengths: list[bytes] = []
    encodings: list[bytes] = []
    tokens: set[bytes] = set()
    expect_continue = False
    headers: list[tuple[bytes, bytes]] = []
    for name, raw in message.headers:
        value = raw.strip(b" \t")
        headers.append((name, value))
        lower = name.lower()
        if lower == b"host":
            hosts.append(value)
        elif lower == b"content-length":
            lengths.append(value)
        elif lower == b"transfer-encoding":
            encodings.append(value)
        elif lower == b"connection":
            for token in value.split(b","):
                token = token.strip(b" \t")
                if token:
                    if TOKEN.fullmatch(token) is None:
                        raise Refusal(400, "invalid_connection", "Connection holds something other than tokens")
                    tokens.add(token.lower())
        elif lower == b"expect":
            expect_continue = value.lower() == b"100-continue"
    nominated = tokens & NOT_NOMINABLE
    if nominated:
        raise Refusal(400, "connection_nominates_framing",
                      f"Connection names {b', '.join(sorted(nominated)).decode()}")
    target, authority = _target(message.url, method)
    host = _host(hosts, authority, version)
    framing, length = _framing(lengths, encodings, version)
    if method in BODILESS and (framing == "chunked" or length):
        # a GET body is where CL.0 smuggling hides: many servers ignore Content-Length on GET
        raise Refusal(400, "body_on_bodiless_method", f"{method.decode()} request with a body")
    keep_alive = b"close" not in tokens and (version == "1.1" or b"keep-alive" in tokens) and not message.upgrade
    return CanonicalRequest(method, target, version, host, headers, keep_alive, framing, length, expect_continue,
                            HOP_BY_HOP | REWRITTEN | tokens)


def _target(url: bytes, method: bytes) -> tuple[bytes, bytes | None]:
    """(origin-form target, authority of an absolute-form target or None)."""
    if TARGET.fullmatch(url) is None:
        raise Refusal(400, "invalid_target", "request target holds control, non-ASCII or '#' bytes")
    if url[:1] == b"/":
        return url, None
    if url == b"*":
        if method != b"OPTIONS":
            raise Refusal(400, "invalid_target", "asterisk-form target outside OPTIONS")
        return url, None
    lower = url[:8].lower()
    if not (lower.startswith(b"http://") or lower.startswith(b"https://")):
        raise Refusal(400, "invalid_target", "request target is neither origin-form nor an http(s) URI")
    parts = urlsplit(url.decode("ascii"))
    if "@" in parts.netloc or not parts.netloc:
        raise Refusal(400, "invalid_target", "absolute-form target without a host or with user information")
    authority = parts.netloc.encode("ascii")
    rest = url[len(parts.scheme) + 3 + len(authority):]
    if not rest or rest[:1] == b"?":
        rest = b"/" + rest
    return rest, authority


def _host(hosts: list[bytes], authority: bytes | None, version: str) -> bytes | None:
    if len(hosts) > 1:
        raise Refusal(400, "duplicate_host", "more than one Host field")
    if hosts and HOST.fullmatch(hosts[0]) is None:
        raise Refusal(400, "invalid_host", "Host is not a valid host[:port]")
    if authority is not None:
        if HOST.fullmatch(authority) is None:
            raise Refusal(400, "invalid_host", "absolute-form target with an invalid host")
        if hosts and hosts[0].lower() != authority.lower():
            raise Refusal(400, "host_mismatch", "Host differs from the absolute-form target's authority")
        if not hosts and version == "1.1":
            raise Refusal(400, "missing_host", "HTTP/1.1 request without Host")  # RFC 9112 3.2, whatever the form
        return authority
    if not hosts:
        if version == "1.1":
            raise Refusal(400, "missing_host", "HTTP/1.1 request without Host")
        return None
    return hosts[0]


def _framing(lengths: list[bytes], encodings: list[bytes], version: str) -> tuple[str, int]:
    # llhttp has refused most of these already; checked again so no lenient build can let them through
    if lengths and encodings:
        raise Refusal(400, "cl_and_te", "both Content-Length and Transfer-Encoding")
    if len(lengths) > 1:
        raise Refusal(400, "duplicate_content_length", "more than one Content-Length")
    if lengths:
        if not lengths[0].isdigit():
            raise Refusal(400, "invalid_content_length", "Content-Length is not a number")
        return "length", int(lengths[0])
    if not encodings:
        return "none", 0
    if version == "1.0":
        raise Refusal(400, "te_in_http10", "Transfer-Encoding in an HTTP/1.0 request")
    if len(encodings) > 1:
        raise Refusal(400, "duplicate_transfer_encoding", "more than one Transfer-Encoding")
    codings = [c.strip(b" \t").lower() for c in encodings[0].split(b",")]
    if codings[-1] != b"chunked" or codings.count(b"chunked") > 1:
        raise Refusal(400, "invalid_transfer_encoding", "Transfer-Encoding must end with one chunked")
    if len(codings) > 1:
        raise Refusal(501, "unsupported_transfer_coding", "transfer codings other than chunked")
    return "chunked", 0


def upstream_head(request: CanonicalRequest, host: bytes, forwarded_for: bytes, proto: bytes,
                  inserts: list[tuple[bytes, bytes]], framing: bytes) -> bytes:
    """The head sent upstream: written from ``request``, never copied from the client's bytes."""
    drop = request.drop
    if inserts:
        drop = drop | {n.lower() for n, _ in inserts}
    lines = [request.method + b" " + request.target + b" HTTP/1.1", b"Host: " + host]
    xff: bytes | None = None
    for name, value in request.headers:
        lower = name.lower()
        if lower in drop:
            continue
        if lower == b"x-forwarded-for":
            xff = value if xff is None else xff + b", " + value
            continue
        lines.append(name + b": " + value)
    lines.append(b"X-Forwarded-For: " + (xff + b", " + forwarded_for if xff else forwarded_for))
    lines.append(b"X-Forwarded-Proto: " + proto)
    lines.extend(n + b": " + v for n, v in inserts)
    if framing:
        lines.append(framing)
    lines.append(b"\r\n")
    return b"\r\n".join(lines)


def response_head(status: int, reason: bytes, headers: list[tuple[bytes, bytes]], framing: bytes,
                  keep_alive: bool) -> bytes:
    """The head sent to the client: the upstream's end-to-end fields, framing and Connection recomputed."""
    drop = set(HOP_BY_HOP) | {b"content-length"}
    for name, value in headers:
        if name.lower() == b"connection":
            drop.update(t.strip(b" \t").lower() for t in value.split(b","))
    lines = [b"HTTP/1.1 %d %s" % (status, reason or b"-")]
    lines.extend(n + b": " + v.strip(b" \t") for n, v in headers if n.lower() not in drop)
    if framing:
        lines.append(framing)
    lines.append(b"Connection: keep-alive" if keep_alive else b"Connection: close")
    lines.append(b"\r\n")
    return b"\r\n".join(lines)
