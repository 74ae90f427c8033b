"""A human notification derived from a delivery: what e-mail, Slack and the outbox render.

Findings events (``Findings - Imported``) use the finding's title, severity and resource; any
other event uses its detail-type, ``detail.severity`` when present and its first resource. When a
rule's input transformer produced text, that text is the notification's body::

    note = Notification.from_delivery(delivery, console_url="http://127.0.0.1:8080")
    note.subject   # "[HIGH] S3 bucket allows public read"
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from assetguard.core.redact import mask_text, redact
from assetguard.targets.base import Delivery

SEVERITY_ICONS = {"CRITICAL": "🔴", "HIGH": "🟠", "MEDIUM": "🟡", "LOW": "🔵", "INFORMATIONAL": "⚪"}


def console_link(console_url: str, event: Mapping[str, Any], rule: str) -> str:
    """The console page that shows what an event is about (a finding's link is built with its ids)."""
    base = console_url.rstrip("/") + "/console"
    detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
    assert isinstance(detail, dict)
    source = str(event.get("source", ""))
    if source == "assetguard.cost" and detail.get("budget"):
        return f"{base}/cost?" + urlencode({"budget": str(detail["budget"])})
    if source == "assetguard.waf":
        return f"{base}/waf"
    resources = event.get("resources") or []
    if source == "assetguard.inventory" and resources:
        return f"{base}/assets/view?" + urlencode({"arn": str(resources[0])})
    return f"{base}/rules#rule-" + quote(rule)  # the rule that sent it: its targets, deliveries and dead letters


@dataclass(frozen=True)
class Notification:
    title: str
    severity: str | None
    account: str
    region: str
    resource: str
    rule: str
    event_id: str
    time: str
    detail_type: str
    source: str
    body: str
    link: str
    items: tuple[Notification, ...] = field(default=())

    @property
    def subject(self) -> str:
        prefix = f"[{self.severity}] " if self.severity else ""
        if self.items:
            return f"{prefix}{len(self.items)} alerts from rule {self.rule}"
        return f"{prefix}{self.title}"

    @classmethod
    def from_event(cls, event: Mapping[str, Any], payload: Any, *, rule: str, console_url: str) -> Notification:
        detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
        assert isinstance(detail, dict)
        resources = event.get("resources") or []
        title = str(event.get("detail-type", "event"))
        severity: str | None = None
        resource = str(resources[0]) if resources else ""
        link = console_link(console_url, event, rule)
        body = ""
        is_finding = False
        findings = detail.get("findings")
        if isinstance(findings, list) and findings and isinstance(findings[0], dict):
            finding = findings[0]
            title = str(finding.get("Title") or title)
            sev = finding.get("Severity")
            severity = str(sev.get("Label")) if isinstance(sev, dict) and sev.get("Label") else None
            res = finding.get("Resources")
            if isinstance(res, list) and res and isinstance(res[0], dict):
                resource = str(res[0].get("Id", resource))
            body = str(finding.get("Description") or "")
            is_finding = True
            # The finding's own page (the list page ignores an id).
            link = f"{console_url.rstrip('/')}/console/findings/detail?" + urlencode(
                {"id": str(finding.get("Id", "")), "product_arn": str(finding.get("ProductArn", ""))})
        elif isinstance(detail.get("severity"), str):
            severity = str(detail["severity"]).upper()
        # The body goes to mail, Slack and the outbox viewers read: secrets in it are masked.
        if isinstance(payload, str):
            body = mask_text(payload)
        elif payload is not None and payload is not event and payload != event:
            body = json.dumps(redact(payload), indent=2, default=str)
        elif not body and not is_finding:
            body = json.dumps(redact(detail), indent=2, default=str)
        return cls(title=title, severity=severity, account=str(event.get("account", "")),
                   region=str(event.get("region", "")), resource=resource, rule=rule,
                   event_id=str(event.get("id", "")), time=str(event.get("time", "")),
                   detail_type=str(event.get("detail-type", "")), source=str(event.get("source", "")),
                   body=body, link=link)

    @classmethod
    def from_delivery(cls, delivery: Delivery, *, console_url: str) -> Notification:
        digest = delivery.extra.get("digest") if delivery.extra else None
        if digest and len(digest) > 1:
            items = tuple(cls.from_event(d["event"], d["payload"], rule=delivery.rule, console_url=console_url)
                          for d in digest)
            order = list(SEVERITY_ICONS)
            severities = [i.severity for i in items if i.severity in order]
            worst = min(severities, key=order.index) if severities else None
            first = items[0]
            return cls(title=f"{len(items)} alerts", severity=worst, account=first.account, region=first.region,
                       resource=first.resource, rule=delivery.rule, event_id=first.event_id, time=first.time,
                       detail_type=first.detail_type, source=first.source,
                       body="\n".join(f"- {i.subject} ({i.resource})" for i in items), link=first.link,
                       items=items)
        return cls.from_event(delivery.event, delivery.payload, rule=delivery.rule, console_url=console_url)

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "severity": self.severity, "account": self.account, "region": self.region,
                "resource": self.resource, "rule": self.rule, "event_id": self.event_id, "time": self.time,
                "detail_type": self.detail_type, "source": self.source, "body": self.body, "link": self.link,
                "subject": self.subject, "items": [i.as_dict() for i in self.items]}
