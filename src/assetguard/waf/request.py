"""The web request the engine inspects.

Text is handled as *byte strings*: every component is decoded as Latin-1 so each character is one
byte of the wire form (AWS WAF matches bytes 0x00-0xFF). Parsed views (path, query arguments,
cookies, lower-cased header map, JSON body) are computed lazily once per request and cached, and the
engine keeps its per-request transformation cache on the request too (``cache``).

Example::

    req = HttpRequest.from_jsonl_record({"method": "GET", "uri": "/user?id=1",
                                         "headers": [["Host", "a"]], "client_ip": "10.0.0.1"})
    req.path, req.query_string, req.query_args   # ('/user', 'id=1', [('id', '1')])
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from assetguard.core.errors import ValidationError

DEFAULT_CLIENT_IP = "127.0.0.1"


def latin1_text(value: str) -> str:
    """A Python str (as read from JSON) as its UTF-8 wire bytes in Latin-1 form (``'é' -> 'Ã©'``).

    Lone surrogates ``\udc80-\udcff`` stand for raw bytes that were not UTF-8 (surrogateescape).
    """
    if value.isascii():
        return value
    return value.encode("utf-8", "surrogateescape").decode("latin-1")


def wire_to_text(value: str) -> str:
    """Inverse of :func:`latin1_text`: wire bytes back to a str, invalid UTF-8 kept as surrogates."""
    if value.isascii():
        return value
    return value.encode("latin-1").decode("utf-8", "surrogateescape")


class HttpRequest:
    """One HTTP request: method, raw URI, ordered headers, body prefix and client address.

    ``body`` holds at most the inspected prefix; ``body_size`` is the full length when known
    (a proxy streams the rest), so oversize handling works without buffering everything.
    """

    __slots__ = ("method", "uri", "headers", "body", "body_size", "client_ip", "http_version",
                 "request_id", "cache", "_path", "_query", "_args", "_hmap", "_cookies", "_json", "_json_ok")

    def __init__(self, method: str, uri: str, headers: list[tuple[str, str]] | None = None,
                 body: bytes = b"", client_ip: str = DEFAULT_CLIENT_IP, *, body_size: int | None = None,
                 http_version: str = "HTTP/1.1", request_id: str = "") -> None:
        self.method = method
        self.uri = uri
        self.headers: list[tuple[str, str]] = headers or []
        self.body = body
        self.body_size = len(body) if body_size is None else body_size
        self.client_ip = client_ip
        self.http_version = http_version
        self.request_id = request_id
        self.cache: dict[Any, Any] = {}
        self._path: str | None = None
        self._query: str | None = None
        self._args: list[tuple[str, str]] | None = None
        self._hmap: dict[str, list[str]] | None = None
        self._cookies: list[tuple[str, str]] | None = None
        self._json: Any = None
        self._json_ok: bool | None = None

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def from_jsonl_record(cls, record: dict[str, Any], *, where: str = "request") -> HttpRequest:
        """Build a request from the offline-evaluation record shape.

        ``{"method", "uri", "headers": [[name, value], ...], "body" | "body_base64", "client_ip"}``;
        ``headers`` may also be a mapping. Errors name ``where`` and the bad key.
        """
        if not isinstance(record, dict):
            raise ValidationError("a request record must be a JSON object", where=where)
        method = record.get("method", "GET")
        uri = record.get("uri", "/")
        if not isinstance(method, str) or not method:
            raise ValidationError("method must be a non-empty string", where=f"{where}.method")
        if not isinstance(uri, str):
            raise ValidationError("uri must be a string", where=f"{where}.uri")
        raw_headers = record.get("headers") or []
        headers: list[tuple[str, str]] = []
        if isinstance(raw_headers, dict):
            raw_headers = list(raw_headers.items())
        if not isinstance(raw_headers, list):
            raise ValidationError("headers must be a list of [name, value] pairs", where=f"{where}.headers")
        for i, pair in enumerate(raw_headers):
            if (not isinstance(pair, (list, tuple)) or len(pair) != 2
                    or not isinstance(pair[0], str) or not isinstance(pair[1], (str, int, float))):
                raise ValidationError("each header must be [name, value] strings", where=f"{where}.headers[{i}]")
            headers.append((latin1_text(pair[0]), latin1_text(str(pair[1]))))
        body = b""
        if record.get("body_base64") is not None:
            try:
                body = base64.b64decode(str(record["body_base64"]), validate=True)
            except (binascii.Error, ValueError):
                raise ValidationError("body_base64 is not valid base64", where=f"{where}.body_base64") from None
        elif record.get("body") is not None:
            raw = record["body"]
            if not isinstance(raw, str):
                raw = json.dumps(raw)
            body = raw.encode("utf-8", "surrogatepass")
        client_ip = record.get("client_ip") or DEFAULT_CLIENT_IP
        if not isinstance(client_ip, str):
            raise ValidationError("client_ip must be a string", where=f"{where}.client_ip")
        return cls(method, latin1_text(uri), headers, body, client_ip,
                   http_version=str(record.get("http_version", "HTTP/1.1")))

    # -- parsed views -------------------------------------------------------------------------
    def _split_uri(self) -> None:
        uri = self.uri
        # An absolute-form target (proxy style) is reduced to its path.
        if uri.startswith(("http://", "https://")):
            rest = uri.split("://", 1)[1]
            slash = rest.find("/")
            uri = rest[slash:] if slash >= 0 else "/"
        q = uri.find("?")
        if q >= 0:
            self._path, self._query = uri[:q], uri[q + 1:]
        else:
            self._path, self._query = uri, ""

    @property
    def path(self) -> str:
        if self._path is None:
            self._split_uri()
        assert self._path is not None
        return self._path

    @property
    def query_string(self) -> str:
        if self._query is None:
            self._split_uri()
        assert self._query is not None
        return self._query

    @property
    def query_args(self) -> list[tuple[str, str]]:
        """``name=value`` pairs of the query string, raw (not URL-decoded): decoding is a transformation."""
        if self._args is None:
            args: list[tuple[str, str]] = []
            qs = self.query_string
            if qs:
                for part in qs.split("&"):
                    if not part:
                        continue
                    eq = part.find("=")
                    args.append((part[:eq], part[eq + 1:]) if eq >= 0 else (part, ""))
            self._args = args
        return self._args

    @property
    def header_map(self) -> dict[str, list[str]]:
        """Lower-cased header name → values in order."""
        if self._hmap is None:
            hmap: dict[str, list[str]] = {}
            for name, value in self.headers:
                hmap.setdefault(name.lower(), []).append(value)
            self._hmap = hmap
        return self._hmap

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        values = self.header_map.get(name.lower())
        return values[0] if values else None

    @property
    def cookies(self) -> list[tuple[str, str]]:
        if self._cookies is None:
            out: list[tuple[str, str]] = []
            for raw in self.header_map.get("cookie", ()):
                for part in raw.split(";"):
                    part = part.strip()
                    if not part:
                        continue
                    eq = part.find("=")
                    out.append((part[:eq].strip(), part[eq + 1:].strip()) if eq >= 0 else (part, ""))
            self._cookies = out
        return self._cookies

    def json_body(self, limit: int) -> tuple[bool, Any]:
        """``(valid, parsed)`` for the first ``limit`` bytes of the body; parsed once."""
        if self._json_ok is None:
            try:
                self._json = json.loads(self.body[:limit].decode("utf-8"))
                self._json_ok = True
            except (ValueError, UnicodeDecodeError, RecursionError):
                self._json_ok = False
        return self._json_ok, self._json

    @property
    def body_text(self) -> str:
        """The body prefix as a byte string."""
        cached = self.cache.get("body_text")
        if cached is None:
            cached = self.cache["body_text"] = self.body.decode("latin-1")
        return str(cached)

    def to_record(self) -> dict[str, Any]:
        """The offline-evaluation record for this request (inverse of :meth:`from_jsonl_record`)."""
        record: dict[str, Any] = {"method": self.method, "uri": wire_to_text(self.uri),
                                  "headers": [[wire_to_text(n), wire_to_text(v)] for n, v in self.headers],
                                  "client_ip": self.client_ip}
        if self.body:
            record["body_base64"] = base64.b64encode(self.body).decode()
        return record
