"""Replay one attack payload in every place an attacker puts it."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, quote_plus

HOST = "app.example.com"
PLACEMENTS = ("query", "path", "header", "cookie", "form", "json", "multipart")
_BASE_HEADERS = [
    ["Host", HOST],
    ["User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"],
    ["Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"],
    ["Accept-Language", "en-US,en;q=0.5"],
]


def _header_safe(payload: str) -> bool:
    return all(32 <= ord(c) < 127 or c == "\t" for c in payload)


def _with_body(method: str, uri: str, content_type: str, body: str) -> dict[str, Any]:
    headers = [
        *map(list, _BASE_HEADERS),
        ["Content-Type", content_type],
        ["Content-Length", str(len(body.encode("utf-8", errors="surrogateescape")))],
    ]
    return {"method": method, "uri": uri, "headers": headers, "body": body}


def place(payload: str, where: str) -> dict[str, Any] | None:
    """The request carrying ``payload`` at ``where``; None when HTTP cannot carry it there."""
    headers = [list(h) for h in _BASE_HEADERS]
    if where == "query":
        return {"method": "GET", "uri": "/content?q=" + quote_plus(payload, safe=""), "headers": headers}
    if where == "path":
        return {"method": "GET", "uri": "/content/" + quote(payload, safe=""), "headers": headers}
    if where == "header":
        if not _header_safe(payload):
            return None
        headers.append(["Referer", payload])
        return {"method": "GET", "uri": "/content", "headers": headers}
    if where == "cookie":
        headers.append(["Cookie", "session=abc123; pref=" + quote(payload, safe="")])
        return {"method": "GET", "uri": "/content", "headers": headers}
    if where == "form":
        return _with_body(
            "POST",
            "/content",
            "application/x-www-form-urlencoded",
            "title=hello&q=" + quote_plus(payload, safe=""),
        )
    if where == "json":
        return _with_body(
            "POST", "/content", "application/json", json.dumps({"title": "hello", "q": payload})
        )
    if where == "multipart":
        if "\r\n--" in payload:
            return None
        boundary = "----assetguardBoundary7MA4YWxk"
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nhello\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="q"\r\n\r\n{payload}\r\n--{boundary}--\r\n'
        )
        return _with_body("POST", "/content/upload", f"multipart/form-data; boundary={boundary}", body)
    raise ValueError(f"unknown placement {where!r}")
