"""Read requests for offline evaluation: JSONL records, HAR files and CRS regression YAML (go-ftw).

Each reader yields ``(id, HttpRequest)``; ids are ``line:<n>``, ``har:<n>`` or
``<rule_id>-<test_id>[-<stage>]`` so results can be traced back.

Example::

    for request_id, request in read_requests(Path("traffic.jsonl")):
        print(request_id, acl.evaluate(request).action)
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import yaml

from assetguard.core.errors import ValidationError
from assetguard.core.textfile import read_stdin, read_text
from assetguard.waf.request import HttpRequest


def read_jsonl(stream: IO[str], name: str = "requests") -> Iterator[tuple[str, HttpRequest]]:
    for lineno, line in enumerate(stream, 1):
        if not line.strip():
            continue
        where = f"{name}:{lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"invalid JSON: {exc.msg}", where=where) from None
        yield f"line:{lineno}", HttpRequest.from_jsonl_record(record, where=where)


def read_har(path: Path) -> Iterator[tuple[str, HttpRequest]]:
    try:
        doc = json.loads(read_text(path, "HAR file"))
        entries = doc["log"]["entries"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValidationError(f"not a HAR file (log.entries): {exc}", where=str(path)) from None
    for i, entry in enumerate(entries):
        where = f"{path} (log.entries[{i}].request)"
        req = entry.get("request") if isinstance(entry, dict) else None
        if not isinstance(req, dict) or not isinstance(req.get("url"), str):
            raise ValidationError("request.url is required", where=where)
        headers = [(str(h.get("name", "")), str(h.get("value", ""))) for h in req.get("headers") or []
                   if isinstance(h, dict) and not str(h.get("name", "")).startswith(":")]
        body = b""
        post = req.get("postData")
        if isinstance(post, dict) and isinstance(post.get("text"), str):
            body = (base64.b64decode(post["text"]) if post.get("encoding") == "base64"
                    else post["text"].encode("utf-8"))
        record = {"method": req.get("method", "GET"), "uri": _origin_form(req["url"]), "headers": headers}
        request = HttpRequest.from_jsonl_record(record, where=where)
        request.body, request.body_size = body, len(body)
        client = entry.get("_clientAddress") or entry.get("clientIPAddress")
        if isinstance(client, str) and client:
            request.client_ip = client
        yield f"har:{i}", request


def _origin_form(url: str) -> str:
    if "://" in url:
        rest = url.split("://", 1)[1]
        slash = rest.find("/")
        url = rest[slash:] if slash >= 0 else "/"
    return url.split("#", 1)[0] or "/"


def parse_raw_request(raw: bytes, where: str) -> HttpRequest:
    """An HTTP/1.x request as bytes on the wire (go-ftw ``raw_request`` / ``encoded_request``)."""
    head, _, body = raw.partition(b"\r\n\r\n")
    if not _:
        head, _, body = raw.partition(b"\n\n")
    lines = head.decode("latin-1").replace("\r\n", "\n").split("\n")
    parts = lines[0].split(" ")
    if len(parts) < 2:
        raise ValidationError("raw request has no request line", where=where)
    method, uri = parts[0], parts[1]
    version = parts[2] if len(parts) > 2 else "HTTP/1.1"
    headers = []
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers.append((name.strip(), value.strip()))
    return HttpRequest(method or "GET", uri, headers, body, http_version=version)


def _crs_stage(inp: dict[str, Any], where: str) -> HttpRequest:
    if inp.get("encoded_request"):
        return parse_raw_request(base64.b64decode(str(inp["encoded_request"])), where)
    if inp.get("raw_request"):
        return parse_raw_request(str(inp["raw_request"]).encode("utf-8"), where)
    headers_in = inp.get("headers") or {}
    headers = [(str(k), "" if v is None else str(v)) for k, v in
               (headers_in.items() if isinstance(headers_in, dict) else [])]
    data = inp.get("data")
    if isinstance(data, list):
        data = "\r\n".join(str(x) for x in data)
    body = str(data).encode("utf-8") if data is not None else b""
    names = {n.lower() for n, _ in headers}
    if body and "content-type" not in names and inp.get("autocomplete_headers", True):
        headers.append(("Content-Type", "application/x-www-form-urlencoded"))
    record = {"method": str(inp.get("method") or "GET"), "uri": str(inp.get("uri") or "/"), "headers": headers}
    request = HttpRequest.from_jsonl_record(record, where=where)
    request.body, request.body_size = body, len(body)
    request.http_version = str(inp.get("version") or "HTTP/1.1")
    return request


def read_crs_yaml(path: Path) -> Iterator[tuple[str, HttpRequest]]:
    """Requests of a go-ftw regression file (``tests[].stages[].input``)."""
    try:
        doc = yaml.safe_load(read_text(path, "CRS regression file"))
    except yaml.YAMLError as exc:
        raise ValidationError(f"invalid YAML: {exc}", where=str(path)) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("tests"), list):
        raise ValidationError("not a CRS regression file (tests: [...])", where=str(path))
    rule = doc.get("rule_id") or path.stem
    for ti, test in enumerate(doc["tests"]):
        stages = test.get("stages") or []
        for si, stage in enumerate(stages):
            inp = (stage.get("input") if isinstance(stage, dict) else None)
            if inp is None and isinstance(stage, dict) and isinstance(stage.get("stage"), dict):
                inp = stage["stage"].get("input")
            if not isinstance(inp, dict):
                continue
            suffix = f"-{si + 1}" if len(stages) > 1 else ""
            yield f"{rule}-{test.get('test_id', ti + 1)}{suffix}", _crs_stage(inp, f"{path} (tests[{ti}].stages[{si}])")


def read_requests(path: Path, stdin: IO[bytes] | None = None) -> Iterator[tuple[str, HttpRequest]]:
    """Pick the reader by extension: ``.har``, ``.yaml``/``.yml`` (or a directory of them), else JSONL;
    ``-`` reads JSONL from ``stdin`` (bytes; default: standard input). Text is decoded strictly as UTF-8."""
    if str(path) == "-":
        yield from read_jsonl(io.StringIO(read_stdin("requests", stdin)), "stdin")
        return
    if path.is_dir():
        for file in sorted(path.rglob("*.y*ml")):
            yield from read_crs_yaml(file)
        return
    if path.suffix == ".har":
        yield from read_har(path)
    elif path.suffix in (".yaml", ".yml"):
        yield from read_crs_yaml(path)
    else:
        yield from read_jsonl(io.StringIO(read_text(path, "requests file")), str(path))
