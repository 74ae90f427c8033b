"""``slack``: an incoming webhook, or ``chat.postMessage`` with a bot token.

Block Kit layout: a header with severity and title; fields for account, region, resource and
rule; the body; a context line with event id and time; a button to the console. Slack's limits
are respected (50 blocks, 3,000 characters per section text, 150 per header, 2,000 per field).
About one message per second per webhook; HTTP 429 ``Retry-After`` pauses that webhook. Like
the webhook target, it connects only to vetted global addresses (``settings.outbound.allow_cidrs``
adds others).

Example target (URL and token come from ``settings.slack`` unless given here)::

    - id: slack
      type: slack
      config: {channel: "#alerts"}
"""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import SecretStr

from assetguard.core.errors import DeliveryError
from assetguard.targets.base import Delivery, Target, TargetConfig, targets
from assetguard.targets.http import HttpError, HttpResponse, HttpTimeout
from assetguard.targets.notification import SEVERITY_ICONS, Notification
from assetguard.targets.outbound import OutboundRefused, OutboundUnresolved, delivery_error

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_FIELD = 2000


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _field(label: str, value: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": _cut(f"*{label}*\n{value or '-'}", MAX_FIELD)}


def _one(note: Notification) -> list[dict[str, Any]]:
    icon = SEVERITY_ICONS.get(note.severity or "", "🔔")
    header = f"{icon} {note.severity}: {note.title}" if note.severity else f"{icon} {note.title}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(header, MAX_HEADER), "emoji": True}},
        {"type": "section", "fields": [_field("Account", note.account), _field("Region", note.region),
                                       _field("Resource", note.resource), _field("Rule", note.rule)]},
    ]
    if note.body:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(note.body, MAX_SECTION)}})
    blocks.append({"type": "context", "elements": [
        {"type": "mrkdwn", "text": _cut(f"id `{note.event_id}` · {note.time} · {note.source}", MAX_SECTION)}]})
    return blocks


def render_blocks(note: Notification) -> list[dict[str, Any]]:
    """Block Kit blocks for a notification (or a digest), never more than 50."""
    button = {"type": "actions", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": "Open in console"}, "url": note.link[:3000]}]}
    if not note.items:
        return [*_one(note), button]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(f"🔔 {note.subject}", MAX_HEADER)}}]
    shown = 0
    for item in note.items:
        chunk = [{"type": "divider"}, *_one(item)[:2]]
        if len(blocks) + len(chunk) > MAX_BLOCKS - 2:
            break
        blocks.extend(chunk)
        shown += 1
    if shown < len(note.items):
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"… and {len(note.items) - shown} more"}]})
    blocks.append(button)
    return blocks[:MAX_BLOCKS]


def slack_message(note: Notification, channel: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"text": _cut(note.subject, MAX_SECTION), "blocks": render_blocks(note)}
    if channel:
        message["channel"] = channel
    return message


def _retry_after(response: HttpResponse) -> float:
    try:
        return max(1.0, float(response.headers.get("retry-after", "1")))
    except ValueError:
        return 1.0


@targets.register("slack")
class SlackTarget(Target):
    """Post a Block Kit message to Slack (webhook or bot token)."""

    type = "slack"
    rate_per_second = 1.0

    class Config(TargetConfig):
        webhook_url: SecretStr | None = None
        bot_token: SecretStr | None = None
        channel: str | None = None
        timeout: float = 10.0

    def _settings(self) -> tuple[SecretStr | None, SecretStr | None, str | None, str]:
        cfg = self.config
        assert isinstance(cfg, SlackTarget.Config)
        s = self.platform.settings.slack
        return (cfg.webhook_url or s.webhook_url, cfg.bot_token or s.bot_token, cfg.channel or s.channel,
                s.api_url)

    def rate_key(self) -> str:
        webhook, token, channel, _ = self._settings()
        secret = (webhook or token or SecretStr("")).get_secret_value() + (channel or "")
        return "slack:" + hashlib.sha256(secret.encode()).hexdigest()[:16]

    def deliver(self, delivery: Delivery) -> str | None:
        webhook, token, channel, api_url = self._settings()
        cfg = self.config
        assert isinstance(cfg, SlackTarget.Config)
        note = Notification.from_delivery(delivery, console_url=self.platform.settings.public_url)
        message = slack_message(note, channel if not webhook else None)
        try:
            if webhook is not None:
                response = self.http_client().post(webhook.get_secret_value(), json=message, timeout=cfg.timeout)
            elif token is not None and channel:
                message["channel"] = channel
                response = self.http_client().post(
                    f"{api_url.rstrip('/')}/chat.postMessage", json=message, timeout=cfg.timeout,
                    headers={"Authorization": f"Bearer {token.get_secret_value()}"})
            else:
                raise DeliveryError("Slack is not configured (settings.slack.webhook_url, or bot_token + channel)",
                                    code="NotConfigured", retryable=False)
        except (OutboundRefused, OutboundUnresolved) as exc:
            raise delivery_error(exc, "Slack") from None
        except HttpTimeout:
            raise DeliveryError("Slack did not answer in time", code="Timeout") from None
        except HttpError as exc:
            # The exception text can contain the webhook URL; report only its class.
            raise DeliveryError(f"cannot reach Slack ({type(exc).__name__})", code="ConnectionError") from None
        if response.status_code == 429:
            raise DeliveryError("Slack rate limit (429)", code="Throttled", retry_after=_retry_after(response))
        if response.status_code >= 500:
            raise DeliveryError(f"Slack answered {response.status_code}", code=f"HTTP{response.status_code}")
        if response.status_code >= 400:
            raise DeliveryError(f"Slack refused the message: {response.status_code} {response.text[:200]}",
                                code=f"HTTP{response.status_code}", retryable=False)
        if webhook is None:
            body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
            if not body.get("ok"):
                error = str(body.get("error", "unknown_error"))
                retryable = error in ("ratelimited", "internal_error", "fatal_error", "service_unavailable")
                raise DeliveryError(f"chat.postMessage failed: {error}", code=f"Slack.{error}", retryable=retryable)
            return f"slack ts {body.get('ts', '')}"
        return "slack webhook ok"
