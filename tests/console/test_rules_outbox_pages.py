"""Console Rules and Outbox pages: counts, enable/disable, DLQ redrive, stored notifications."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from assetguard.auth.principal import SYSTEM
from assetguard.events.dlq import DeadLetters
from assetguard.events.rule_store import RuleStore
from assetguard.events.rules import Rule
from assetguard.events.worker import EventWorker
from assetguard.runtime.platform import Platform


def test_rules_page_counts_toggle_and_redrive(client: TestClient, platform: Platform,
                                              console_login: Callable[[str], str]) -> None:
    store = RuleStore(platform)
    store.put(Rule.model_validate({"name": "ok-rule", "pattern": {"source": ["s"]},
                                   "targets": [{"id": "log", "type": "log"}]}), actor=SYSTEM)
    store.put(Rule.model_validate({"name": "bad-rule", "pattern": {"source": ["s"]},
                                   "targets": [{"id": "x", "type": "missing-type"}]}), actor=SYSTEM)
    platform.bus.publish("s", "T", {})
    worker = EventWorker(platform, install_defaults=False)
    assert worker.drain(10)
    worker._finish()
    csrf = console_login("operator")
    html = client.get("/console/rules").text
    assert 'data-rule="ok-rule"' in html and 'data-rule="bad-rule"' in html
    assert "UnknownTarget" in html
    assert '<td class="num" data-count="delivered">1</td>' in html
    forged = client.post("/console/rules/ok-rule/state", data={"state": "DISABLED", "csrf_token": "nope"})
    assert forged.status_code == 403
    resp = client.post("/console/rules/ok-rule/state", data={"state": "DISABLED", "csrf_token": csrf},
                       follow_redirects=False)
    assert resp.status_code == 303
    assert store.get("ok-rule").rule.state == "DISABLED"
    dlq_id = DeadLetters(platform).list()[0]["id"]
    resp = client.post("/console/rules/dlq/redrive", data={"dlq_id": str(dlq_id), "csrf_token": csrf},
                       follow_redirects=False)
    assert resp.status_code == 303
    assert DeadLetters(platform).list() == []


def test_outbox_page_shows_rendered_notifications(client: TestClient, platform: Platform,
                                                  console_login: Callable[[str], str]) -> None:
    RuleStore(platform).install_defaults()
    finding = {"Id": "f-9", "ProductArn": "arn:p", "Title": "Root account <b>used</b>",
               "Severity": {"Label": "CRITICAL"}, "Workflow": {"Status": "NEW"}, "RecordState": "ACTIVE",
               "Resources": [{"Id": "arn:aws:iam::1:root"}]}
    platform.bus.publish("assetguard.findings", "Findings - Imported", {"findings": [finding]})
    worker = EventWorker(platform, install_defaults=False)
    worker.drain(10)
    worker._finish()
    console_login("viewer")
    html = client.get("/console/outbox").text
    assert "[CRITICAL] Root account &lt;b&gt;used&lt;/b&gt;" in html
    assert "arn:aws:iam::1:root" in html and "Slack blocks" in html
