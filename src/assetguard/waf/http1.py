"""Minimal HTTP/1.1 message framing for the reverse proxy (asyncio streams).

Only what a proxy needs: read a message head, decide the body framing (Content-Length, chunked,
until-close, none), read a body prefix for inspection, and copy the rest without buffering it.
Chunked bodies are forwarded as raw chunks; the decoded prefix is kept aside for the WAF.

Example::

    head = await read_head(reader)            # Head(start=b"GET / HTTP/1.1", headers=[...])
    framing = request_framing(head.headers)   # ("length", 12) | ("chunked", 0) | ("none", 0)
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

HOP_BY_HOP = {b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer", b"upgrade",
              b"proxy-authenticate", b"proxy-authorization"}
COPY_CHUNK = 64 * 1024


class ProtocolError(Exception):
    """The peer sent something that is not valid HTTP/1.x; ``status`` is the answer to give."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Head:
    start: bytes
    headers: list[tuple[bytes, bytes]]

    def get(self, name: bytes) -> bytes | None:
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    def connection_tokens(self) -> set[bytes]:
        value = self.get(b"connection")
        return {t.strip().lower() for t in value.split(b",")} if value else set()


async def read_head(reader: asyncio.StreamReader) -> Head | None:
    """The next message head, or None at a clean end of stream."""
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial.strip():
            return None
        raise ProtocolError("connection closed in the middle of a message head") from None
    except asyncio.LimitOverrunError:
        raise ProtocolError("message head too large", 431) from None
    lines = raw[:-4].split(b"\r\n")
    while lines and not lines[0]:  # tolerate stray CRLF between keep-alive requests
        lines.pop(0)
    if not lines:
        return None
    headers: list[tuple[bytes, bytes]] = []
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep or not name or name != name.strip() or b" " in name:
            raise ProtocolError("malformed header line")
        headers.append((name, value.strip()))
    return Head(lines[0], headers)


def request_framing(head: Head) -> tuple[str, int]:
    """Body framing of a request: ("chunked", 0), ("length", n) or ("none", 0); smuggling attempts raise."""
    te = head.get(b"transfer-encoding")
    cls = [v for k, v in head.headers if k.lower() == b"content-length"]
    if te is not None:
        if cls:
            raise ProtocolError("both Transfer-Encoding and Content-Length")
        if te.strip().lower() != b"chunked":
            raise ProtocolError("unsupported Transfer-Encoding", 501)
        return "chunked", 0
    if cls:
        if len(set(cls)) != 1 or not cls[0].isdigit():
            raise ProtocolError("invalid Content-Length")
        return "length", int(cls[0])
    return "none", 0


def response_framing(head: Head, method: bytes, status: int) -> tuple[str, int]:
    if method == b"HEAD" or status in (204, 304) or 100 <= status < 200:
        return "none", 0
    te = head.get(b"transfer-encoding")
    if te is not None and te.strip().lower().endswith(b"chunked"):
        return "chunked", 0
    cl = head.get(b"content-length")
    if cl is not None and cl.isdigit():
        return "length", int(cl)
    return "close", 0


async def read_chunk(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """One chunk: (raw bytes as received, decoded data); data == b"" marks the last chunk (trailers included)."""
    size_line = await reader.readuntil(b"\r\n")
    size_text = size_line.split(b";", 1)[0].strip()
    try:
        size = int(size_text, 16)
    except ValueError:
        raise ProtocolError("invalid chunk size") from None
    if size == 0:
        raw = bytearray(size_line)
        while True:  # trailers, then the empty line
            line = await reader.readuntil(b"\r\n")
            raw += line
            if line == b"\r\n":
                return bytes(raw), b""
    data = await reader.readexactly(size + 2)
    if data[-2:] != b"\r\n":
        raise ProtocolError("chunk not terminated by CRLF")
    return size_line + data, data[:-2]


async def copy_length(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, remaining: int) -> None:
    while remaining > 0:
        data = await reader.read(min(COPY_CHUNK, remaining))
        if not data:
            raise ProtocolError("connection closed before the body ended", 502)
        writer.write(data)
        remaining -= len(data)
        await writer.drain()


async def copy_chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        raw, data = await read_chunk(reader)
        writer.write(raw)
        if not data:
            break
        if writer.transport.get_write_buffer_size() > COPY_CHUNK:
            await writer.drain()
    await writer.drain()


async def copy_until_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        data = await reader.read(COPY_CHUNK)
        if not data:
            return
        writer.write(data)
        await writer.drain()


def serialise_head(start: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
    parts = [start]
    parts.extend(name + b": " + value for name, value in headers)
    return b"\r\n".join(parts) + b"\r\n\r\n"
