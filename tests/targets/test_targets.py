"""Targets against real servers on 127.0.0.1: aiosmtpd for e-mail, HTTP receivers for Slack and webhooks."""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import hmac
import json
import logging
import socket
import ssl
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from assetguard.core.errors import DeliveryError
from assetguard.core.settings import Settings
from assetguard.runtime.platform import Platform
from assetguard.targets.base import Delivery, build_target
from assetguard.targets.slack import MAX_BLOCKS, MAX_HEADER, MAX_SECTION
from tests.targets.receivers import HttpReceiver, Received

FINDING = {"Id": "f-1", "ProductArn": "arn:p", "Title": "Security group open to the world",
           "Description": "Port 22 is open to 0.0.0.0/0", "Severity": {"Label": "HIGH"},
           "Resources": [{"Id": "arn:aws:ec2:us-east-1:111122223333:security-group/sg-1"}]}
EVENT = {"version": "0", "id": "ev-1", "detail-type": "Findings - Imported", "source": "assetguard.findings",
         "account": "111122223333", "time": "2026-11-29T10:00:00Z", "region": "us-east-1", "resources": [],
         "detail": {"findings": [FINDING]}}
SECRET_PASSWORD = "pw-Very-Secret-42"
SECRET_TOKEN = "xoxb-secret-token-4242"
LOOPBACK = {"allow_cidrs": ["127.0.0.0/8"]}  # the receivers listen on 127.0.0.1


def delivery(payload: Any = None, **extra: Any) -> Delivery:
    return Delivery(event=EVENT, payload=EVENT if payload is None else payload, rule="security-alerts",
                    target_id="t", attempt=1, delivery_id="d-1", extra=extra)


def make_platform(tmp_path: Path, **settings: Any) -> Platform:
    s = Settings(data_dir=tmp_path / ".ag", database_url=f"sqlite:///{tmp_path / 'ag.db'}",
                 secret_key="test-secret-key-0123456789abcdef", **settings)  # type: ignore[arg-type]
    return Platform.create(s)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------ Slack
def test_slack_webhook_blocks(tmp_path: Path) -> None:
    with HttpReceiver() as rx:
        platform = make_platform(tmp_path, slack={"webhook_url": rx.url + "/hooks/T/B/X"}, outbound=LOOPBACK)
        target = build_target("slack", {}, platform)
        assert target.deliver(delivery()) == "slack webhook ok"
        platform.close()
    message = rx.requests[0].json()
    assert rx.requests[0].path == "/hooks/T/B/X"
    blocks = message["blocks"]
    assert blocks[0]["type"] == "header" and "HIGH" in blocks[0]["text"]["text"]
    assert "Security group open" in blocks[0]["text"]["text"]
    fields = " ".join(f["text"] for f in blocks[1]["fields"])
    for expected in ("111122223333", "us-east-1", "sg-1", "security-alerts"):
        assert expected in fields
    context = [b for b in blocks if b["type"] == "context"][0]["elements"][0]["text"]
    assert "ev-1" in context and "2026-11-29T10:00:00Z" in context
    button = blocks[-1]["elements"][0]
    assert button["type"] == "button" and "/console/findings" in button["url"]


def test_slack_truncation_limits(tmp_path: Path) -> None:
    long = {**FINDING, "Title": "T" * 400, "Description": "D" * 10_000}
    event = {**EVENT, "detail": {"findings": [long]}}
    digest = [{"event": {**event, "id": f"e{i}"}, "payload": event} for i in range(80)]
    with HttpReceiver() as rx:
        platform = make_platform(tmp_path, slack={"webhook_url": rx.url + "/hook"}, outbound=LOOPBACK)
        target = build_target("slack", {}, platform)
        target.deliver(Delivery(event=event, payload=event, rule="r", target_id="t", delivery_id="d"))
        target.deliver(Delivery(event=event, payload=event, rule="r", target_id="t", delivery_id="d2",
                                extra={"digest": digest}))
        platform.close()
    for request in rx.requests:
        blocks = request.json()["blocks"]
        assert len(blocks) <= MAX_BLOCKS
        assert len(blocks[0]["text"]["text"]) <= MAX_HEADER
        for block in blocks:
            if block["type"] == "section" and "text" in block:
                assert len(block["text"]["text"]) <= MAX_SECTION
    single = rx.requests[0].json()["blocks"]
    assert any(b["type"] == "section" and b.get("text", {}).get("text", "").endswith("…") for b in single)
    digest_blocks = rx.requests[1].json()["blocks"]
    assert "80 alerts" in digest_blocks[0]["text"]["text"]
    assert any("more" in b["elements"][0]["text"] for b in digest_blocks if b["type"] == "context")


def test_slack_429_retry_after_and_500_retryable(tmp_path: Path) -> None:
    answers = iter([(429, {"Retry-After": "7"}, b"slow down"), (500, {}, b"oops"), (404, {}, b"no_service")])

    def responder(_r: Received) -> tuple[int, dict[str, str], bytes]:
        return next(answers)

    with HttpReceiver(responder) as rx:
        platform = make_platform(tmp_path, slack={"webhook_url": rx.url + "/hook"}, outbound=LOOPBACK)
        target = build_target("slack", {}, platform)
        with pytest.raises(DeliveryError) as throttled:
            target.deliver(delivery())
        assert throttled.value.retry_after == 7.0 and throttled.value.retryable
        with pytest.raises(DeliveryError) as server:
            target.deliver(delivery())
        assert server.value.code == "HTTP500" and server.value.retryable
        with pytest.raises(DeliveryError) as gone:
            target.deliver(delivery())
        assert gone.value.code == "HTTP404" and not gone.value.retryable
        platform.close()


def test_slack_chat_post_message_with_bot_token(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    def responder(r: Received) -> tuple[int, dict[str, str], bytes]:
        ok = r.headers.get("authorization") == f"Bearer {SECRET_TOKEN}"
        body = {"ok": True, "ts": "1.2"} if ok else {"ok": False, "error": "invalid_auth"}
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()

    with HttpReceiver(responder) as rx, caplog.at_level(logging.DEBUG):
        platform = make_platform(tmp_path, slack={"bot_token": SECRET_TOKEN, "channel": "#alerts", "api_url": rx.url},
                                 outbound=LOOPBACK)
        target = build_target("slack", {}, platform)
        assert target.deliver(delivery()) == "slack ts 1.2"
        bad = build_target("slack", {"bot_token": "xoxb-wrong"}, platform)
        with pytest.raises(DeliveryError) as info:
            bad.deliver(delivery())
        assert info.value.code == "Slack.invalid_auth" and not info.value.retryable
        platform.close()
    assert rx.requests[0].path == "/chat.postMessage"
    assert rx.requests[0].json()["channel"] == "#alerts"
    assert SECRET_TOKEN not in caplog.text and SECRET_TOKEN not in str(info.value)


# ------------------------------------------------------------------ webhook
def test_webhook_signed_post(tmp_path: Path) -> None:
    with HttpReceiver() as rx:
        platform = make_platform(tmp_path, webhook={"allow_private_networks": ["127.0.0.0/8"]})
        target = build_target("webhook", {"url": rx.url + "/in?x=1", "secret": "shared-key"}, platform)
        assert target.deliver(delivery({"hello": "world"})) == "webhook 200"
        platform.close()
    request = rx.requests[0]
    assert request.path == "/in?x=1"
    expected = "sha256=" + hmac.new(b"shared-key", request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-assetguard-signature"] == expected
    assert request.json() == {"hello": "world"}
    assert request.headers["x-assetguard-delivery"] == "d-1"


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x", "http://localhost:9/x", "http://10.1.2.3/x",
                                 "http://169.254.169.254/latest/meta-data", "http://[::1]:9/x",
                                 "http://192.168.0.1/x", "http://[::ffff:127.0.0.1]/x"])
def test_webhook_refuses_private_addresses(tmp_path: Path, url: str) -> None:
    platform = make_platform(tmp_path)
    target = build_target("webhook", {"url": url}, platform)
    with pytest.raises(DeliveryError) as info:
        target.deliver(delivery())
    platform.close()
    assert info.value.code == "ForbiddenAddress" and not info.value.retryable


def test_webhook_allow_list_is_per_network(tmp_path: Path) -> None:
    platform = make_platform(tmp_path, webhook={"allow_private_networks": ["10.0.0.0/8"]})
    target = build_target("webhook", {"url": "http://127.0.0.1:9/x"}, platform)
    with pytest.raises(DeliveryError) as info:
        target.deliver(delivery())
    platform.close()
    assert info.value.code == "ForbiddenAddress"


def test_webhook_timeout_is_retryable(tmp_path: Path) -> None:
    import time

    def slow(_r: Received) -> tuple[int, dict[str, str], bytes]:
        time.sleep(1.0)
        return 200, {}, b""

    with HttpReceiver(slow) as rx:
        platform = make_platform(tmp_path, webhook={"allow_private_networks": ["127.0.0.1/32"]})
        target = build_target("webhook", {"url": rx.url, "timeout": 0.2}, platform)
        with pytest.raises(DeliveryError) as info:
            target.deliver(delivery())
        platform.close()
    assert info.value.code == "Timeout" and info.value.retryable


# ------------------------------------------------------------------ e-mail
class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.content)))
        return "250 OK"


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(__import__("ipaddress").ip_address(
                "127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def authenticator(_server: Any, _session: Any, _envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and data.login == b"alerts" and data.password == SECRET_PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path]:
    return self_signed(tmp_path)


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def test_email_plain_multipart_and_template_override(tmp_path: Path, smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    recipients = [f"r{i}@example.com" for i in range(10)]
    platform = make_platform(tmp_path, smtp={"host": "127.0.0.1", "port": port, "recipients": recipients,
                                             "sender": "ag@example.com"})
    target = build_target("email", {}, platform)
    assert target.deliver(delivery()) == "sent to 10 recipient(s)"
    override = tmp_path / ".ag" / "templates" / "email"
    override.mkdir(parents=True)
    (override / "notification.txt.j2").write_text("CUSTOM {{ n.title }}\n")
    target.deliver(delivery())
    platform.close()
    sender, rcpts, message = inbox.messages[0]
    assert sender == "ag@example.com" and rcpts == recipients
    assert message["Subject"] == "[HIGH] Security group open to the world"
    assert message.is_multipart()
    parts = {p.get_content_type(): p.get_payload(decode=True).decode() for p in message.walk()
             if not p.is_multipart()}
    assert "Port 22 is open" in parts["text/plain"] and "sg-1" in parts["text/plain"]
    assert "<h2>" in parts["text/html"]
    custom = {p.get_content_type(): p.get_payload(decode=True).decode() for p in inbox.messages[1][2].walk()
              if not p.is_multipart()}
    assert custom["text/plain"].startswith("CUSTOM Security group")


def test_email_recipient_limit_is_validated(tmp_path: Path) -> None:
    from assetguard.core.errors import ValidationError
    from assetguard.targets.base import validate_target_config

    with pytest.raises(ValidationError):
        validate_target_config("email", {"recipients": [f"r{i}@x" for i in range(11)]})


def test_email_starttls_with_auth(tmp_path: Path, tls_files: tuple[Path, Path],
                                  caplog: pytest.LogCaptureFixture) -> None:
    cert, key = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                            authenticator=authenticator, auth_require_tls=True)
    controller.start()
    try:
        with caplog.at_level(logging.DEBUG):
            platform = make_platform(tmp_path, smtp={"host": "127.0.0.1", "port": port, "security": "starttls",
                                                     "username": "alerts", "password": SECRET_PASSWORD,
                                                     "recipients": ["a@example.com"]})
            target = build_target("email", {"ca_file": str(cert)}, platform)
            target.deliver(delivery())
            wrong = make_platform(tmp_path / "w", smtp={"host": "127.0.0.1", "port": port, "security": "starttls",
                                                        "username": "alerts", "password": "nope",
                                                        "recipients": ["a@example.com"]})
            with pytest.raises(DeliveryError) as info:
                build_target("email", {"ca_file": str(cert)}, wrong).deliver(delivery())
            platform.close()
            wrong.close()
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    assert info.value.code == "SmtpAuthFailed" and not info.value.retryable
    assert SECRET_PASSWORD not in caplog.text


def test_email_implicit_tls(tmp_path: Path, tls_files: tuple[Path, Path]) -> None:
    cert, key = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ssl_context=context)
    controller.start()
    try:
        platform = make_platform(tmp_path, smtp={"host": "127.0.0.1", "port": port, "security": "tls",
                                                 "recipients": ["a@example.com"]})
        build_target("email", {"ca_file": str(cert)}, platform).deliver(delivery())
        untrusted = build_target("email", {}, platform)
        with pytest.raises(DeliveryError) as info:
            untrusted.deliver(delivery())
        platform.close()
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    assert info.value.code in ("TlsError", "ConnectionError")


def test_email_server_down_is_retryable(tmp_path: Path) -> None:
    platform = make_platform(tmp_path, smtp={"host": "127.0.0.1", "port": free_port(), "recipients": ["a@x"]})
    with pytest.raises(DeliveryError) as info:
        build_target("email", {}, platform).deliver(delivery())
    platform.close()
    assert info.value.code == "ConnectionError" and info.value.retryable


# ------------------------------------------------------------------ secrets never logged (whole pipeline)
def test_secrets_never_logged_or_recorded(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from assetguard.auth.principal import SYSTEM
    from assetguard.events.dlq import DeadLetters
    from assetguard.events.rule_store import RuleStore
    from assetguard.events.rules import Rule
    from assetguard.events.worker import EventWorker

    hook_secret = "T000/B000/SUPERSECRETHOOK"
    platform = make_platform(tmp_path, slack={"webhook_url": f"http://127.0.0.1:{free_port()}/{hook_secret}"},
                             smtp={"host": "127.0.0.1", "port": free_port(), "username": "u",
                                   "password": SECRET_PASSWORD, "recipients": ["a@x"]})
    rule = Rule.model_validate({"name": "r", "pattern": {"source": ["s"]}, "targets": [
        {"id": "slack", "type": "slack", "retry_policy": {"maximum_retry_attempts": 0}},
        {"id": "email", "type": "email", "retry_policy": {"maximum_retry_attempts": 0}},
        {"id": "hook", "type": "webhook", "config": {"url": f"http://10.9.9.9/{hook_secret}"}},
        {"id": "log", "type": "log"}]})
    RuleStore(platform).put(rule, actor=SYSTEM)
    platform.bus.publish("s", "d", {"x": 1})
    with caplog.at_level(logging.DEBUG):
        worker = EventWorker(platform, install_defaults=False)
        worker.drain(20)
        worker._finish()
    dead = DeadLetters(platform).list()
    assert {d["target_id"] for d in dead} == {"slack", "email", "hook"}
    recorded = json.dumps(dead, default=str) + caplog.text + json.dumps(platform.audit.query(), default=str)
    for secret in (hook_secret, SECRET_PASSWORD):
        assert secret not in recorded
    assert "rule r matched event" in caplog.text
    platform.close()
