"""``webhook``: POST the payload as JSON, signed with HMAC-SHA256.

Headers: ``X-AssetGuard-Signature: sha256=<hex HMAC of the body>`` (key: ``config.secret``, else
the shared webhook key: ``assetguard keys show webhook``), ``X-AssetGuard-Delivery`` (an idempotency key) and
``X-AssetGuard-Event-Id``. The host is resolved and *every* address checked: private, loopback,
link-local, multicast, reserved and unspecified addresses are refused (``ForbiddenAddress``)
unless a CIDR in ``settings.webhook.allow_private_networks`` contains them. For ``http`` URLs
the request goes to the checked address (no second DNS lookup to rebind).

Example target::

    - id: siem
      type: webhook
      config: {url: "https://siem.example.com/hook", secret: "s3cr3t-shared-key"}
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from assetguard.auth.keys import WEBHOOK_KEY
from assetguard.core.errors import DeliveryError
from assetguard.targets.base import Delivery, Target, TargetConfig, targets
from assetguard.targets.http import HttpError, HttpTimeout

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def sign(secret: bytes, body: bytes) -> str:
    """The signature header value for ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return is_public(address.ipv4_mapped)
    return not (address.is_private or address.is_loopback or address.is_link_local or address.is_multicast
                or address.is_reserved or address.is_unspecified)


def check_addresses(host: str, port: int, allowed: Sequence[str]) -> list[IPAddress]:
    """Resolve ``host`` and refuse if any address is non-public and not allow-listed."""
    networks = [ipaddress.ip_network(c, strict=False) for c in allowed]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise DeliveryError(f"cannot resolve webhook host {host!r}", code="DnsError") from None
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    for address in addresses:
        if not is_public(address) and not any(address.version == n.version and address in n for n in networks):
            raise DeliveryError(f"webhook host {host!r} resolves to {address}, a private/loopback/link-local "
                                "address; allow it with settings.webhook.allow_private_networks",
                                code="ForbiddenAddress", retryable=False)
    if not addresses:
        raise DeliveryError(f"webhook host {host!r} has no address", code="DnsError")
    return addresses


@targets.register("webhook")
class WebhookTarget(Target):
    """JSON POST with an HMAC-SHA256 signature; refuses private networks unless allow-listed."""

    type = "webhook"

    class Config(TargetConfig):
        url: SecretStr
        secret: SecretStr | None = None
        timeout: float | None = None
        headers: dict[str, str] = {}

    def _cfg(self) -> WebhookTarget.Config:
        assert isinstance(self.config, WebhookTarget.Config)
        return self.config

    def rate_key(self) -> str:
        return "webhook:" + hashlib.sha256(self._cfg().url.get_secret_value().encode()).hexdigest()[:16]

    def deliver(self, delivery: Delivery) -> str | None:
        cfg = self._cfg()
        url = cfg.url.get_secret_value()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DeliveryError("webhook url must be http(s)://host/...", code="InvalidUrl", retryable=False)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = check_addresses(parts.hostname, port, self.platform.settings.webhook.allow_private_networks)
        body = json.dumps(delivery.payload, separators=(",", ":"), default=str).encode()
        key = cfg.secret.get_secret_value() if cfg.secret else self.platform.keys.text(WEBHOOK_KEY)
        secret = key.encode()
        headers = {**cfg.headers, "Content-Type": "application/json", "User-Agent": "assetguard-webhook",
                   "X-AssetGuard-Signature": sign(secret, body), "X-AssetGuard-Delivery": delivery.delivery_id,
                   "X-AssetGuard-Event-Id": str(delivery.event.get("id", ""))}
        target_url = url
        if parts.scheme == "http":
            # Connect to the address we checked; keep the name in the Host header.
            headers["Host"] = parts.netloc.rsplit("@", 1)[-1]
            ip = addresses[0]
            host = f"[{ip}]" if ip.version == 6 else str(ip)
            target_url = urlunsplit((parts.scheme, f"{host}:{port}", parts.path or "/", parts.query, ""))
        timeout = cfg.timeout or self.platform.settings.webhook.timeout
        try:
            response = self.http_client().post(target_url, content=body, headers=headers, timeout=timeout)
        except HttpTimeout:
            raise DeliveryError(f"webhook {parts.hostname} did not answer within {timeout} s", code="Timeout") from None
        except HttpError as exc:
            raise DeliveryError(f"cannot reach webhook {parts.hostname} ({type(exc).__name__})",
                                code="ConnectionError") from None
        if response.status_code == 429:
            try:
                wait = max(1.0, float(response.headers.get("retry-after", "1")))
            except ValueError:
                wait = 1.0
            raise DeliveryError(f"webhook {parts.hostname} throttled (429)", code="Throttled", retry_after=wait)
        if response.status_code >= 500 or response.status_code in (408, 425):
            raise DeliveryError(f"webhook {parts.hostname} answered {response.status_code}",
                                code=f"HTTP{response.status_code}")
        if response.status_code >= 300:
            raise DeliveryError(f"webhook {parts.hostname} answered {response.status_code}",
                                code=f"HTTP{response.status_code}", retryable=False)
        return f"webhook {response.status_code}"
