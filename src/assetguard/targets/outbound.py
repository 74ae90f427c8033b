"""Which addresses an outbound target may reach, and resolving a name once to a vetted address.

Only globally routable unicast addresses pass (``ipaddress``'s ``is_global``), and these are
refused explicitly even where ``is_global`` lets them through: shared address space
``100.64.0.0/10`` (carrier-grade NAT; Alibaba Cloud's metadata service is 100.100.100.200),
benchmarking ``198.18.0.0/15``, "this network" ``0.0.0.0/8``, IPv4 and IPv6 multicast, reserved
ranges and deprecated IPv6 site-local ``fec0::/10``. An IPv6 address that carries an IPv4 address
is judged by that IPv4 address: mapped ``::ffff:0:0/96``, 6to4 ``2002::/16``, Teredo ``2001::/32``
(server and client), NAT64 ``64:ff9b::/96`` and local-use NAT64 ``64:ff9b:1::/48``. The operator's
allowed networks (``settings.outbound.allow_cidrs``) are the only exceptions::

    guard = OutboundGuard(["10.20.0.0/16"])
    guard.refusal(ipaddress.ip_address("100.100.100.200"))   # 'in 100.64.0.0/10 (shared address space)'
    guard.resolve("hooks.example.com", 443)                   # [IPv4Address(...)]: every answer vetted

:meth:`OutboundGuard.resolve` looks the name up exactly once; the HTTP client then connects to
the returned address while sending the name as TLS SNI and ``Host``, so a DNS answer that changes
between check and connect (rebinding) is never used.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

from assetguard.core.errors import DeliveryError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class OutboundRefused(Exception):
    """The destination is not allowed (``reason`` says why); retrying cannot help."""

    def __init__(self, host: str, address: IPAddress | None, reason: str) -> None:
        where = f"{host!r} resolves to {address}, which is " if address is not None else f"{host!r}: "
        super().__init__(f"{where}{reason}; an operator can allow it with settings.outbound.allow_cidrs")
        self.host = host
        self.address = address
        self.reason = reason


class OutboundUnresolved(Exception):
    """The name has no address (DNS failure); may succeed later."""


_V4_REFUSED: tuple[tuple[ipaddress.IPv4Network, str], ...] = tuple(
    (ipaddress.IPv4Network(net), why) for net, why in (
        ("0.0.0.0/8", "'this network'"),
        ("100.64.0.0/10", "shared address space"),
        ("198.18.0.0/15", "benchmarking space"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
    ))
_V6_REFUSED: tuple[tuple[ipaddress.IPv6Network, str], ...] = tuple(
    (ipaddress.IPv6Network(net), why) for net, why in (
        ("ff00::/8", "multicast"),
        ("fec0::/10", "site-local"),
    ))
_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")
_TEREDO = ipaddress.IPv6Network("2001::/32")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address] | None:
    """The IPv4 addresses an IPv6 address carries (None when it carries none).

    Local-use NAT64 (RFC 8215) may use any RFC 6052 prefix length inside ``64:ff9b:1::/48``; both
    the /48 layout and the /96 layout are returned, and both must pass.
    """
    value = int(address)
    if address in _MAPPED or address in _NAT64:
        return [ipaddress.IPv4Address(value & 0xFFFFFFFF)]
    if address in _SIX_TO_FOUR:
        return [ipaddress.IPv4Address((value >> 80) & 0xFFFFFFFF)]
    if address in _TEREDO:
        server, client = address.teredo or (None, None)
        return [a for a in (server, client) if a is not None]
    if address in _NAT64_LOCAL:
        # RFC 6052 /48: IPv4 bits 48-63 and 72-87 (bits 64-71 are the zero "u" octet).
        high = (value >> 64) & 0xFFFF
        low = (value >> 40) & 0xFFFF
        return [ipaddress.IPv4Address((high << 16) | low), ipaddress.IPv4Address(value & 0xFFFFFFFF)]
    return None


class OutboundGuard:
    """Vets destination addresses against the rules above and the operator's allowed networks."""

    def __init__(self, allow_cidrs: Iterable[str] = ()) -> None:
        self.allowed: tuple[IPNetwork, ...] = tuple(ipaddress.ip_network(c, strict=False) for c in allow_cidrs)

    def _allowed(self, address: IPAddress) -> bool:
        return any(address.version == net.version and address in net for net in self.allowed)

    def refusal(self, address: IPAddress) -> str | None:
        """Why ``address`` may not be reached, or None when it may."""
        if self._allowed(address):
            return None
        if isinstance(address, ipaddress.IPv6Address):
            carried = embedded_ipv4(address)
            if carried is not None:
                for v4 in carried:
                    why = self.refusal(v4)
                    if why is not None:
                        return f"carrying {v4}, {why}"
                return None
            for net, why in _V6_REFUSED:
                if address in net:
                    return f"in {net} ({why})"
        else:
            for v4net, why in _V4_REFUSED:
                if address in v4net:
                    return f"in {v4net} ({why})"
        if address.is_multicast:
            return "multicast"
        if address.is_reserved:
            return "reserved"
        if not address.is_global:
            return "not globally routable (private, loopback, link-local or special-purpose)"
        return None

    def check(self, host: str, address: IPAddress) -> None:
        """Raise :class:`OutboundRefused` when ``address`` (an answer for ``host``) is not allowed."""
        why = self.refusal(address)
        if why is not None:
            raise OutboundRefused(host, address, why)

    def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Look ``host`` up once and vet every answer (one refused answer refuses the host).

        Refusing on any bad answer, rather than picking a good one, keeps a name that mixes
        public and internal addresses from reaching the internal one through a retry.
        """
        literal = _literal(host)
        if literal is not None:
            self.check(host, literal)
            return [literal]
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            raise OutboundUnresolved(f"cannot resolve {host!r}") from None
        addresses: list[IPAddress] = []
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise OutboundUnresolved(f"{host!r} has no address")
        for address in addresses:
            self.check(host, address)
        return addresses


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None


def guard_for(settings: Any) -> OutboundGuard:
    """The deployment's guard: ``outbound.allow_cidrs`` plus the older ``webhook.allow_private_networks``."""
    return OutboundGuard([*settings.outbound.allow_cidrs, *settings.webhook.allow_private_networks])


def delivery_error(exc: OutboundRefused | OutboundUnresolved, what: str) -> DeliveryError:
    """The delivery error a target records: a refusal is final, a failed lookup is retried."""
    if isinstance(exc, OutboundRefused):
        return DeliveryError(f"{what}: {exc}", code="ForbiddenAddress", retryable=False)
    return DeliveryError(f"{what}: {exc}", code="DnsError")
