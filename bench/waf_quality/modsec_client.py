"""Send offline-contract records to nginx+ModSecurity over raw HTTP/1.1 and read the status."""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def raw_request(rec: dict[str, Any]) -> bytes:
    lines = [f"{rec['method']} {rec['uri']} HTTP/1.1"]
    has_host = False
    for name, value in rec["headers"]:
        if name.lower() in ("connection", "transfer-encoding"):
            continue
        has_host = has_host or name.lower() == "host"
        lines.append(f"{name}: {value}")
    if not has_host:
        lines.append("Host: app.example.com")
    lines.append("Connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", errors="surrogateescape")
    body = rec.get("body") or ""
    return head + body.encode("utf-8", errors="surrogateescape")


def status_of(rec: dict[str, Any], port: int, timeout: float = 10.0) -> int:
    """HTTP status nginx answers for ``rec`` (0 when the connection fails)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(raw_request(rec))
            data = b""
            while b"\r\n" not in data:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
            parts = data.split(b" ", 2)
            return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    except OSError:
        return 0


def statuses(records: list[dict[str, Any]], port: int, threads: int = 4) -> list[int]:
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda r: status_of(r, port), records))
