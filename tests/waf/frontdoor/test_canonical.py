"""What reaches the upstream is written by the proxy: origin-form, one Host, end-to-end fields only."""

from __future__ import annotations

import socket
from collections.abc import Callable

from tests.waf.frontdoor.conftest import Harness, StrictUpstream, read_responses, request


def test_absolute_form_becomes_origin_form_with_the_authority_as_host(make_harness: Callable[..., Harness]) -> None:
    harness = make_harness()
    [response] = harness.send(b"GET http://App.Example:8080/user/1?q=2 HTTP/1.1\r\nHost: app.example:8080\r\n"
                              b"X-Req-Id: a\r\n\r\n")
    assert response.status == 200
    assert response.json() | {"sha": ""} == {"method": "GET", "target": "/user/1?q=2", "host": "App.Example:8080",
                                             "id": "a", "len": 0, "sha": ""}
    [response] = harness.send(b"GET http://app.example?x=1 HTTP/1.0\r\nX-Req-Id: b\r\n\r\n")
    assert response.json()["target"] == "/?x=1" and response.json()["host"] == "app.example"


def test_http10_without_host_is_served_and_keep_alive_only_when_asked(make_harness: Callable[..., Harness]) -> None:
    harness = make_harness()
    upstream = harness.upstream
    [response] = harness.send(b"GET /user HTTP/1.0\r\n\r\n", shut=False)
    assert response.status == 200 and response.header(b"connection") == b"close"
    assert response.json()["host"] == f"127.0.0.1:{upstream.port}"  # as nginx's $proxy_host
    with harness.connect() as sock:
        for i in range(3):
            sock.sendall(f"GET /user/{i} HTTP/1.0\r\nConnection: keep-alive\r\nX-Req-Id: k{i}\r\n\r\n".encode())
            [response] = read_responses(sock, 1)
            assert response.status == 200 and response.header(b"connection") == b"keep-alive"
            assert response.json()["id"] == f"k{i}"
    [seen] = {s.target for s in upstream.requests if s.target == b"/user/2"}
    assert seen == b"/user/2"


def test_hop_by_hop_and_nominated_fields_are_dropped(make_harness: Callable[..., Harness]) -> None:
    harness = make_harness()
    raw = (b"POST /user HTTP/1.1\r\nHost: app.example\r\nConnection: keep-alive, X-Secret\r\n"
           b"X-Secret: s\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nUpgrade: h2c\r\nProxy-Authorization: Basic x\r\n"
           b"Proxy-Connection: keep-alive\r\nX-Forwarded-Proto: gopher\r\nX-Forwarded-For: 203.0.113.9\r\n"
           b"X-Kept:   padded value  \r\nContent-Length: 3\r\n\r\nabc")
    [response] = harness.send(raw)
    assert response.status == 200
    [seen] = harness.upstream.requests
    lower = [(k.lower(), v) for k, v in seen.headers]
    names = [k for k, _ in lower]
    for gone in (b"connection", b"x-secret", b"keep-alive", b"te", b"upgrade", b"proxy-authorization",
                 b"proxy-connection"):
        assert gone not in names
    assert (b"x-forwarded-proto", b"http") in lower and names.count(b"x-forwarded-proto") == 1
    assert (b"x-forwarded-for", b"203.0.113.9, 127.0.0.1") in lower
    assert (b"x-kept", b"padded value") in lower and (b"content-length", b"3") in lower
    assert names.count(b"host") == 1 and seen.body == b"abc"


def test_responses_are_reframed_for_the_client(make_harness: Callable[..., Harness]) -> None:
    harness = make_harness()
    [chunked] = harness.send(request("/chunked-response"))
    assert chunked.body == b"hello world" and chunked.header(b"transfer-encoding") == b"chunked"
    [until_close] = harness.send(request("/eof/1"))
    assert until_close.body == b"until-close /eof/1" and until_close.header(b"transfer-encoding") == b"chunked"
    [old_client] = harness.send(b"GET /chunked-response HTTP/1.0\r\n\r\n")
    assert old_client.body == b"hello world" and old_client.header(b"connection") == b"close"
    assert old_client.header(b"transfer-encoding") is None
    with harness.connect() as sock:  # a 204 has no body whatever its Content-Length says
        sock.sendall(request("/no-content") + request("/user/after-204", rid="n2"))
        responses = read_responses(sock, 2)
    assert [r.status for r in responses] == [204, 200] and responses[1].json()["id"] == "n2"
    assert responses[0].header(b"content-length") is None
    with harness.connect() as sock:  # a HEAD response has a Content-Length and no body
        sock.sendall(request("/user", method="HEAD") + request("/user/after-head", rid="h2"))
        data = b""
        while data.count(b"HTTP/1.1 200") < 2 or not data.endswith(b"}"):
            data += sock.recv(65536)
    head, _, rest = data.partition(b"\r\n\r\n")
    assert b"Content-Length: " in head and rest.startswith(b"HTTP/1.1 200 OK") and b'"id": "h2"' in rest


def test_one_pooled_connection_serves_sequential_clients(make_harness: Callable[..., Harness]) -> None:
    upstream = StrictUpstream()
    harness = make_harness(upstream)
    for i in range(10):
        [response] = harness.send(request(f"/user/{i}", rid=str(i)))
        assert response.json()["id"] == str(i)
    assert upstream.violations == []
    assert len(upstream.raw) == 1 and len(upstream.requests) == 10


def test_the_health_endpoint_answers_without_the_upstream(make_harness: Callable[..., Harness]) -> None:
    harness = make_harness()
    with harness.connect() as sock:
        sock.sendall(b"GET /__assetguard/health HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.shutdown(socket.SHUT_WR)
        [response] = read_responses(sock, 1)
    assert response.status == 200 and response.json()["status"] == "ok"
    assert harness.upstream.requests == []


def test_the_same_under_uvloop(make_harness: Callable[..., Harness]) -> None:
    """`assetguard waf proxy` runs on uvloop: pooled reuse, chunked both ways and a refusal there too."""
    upstream = StrictUpstream()
    harness = make_harness(upstream, use_uvloop=True)
    for i in range(5):
        [response] = harness.send(request(f"/user/{i}", rid=str(i), method="POST", body=b"x" * i))
        assert response.json()["id"] == str(i) and response.json()["len"] == i
    [chunked] = harness.send(b"PUT /user HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                             b"3\r\nabc\r\n0\r\n\r\n")
    assert chunked.json()["len"] == 3
    assert harness.send(request("/chunked-response"))[0].body == b"hello world"
    assert harness.send(b"GET /user HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")[0] \
        .status == 400
    assert len(upstream.raw) == 1 and upstream.violations == []
