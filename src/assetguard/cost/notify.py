"""``budget-email``: the e-mail target for ``Budget Threshold Breached``, addressed to the notification's
subscribers (``detail.subscribers``), else the target's ``recipients``, else ``settings.smtp.recipients``.

It is the events engineer's ``email`` target with budget-aware recipients, subject and body. The rule condition
``smtp-configured`` needs ``smtp.host`` and ``smtp.recipients`` (the fallback) to be set. The
shipped rule ``events/defaults/budget-alerts.yaml`` routes budget events to it::

    - id: email
      type: budget-email
      condition: smtp-configured
"""

from __future__ import annotations

import dataclasses
from email.message import EmailMessage
from typing import Any

from assetguard.core.errors import DeliveryError
from assetguard.targets.base import Delivery
from assetguard.targets.email import EmailTarget, render_email, template_env
from assetguard.targets.notification import Notification

SYMBOL = {"GREATER_THAN": ">", "LESS_THAN": "<", "EQUAL_TO": "="}


def budget_text(detail: dict[str, Any]) -> tuple[str, str]:
    """Subject and plain-text body for one ``Budget Threshold Breached`` detail."""
    n = detail.get("notification", {})
    unit = detail.get("unit", "USD")
    pct = "%" if n.get("thresholdType") == "PERCENTAGE" else f" {unit}"
    kind = "Forecast" if n.get("type") == "FORECASTED" else "Actual"
    subject = (f"Budget {detail.get('budget')}: {kind.lower()} spend {SYMBOL.get(n.get('operator', ''), '?')} "
               f"{n.get('threshold', 0):g}{pct}")
    period = detail.get("period", {})
    lines = [f"{kind} spend crossed the {n.get('type')} {n.get('operator')} {n.get('threshold', 0):g}{pct} "
             f"threshold of budget {detail.get('budget')}.",
             "",
             f"Period:   {period.get('start')} to {period.get('end')} (end exclusive)",
             f"As of:    {detail.get('asOf')}",
             f"Limit:    {_money(detail.get('limit'))} {unit}",
             f"Actual:   {_money(detail.get('actual'))} {unit}"]
    forecast = detail.get("forecast")
    if forecast:
        lines.append(f"Forecast: {_money(forecast.get('mean'))} {unit} (80 % interval "
                     f"{_money(forecast.get('lower'))} to {_money(forecast.get('upper'))})")
    else:
        lines.append("Forecast: none (too little history, or a DAILY budget)")
    return subject, "\n".join(lines)


def _money(value: Any) -> str:
    return f"{value:,.2f}" if isinstance(value, int | float) else "n/a"


class BudgetEmailTarget(EmailTarget):
    """E-mail a budget notification to its own subscribers."""

    type = "budget-email"

    def build_message(self, delivery: Delivery) -> EmailMessage:
        settings = self.platform.settings
        detail = delivery.event.get("detail") or {}
        subscribers = [s for s in detail.get("subscribers", []) if isinstance(s, str)]
        recipients = subscribers or self._cfg().recipients or list(settings.smtp.recipients)
        if not recipients:
            raise DeliveryError("no e-mail recipients (budget subscribers, target config or smtp.recipients)",
                                code="NotConfigured", retryable=False)
        subject, body = budget_text(detail)
        note = Notification.from_delivery(delivery, console_url=settings.public_url)
        note = dataclasses.replace(note, title=subject, body=body,
                                   link=f"{settings.public_url.rstrip('/')}/console/cost")
        return render_email(note, template_env(settings.data_dir), sender=settings.smtp.sender,
                            recipients=recipients[:10])
