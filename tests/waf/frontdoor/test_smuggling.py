"""Request smuggling through the proxy, against a strict (h11) and a lenient upstream.

Every case is refused with 400 (or 501/505) before anything reaches an upstream, or forwarded as
exactly one canonical request. The lenient upstream must never see an ambiguous request, the
strict one never a protocol error, and no smuggled ``/admin`` request may arrive anywhere.
Vectors follow the classic CL.TE / TE.CL / TE.TE / CL.0 families (PortSwigger's request
smuggling research, RFC 9112 6.3 and 7.1) and the cases of issue 19.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.waf.frontdoor.conftest import Harness, log_records, read_responses, request

H = "POST /user HTTP/1.1\r\nHost: app.example\r\nUser-Agent: t\r\n"
SMUGGLED = "GET /admin/secret HTTP/1.1\r\nHost: app.example\r\n\r\n"

REFUSED: dict[str, tuple[bytes, int, str]] = {
    # name: (raw request, status, reason label)
    "cl.te": ((H + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG").encode(), 400, "cl_and_te"),
    "te.cl": ((H + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\n" + SMUGGLED + "\r\n0\r\n\r\n")
              .encode(), 400, "cl_and_te"),
    "te.te xchunked": ((H + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n").encode(), 400,
                       "invalid_transfer_encoding"),
    "te.te space before colon": ((H + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n").encode(), 400,
                                 "invalid_header_name"),
    "te.te two fields": ((H + "Transfer-Encoding: chunked\r\nTransfer-encoding: identity\r\n\r\n0\r\n\r\n")
                         .encode(), 400, "invalid_transfer_encoding"),
    "te.te chunked twice": ((H + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n").encode(), 400,
                            "invalid_transfer_encoding"),
    "te.te last not chunked": ((H + "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n").encode(), 400,
                               "invalid_transfer_encoding"),
    "te.te vertical tab": ((H + "Transfer-Encoding:\x0bchunked\r\n\r\n0\r\n\r\n").encode(), 400,
                           "invalid_header_value"),
    "te.te obs-fold": ((H + "X-Pad: a\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n").encode(), 400,
                       "obs_fold_or_whitespace"),
    "te.te bare LF": ((H + "X-Pad: a\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").encode(), 400,
                      "bare_cr_or_lf"),
    "te in HTTP/1.0": (b"POST /user HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
                       "te_in_http10"),
    "gzip coding": ((H + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n").encode(), 501,
                    "unsupported_transfer_coding"),
    "differing content-lengths": ((H + "Content-Length: 5\r\nContent-Length: 41\r\n\r\nhello" + SMUGGLED)
                                  .encode(), 400, "duplicate_content_length"),
    "content-length list": ((H + "Content-Length: 5, 41\r\n\r\nhello").encode(), 400, "invalid_content_length"),
    "cl.0 GET with a body": ((f"GET /user HTTP/1.1\r\nHost: app.example\r\nContent-Length: {len(SMUGGLED)}\r\n"
                              f"\r\n{SMUGGLED}").encode(), 400, "body_on_bodiless_method"),
    "connection names content-length (issue 19)": (
        (H + f"Connection: keep-alive, Content-Length\r\nContent-Length: {len(SMUGGLED)}\r\n\r\n{SMUGGLED}")
        .encode(), 400, "connection_nominates_framing"),
    "connection names transfer-encoding": ((H + "Connection: Transfer-Encoding\r\nTransfer-Encoding: chunked"
                                            "\r\n\r\n0\r\n\r\n").encode(), 400, "connection_nominates_framing"),
    "connection names host": ((H + "Connection: close, host\r\nContent-Length: 0\r\n\r\n").encode(), 400,
                              "connection_nominates_framing"),
    "bare LF smuggles a content-length": ((H + "X-Note: a\nContent-Length: 5\r\n\r\nhello").encode(), 400,
                                          "bare_cr_or_lf"),
    "bare CR": ((H + "X-Note: a\rb\r\nContent-Length: 0\r\n\r\n").encode(), 400, "bare_cr_or_lf"),
    "NUL in the path": (b"GET /user\x00/admin HTTP/1.1\r\nHost: a\r\n\r\n", 400, "invalid_target"),
    "NUL in a value": (b"GET /user HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n", 400, "invalid_header_value"),
    "absolute-form with another host": (b"GET http://other.example/user HTTP/1.1\r\nHost: app.example\r\n\r\n",
                                        400, "host_mismatch"),
    "two hosts": (b"GET /user HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "duplicate_host"),
    "no host in 1.1": (b"GET /user HTTP/1.1\r\nUser-Agent: t\r\n\r\n", 400, "missing_host"),
    "double space in the request line": (b"GET  /user HTTP/1.1\r\nHost: a\r\n\r\n", 400, "malformed_request_line"),
    "upgrade with a body": ((H + f"Connection: Upgrade\r\nUpgrade: websocket\r\nContent-Length: {len(SMUGGLED)}\r\n\r\n"
                             + SMUGGLED).encode(), 400, "upgrade_with_body"),
    "HTTP/2 in an HTTP/1 request line": (b"GET /user HTTP/2.0\r\nHost: a\r\n\r\n", 505, "unsupported_version"),
}
for size in ("0x5", "+5", "0_5", " 5", "5 ", "-5", "5\t"):
    REFUSED[f"chunk size {size!r}"] = ((H + f"Transfer-Encoding: chunked\r\n\r\n{size}\r\nhello\r\n0\r\n\r\n")
                                       .encode(), 400, "invalid_chunk")
REFUSED["chunk size 2^80"] = ((H + "Transfer-Encoding: chunked\r\n\r\n%x\r\nhello" % (1 << 80)).encode(), 400,
                              "size_overflow")
REFUSED["chunk size of 17 digits"] = ((H + "Transfer-Encoding: chunked\r\n\r\n00000000000000005\r\nhello\r\n"
                                       "0\r\n\r\n").encode(), 400, "chunk_size_too_long")
REFUSED["chunk extension too long"] = ((H + "Transfer-Encoding: chunked\r\n\r\n5;" + "x" * 2000
                                        + "\r\nhello\r\n0\r\n\r\n").encode(), 400, "chunk_line_too_long")
REFUSED["chunk without its CRLF"] = ((H + "Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n").encode(), 400,
                                     "bare_cr_or_lf")
REFUSED["trailers too long"] = ((H + "Transfer-Encoding: chunked\r\n\r\n0\r\n" + "X-T: aaaaaaaa\r\n" * 1000
                                 + "\r\n").encode(), 400, "trailers_too_large")


@pytest.fixture(params=["strict", "lenient"])
def harness(request: pytest.FixtureRequest, make_harness: Callable[..., Harness]) -> Harness:
    return make_harness(request.param)


def _clean(harness: Harness) -> None:
    upstream = harness.upstream
    assert not any(seen.target.startswith(b"/admin") for seen in upstream.requests)
    assert getattr(upstream, "ambiguous", []) == []
    assert getattr(upstream, "violations", []) == []


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_before_any_upstream(harness: Harness, name: str, tmp_path: Path) -> None:
    raw, status, reason = REFUSED[name]
    [response] = harness.send(raw, responses=2)
    assert response.status == status
    assert response.header(b"connection") == b"close"
    assert harness.upstream.requests == []
    _clean(harness)
    [record] = [r for r in log_records(tmp_path) if r["terminatingRuleId"] == "AssetGuard-Protocol"]
    assert record["action"] == "BLOCK" and record["responseCodeSent"] == status
    assert {"name": f"assetguard:protocol:{reason}"} in record["labels"]


def test_the_smuggled_admin_request_never_arrives_and_later_clients_get_their_own(harness: Harness) -> None:
    """Issue 19: the Connection-nominated Content-Length case, then normal traffic on the same pool."""
    raw, _, _ = REFUSED["connection names content-length (issue 19)"]
    for _ in range(3):
        assert harness.send(raw)[0].status == 400
    for i in range(5):
        [response] = harness.send(request(f"/user/{i}", rid=f"r{i}"))
        assert response.status == 200 and response.json()["id"] == f"r{i}"
    _clean(harness)


def test_admin_is_blocked_by_the_acl(harness: Harness) -> None:
    assert harness.send(request("/admin/x"))[0].status == 403
    _clean(harness)


def test_allowed_chunked_body_is_forwarded_with_a_recomputed_length(harness: Harness) -> None:
    raw = (H + "Transfer-Encoding: chunked\r\nX-Req-Id: c1\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n"
           "0\r\nX-Trailer: dropped\r\n\r\n").encode()
    [response] = harness.send(raw)
    assert response.status == 200 and response.json()["len"] == 11 and response.json()["id"] == "c1"
    [seen] = harness.upstream.requests
    assert seen.body == b"hello world"
    names = [k.lower() for k, _ in seen.headers]
    assert b"transfer-encoding" not in names and (b"content-length", b"11") in [(k.lower(), v) for k, v in seen.headers]
    _clean(harness)


def test_pipelined_requests_are_answered_in_order_and_a_smuggle_in_the_pipeline_ends_it(harness: Harness) -> None:
    raw = request("/user/1", rid="p1") + request("/user/2", rid="p2", method="POST", body=b"abc") + \
        REFUSED["cl.te"][0] + request("/user/3", rid="p3")
    responses = harness.send(raw, responses=4)
    assert [r.status for r in responses] == [200, 200, 400]
    assert [r.json()["id"] for r in responses[:2]] == ["p1", "p2"]
    assert [s.target for s in harness.upstream.requests] == [b"/user/1", b"/user/2"]
    _clean(harness)


def test_expect_100_continue_is_answered_by_the_proxy(harness: Harness) -> None:
    with harness.connect() as sock:
        sock.sendall((H + "Expect: 100-continue\r\nContent-Length: 5\r\nX-Req-Id: e\r\n\r\n").encode())
        assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(b"hello")
        sock.shutdown(socket.SHUT_WR)
        [response] = read_responses(sock, 1)
    assert response.status == 200 and response.json()["len"] == 5
    assert all(k.lower() != b"expect" for k, _ in harness.upstream.requests[0].headers)
    _clean(harness)
