"""The client's address behind trusted reverse proxies (``X-Forwarded-For``), as nginx's realip
module finds it with ``real_ip_recursive on``.

Only a connection from a configured trusted proxy (``api.trusted_proxies``, a CIDR list, empty by
default) may say who the client is. Its ``X-Forwarded-For`` is read from the right: each address
a trusted proxy appended is skipped, and the first untrusted one is the client. Anything left of
it was written by the client itself and is ignored, so a client cannot choose its own address::

    trusted = parse_networks(["10.0.0.0/8"])
    client_address("10.0.0.5", ["203.0.113.7, 198.51.100.9, 10.0.0.4"], trusted)   # '198.51.100.9'
    client_address("192.0.2.1", ["203.0.113.7"], trusted)                            # '192.0.2.1'

An entry that is not an IP address stops the walk: the client is then the last trusted hop that
reported it (a proxy that writes garbage is misconfigured; its word is not taken further).

:class:`TrustedProxyMiddleware` applies this to every request (``scope["client"]``), and takes
``X-Forwarded-Proto`` from trusted proxies only, so everything after it (the failed-auth throttle,
``Secure`` cookies, logs) sees the real client. ``assetguard api``/``up`` run uvicorn with its own
proxy-header handling off: by default it believes any loopback peer.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(cidrs: Iterable[str]) -> tuple[Network, ...]:
    """``["10.0.0.0/8", "192.0.2.1"]`` → networks; a bare address is a /32 or /128. ValueError names the entry."""
    out = []
    for cidr in cidrs:
        try:
            out.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{cidr!r} is not an IP address or CIDR network (e.g. 10.0.0.0/8)") from None
    return tuple(out)


def parse_address(text: str) -> Address | None:
    """An address from one forwarded entry: ``1.2.3.4``, ``1.2.3.4:80``, ``2001:db8::1``, ``[2001:db8::1]:80``."""
    text = text.strip()
    if text.startswith("["):
        end = text.find("]")
        text = text[1:end] if end > 0 else text
    elif text.count(":") == 1:  # IPv4 with a port; an IPv6 address has at least two colons
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted(address: Address | None, trusted: Sequence[Network]) -> bool:
    return address is not None and any(address.version == net.version and address in net for net in trusted)


def client_address(peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[Network]) -> str:
    """The client's address: ``peer`` unless it is a trusted proxy, then the right-most untrusted
    address of the ``X-Forwarded-For`` values (each header line may hold several, comma-separated)."""
    if peer is None:
        return "unknown"
    if not trusted or not forwarded_for or not is_trusted(parse_address(peer), trusted):
        return peer
    entries = [item for value in forwarded_for for item in value.split(",") if item.strip()]
    client = peer
    for entry in reversed(entries):
        address = parse_address(entry)
        if address is None:
            return client  # garbage from a trusted hop: stop at that hop
        client = str(address)
        if not is_trusted(address, trusted):
            return client
    return client  # every hop trusted: the left-most is the client


class TrustedProxyMiddleware:
    """ASGI middleware: the real client address and scheme behind trusted proxies."""

    def __init__(self, app: Any, trusted: Sequence[str]) -> None:
        self.app = app
        self.trusted = parse_networks(trusted)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if self.trusted and scope["type"] in ("http", "websocket"):
            client = scope.get("client")
            peer = client[0] if client else None
            if is_trusted(parse_address(peer) if peer else None, self.trusted):
                forwarded: list[str] = []
                proto: str | None = None
                for name, value in scope.get("headers", ()):
                    if name == b"x-forwarded-for":
                        forwarded.append(value.decode("latin-1"))
                    elif name == b"x-forwarded-proto":
                        proto = value.decode("latin-1").split(",")[-1].strip().lower()
                if forwarded:
                    scope = {**scope, "client": (client_address(peer, forwarded, self.trusted), 0)}
                if proto in ("http", "https"):
                    scheme = proto if scope["type"] == "http" else proto.replace("http", "ws")
                    scope = {**scope, "scheme": scheme}
        await self.app(scope, receive, send)
