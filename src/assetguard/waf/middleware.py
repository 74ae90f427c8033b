"""``WAFMiddleware``: protect any ASGI application with a web ACL.

The middleware buffers at most the ACL's body inspection limit, evaluates the request, and then
either answers the block response itself or passes the request on, replaying the buffered
prefix and streaming the rest of the body from the client untouched.

Example::

    app = WAFMiddleware(app, gate=WafGate(lambda: load_compiled_acl("baseline")))
    # or: WAFMiddleware(app, acl="baseline")
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from assetguard.waf.engine import Verdict, load_compiled_acl
from assetguard.waf.gate import WafGate
from assetguard.waf.request import HttpRequest

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DEFAULT_BLOCK_BODY = b"Forbidden by the web application firewall\n"


def block_response(verdict: Verdict) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, headers and body for a BLOCK verdict (custom response when the rule has one)."""
    status = verdict.response_code or 403
    body = verdict.response_body.encode("utf-8") if verdict.response_body is not None else DEFAULT_BLOCK_BODY
    content_type = verdict.response_content_type or "text/plain"
    headers = [(b"content-type", f"{content_type}; charset=utf-8".encode()),
               (b"content-length", str(len(body)).encode())]
    headers += [(n.encode("latin-1"), v.encode("latin-1")) for n, v in verdict.response_headers]
    return status, headers, body


class WAFMiddleware:
    """ASGI middleware evaluating each HTTP request before the wrapped app sees it."""

    def __init__(self, app: ASGIApp, *, gate: WafGate | None = None, acl: str | None = None) -> None:
        if gate is None:
            name = acl or "baseline"
            gate = WafGate(lambda: load_compiled_acl(name))
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.gate.acl.body_limit
        buffered: list[Message] = []
        prefix = bytearray()
        more = True
        while more and len(prefix) <= limit:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break
            prefix += message.get("body", b"")
            more = bool(message.get("more_body", False))
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers", [])]
        declared = next((v for k, v in headers if k.lower() == "content-length"), None)
        body_size = len(prefix)
        if more:
            body_size = int(declared) if declared and declared.isdigit() else max(len(prefix), limit + 1)
        raw_path = scope.get("raw_path") or scope.get("path", "/").encode("utf-8")
        query = scope.get("query_string", b"")
        uri = raw_path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
        client = scope.get("client") or ("127.0.0.1", 0)
        request = HttpRequest(scope.get("method", "GET"), uri, headers, bytes(prefix[:limit]), client[0],
                              body_size=body_size, http_version=f"HTTP/{scope.get('http_version', '1.1')}")
        verdict = self.gate.inspect(request)
        if verdict.action == "BLOCK":
            status, resp_headers, body = block_response(verdict)
            await send({"type": "http.response.start", "status": status, "headers": resp_headers})
            await send({"type": "http.response.body", "body": body})
            return
        if verdict.insert_headers:
            scope = dict(scope)
            scope["headers"] = [*scope.get("headers", []),
                                *((n.encode("latin-1"), v.encode("latin-1")) for n, v in verdict.insert_headers)]
        replay = iter(buffered)

        async def replaying_receive() -> Message:
            for message in replay:
                return message
            return await receive()

        await self.app(scope, replaying_receive, send)
