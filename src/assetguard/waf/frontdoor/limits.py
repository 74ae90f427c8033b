"""Bounds of the front door: timeouts, sizes and counts, with nginx-like defaults.

Example::

    limits = FrontDoorLimits.from_settings(settings.waf)
    limits.header_timeout  # 60.0 seconds for a whole request head
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True, slots=True)
class FrontDoorLimits:
    """Every limit the proxy enforces per client connection; the defaults follow nginx's."""

    header_timeout: float = 60.0  # a request head must arrive whole within this (client_header_timeout)
    body_timeout: float = 60.0  # longest wait between two reads of a request body (client_body_timeout)
    keepalive_timeout: float = 75.0  # idle time between requests on a kept-alive connection (keepalive_timeout)
    send_timeout: float = 60.0  # longest wait for the client to take response bytes (send_timeout)
    upstream_connect_timeout: float = 5.0
    upstream_timeout: float = 60.0  # longest wait between two upstream reads or writes (proxy_read_timeout)
    max_head_bytes: int = 32 * 1024  # request line and header fields together (large_client_header_buffers)
    max_headers: int = 100
    max_body_bytes: int = 1024 * 1024  # client_max_body_size; 0 = no limit
    max_chunk_line_bytes: int = 1024  # one chunk-size line with its extensions
    max_trailer_bytes: int = 8 * 1024
    max_connections: int = 4096  # client connections per process (worker_connections)
    stream_buffer: int = 64 * 1024  # bytes read or relayed at a time, per direction

    @classmethod
    def from_settings(cls, waf: Any) -> FrontDoorLimits:
        """The limits named in ``waf`` (``WafSettings``: ``<name>`` or ``<name>_seconds``), defaults for the rest."""
        values: dict[str, Any] = {}
        for item in fields(cls):
            for attr in (item.name, f"{item.name}_seconds"):
                value = getattr(waf, attr, None)
                if value is not None:
                    values[item.name] = value
        return cls(**values)
