"""``outbox``: store each rendered notification in the database instead of sending it.

What is stored is exactly what e-mail and Slack would send: the subject, the text and HTML
bodies and the Slack blocks. The console's Outbox page lists them. The shipped rules use this
target when neither SMTP nor Slack is configured, so a newcomer sees real alerts.

Example target::

    - id: outbox
      type: outbox
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from assetguard.core.clock import utcnow
from assetguard.events.tables import event_notifications
from assetguard.targets.base import Delivery, Target, TargetConfig, targets
from assetguard.targets.email import render_email, template_env
from assetguard.targets.notification import Notification
from assetguard.targets.slack import slack_message

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform


@targets.register("outbox")
class OutboxTarget(Target):
    """Keep the rendered notification in the ``event_notifications`` table (idempotent per delivery)."""

    type = "outbox"

    class Config(TargetConfig):
        pass

    def deliver(self, delivery: Delivery) -> str | None:
        settings = self.platform.settings
        note = Notification.from_delivery(delivery, console_url=settings.public_url)
        recipients = list(settings.smtp.recipients) or ["(no recipients configured)"]
        email = render_email(note, template_env(settings.data_dir), sender=settings.smtp.sender,
                             recipients=recipients[:10])
        text_part = email.get_body(("plain",))
        html_part = email.get_body(("html",))
        row = {"delivery_id": delivery.delivery_id or f"{delivery.event.get('id')}/{delivery.rule}",
               "event_id": str(delivery.event.get("id", "")), "rule": delivery.rule,
               "target_id": delivery.target_id, "severity": note.severity, "subject": note.subject[:500],
               "text": text_part.get_content() if text_part is not None else note.body,
               "html": html_part.get_content() if html_part is not None else None,
               "slack": slack_message(note), "created_at": utcnow()}
        with self.platform.db.begin() as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            conn.execute(dialect.insert(event_notifications).on_conflict_do_nothing(
                index_elements=["delivery_id"]).values(**row))
        return "stored in outbox"


def list_notifications(platform: Platform, *, limit: int = 100) -> list[dict[str, Any]]:
    stmt = select(event_notifications).order_by(event_notifications.c.id.desc()).limit(limit)
    with platform.db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]
