"""``webhook``: POST the payload as JSON, signed with HMAC-SHA256.

Headers: ``X-AssetGuard-Signature: sha256=<hex HMAC of the body>`` (key: ``config.secret``, else
the shared webhook key: ``assetguard keys show webhook``), ``X-AssetGuard-Delivery`` (an idempotency key) and
``X-AssetGuard-Event-Id``. For a while after ``assetguard keys rotate webhook`` (24 hours by
default) the header carries one signature per valid version of the shared key, current first,
comma-separated (``sha256=<new>, sha256=<old>``), as Stripe's ``v1=`` list does: a receiver
accepts a delivery when any of them matches its secret, so it can move to the new key at any
time in that window. The host is resolved once and *every* answer vetted
(:mod:`assetguard.targets.outbound`): anything but a globally routable unicast address is
refused (``ForbiddenAddress``, not retried) unless ``settings.outbound.allow_cidrs`` (or the older
``settings.webhook.allow_private_networks``) contains it. The request, http or https, goes to the
vetted address with the name as ``Host`` and TLS SNI (no second DNS lookup to rebind).

Example target::

    - id: siem
      type: webhook
      config: {url: "https://siem.example.com/hook", secret: "s3cr3t-shared-key"}
"""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import urlsplit

from pydantic import SecretStr

from assetguard.auth.keys import WEBHOOK_KEY
from assetguard.core.errors import DeliveryError
from assetguard.targets.base import Delivery, Target, TargetConfig, targets
from assetguard.targets.http import HttpError, HttpTimeout
from assetguard.targets.outbound import OutboundRefused, OutboundUnresolved, delivery_error


def sign(secret: bytes, body: bytes) -> str:
    """The signature header value for ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def signature_header(secrets: list[bytes], body: bytes) -> str:
    """One ``sha256=`` signature per secret, comma-separated (one secret: exactly :func:`sign`)."""
    return ", ".join(sign(secret, body) for secret in secrets)


def verify(header: str, secret: bytes, body: bytes) -> bool:
    """True when any signature in ``header`` is ``body``'s under ``secret`` (what a receiver does)."""
    expected = sign(secret, body)
    return any(hmac.compare_digest(part.strip(), expected) for part in header.split(","))


@targets.register("webhook")
class WebhookTarget(Target):
    """JSON POST with an HMAC-SHA256 signature; refuses non-global addresses unless allow-listed."""

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
        body = json.dumps(delivery.payload, separators=(",", ":"), default=str).encode()
        secrets = ([cfg.secret.get_secret_value().encode()] if cfg.secret
                   else [k.text.encode() for k in self.platform.keys.valid(WEBHOOK_KEY)])
        headers = {**cfg.headers, "Content-Type": "application/json", "User-Agent": "assetguard-webhook",
                   "X-AssetGuard-Signature": signature_header(secrets, body), "X-AssetGuard-Delivery": delivery.delivery_id,
                   "X-AssetGuard-Event-Id": str(delivery.event.get("id", ""))}
        timeout = cfg.timeout or self.platform.settings.webhook.timeout
        try:
            response = self.http_client().post(url, content=body, headers=headers, timeout=timeout)
        except (OutboundRefused, OutboundUnresolved) as exc:
            raise delivery_error(exc, "webhook") from None
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
