"""``email``: SMTP (plain, STARTTLS or implicit TLS, optional auth), multipart text + HTML.

Bodies come from Jinja2 templates ``email/notification.txt.j2`` and ``email/notification.html.j2``;
put files with those names under ``<data_dir>/templates/email/`` to override them. At most 10
recipients per message (the target's ``recipients``, else ``settings.smtp.recipients``).

Example target::

    - id: email
      type: email
      config: {recipients: [secops@example.com]}
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from pydantic import Field

from assetguard.core.errors import DeliveryError
from assetguard.targets.base import Delivery, Target, TargetConfig, targets
from assetguard.targets.notification import Notification

TEMPLATES = Path(__file__).parent / "templates"


def template_env(data_dir: Path) -> Environment:
    """User templates under ``data_dir/templates`` first, then the shipped ones."""
    loader = ChoiceLoader([FileSystemLoader(str(data_dir / "templates")), FileSystemLoader(str(TEMPLATES))])
    return Environment(loader=loader, autoescape=select_autoescape(enabled_extensions=("html", "html.j2")),
                       keep_trailing_newline=True)


def render_email(note: Notification, env: Environment, *, sender: str, recipients: list[str]) -> EmailMessage:
    context = {"n": note, "note": note.as_dict()}
    message = EmailMessage()
    message["Subject"] = note.subject.replace("\n", " ")[:250]
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Message-ID"] = make_msgid(domain="assetguard")
    message["X-AssetGuard-Event-Id"] = note.event_id
    message.set_content(env.get_template("email/notification.txt.j2").render(context))
    message.add_alternative(env.get_template("email/notification.html.j2").render(context), subtype="html")
    return message


@targets.register("email")
class EmailTarget(Target):
    """Send the notification by e-mail through ``settings.smtp``."""

    type = "email"
    rate_per_second = 10.0

    class Config(TargetConfig):
        recipients: list[str] = Field(default_factory=list, max_length=10)
        ca_file: str | None = None  # extra CA bundle for a private mail relay's certificate

    def _cfg(self) -> EmailTarget.Config:
        assert isinstance(self.config, EmailTarget.Config)
        return self.config

    def rate_key(self) -> str:
        s = self.platform.settings.smtp
        return f"smtp:{s.host}:{s.port}"

    def build_message(self, delivery: Delivery) -> EmailMessage:
        settings = self.platform.settings
        recipients = self._cfg().recipients or list(settings.smtp.recipients)
        if not recipients:
            raise DeliveryError("no e-mail recipients (target config or settings.smtp.recipients)",
                                code="NotConfigured", retryable=False)
        note = Notification.from_delivery(delivery, console_url=settings.public_url)
        return render_email(note, template_env(settings.data_dir), sender=settings.smtp.sender,
                            recipients=recipients[:10])

    def deliver(self, delivery: Delivery) -> str | None:
        s = self.platform.settings.smtp
        if not s.host:
            raise DeliveryError("SMTP is not configured (settings.smtp.host)", code="NotConfigured", retryable=False)
        message = self.build_message(delivery)
        context = ssl.create_default_context(cafile=self._cfg().ca_file)
        try:
            client: smtplib.SMTP
            if s.security == "tls":
                client = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            with client:
                if s.security == "starttls":
                    client.starttls(context=context)
                if s.username:
                    client.login(s.username, s.password.get_secret_value() if s.password else "")
                refused = client.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"SMTP authentication failed ({exc.smtp_code})", code="SmtpAuthFailed",
                                retryable=False) from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"SMTP refused all recipients: {sorted(exc.recipients)}", code="RecipientsRefused",
                                retryable=False) from None
        except smtplib.SMTPResponseException as exc:
            transient = 400 <= exc.smtp_code < 500
            raise DeliveryError(f"SMTP error {exc.smtp_code}", code=f"SMTP{exc.smtp_code}",
                                retryable=transient) from None
        except ssl.SSLError as exc:
            raise DeliveryError(f"TLS with the SMTP server failed: {exc.reason}", code="TlsError") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"cannot talk to the SMTP server ({type(exc).__name__})",
                                code="ConnectionError") from None
        if refused:
            return f"sent; refused {sorted(refused)}"
        return f"sent to {len(message['To'].split(','))} recipient(s)"
