"""A notification's "Open in the console" link lands on the page of the item it names."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from assetguard.findings.hub import FindingsHub
from assetguard.runtime.platform import Platform
from assetguard.targets.notification import Notification
from tests.findings.factory import make_finding


def test_finding_notification_link_opens_that_finding(client: TestClient, platform: Platform,
                                                      console_login: Callable[[str], str]) -> None:
    hub = FindingsHub(platform)
    hub.batch_import([make_finding("f-link-1", Title="Security group open to the world"),
                      make_finding("f-link-2", Title="A different finding entirely")])
    finding = hub.find("f-link-1")
    event = {"id": "e-1", "source": "assetguard.findings", "detail-type": "Findings - Imported",
             "account": "123456789012", "region": "us-east-1", "time": "2026-01-01T00:00:00Z",
             "detail": {"findings": [finding]}}
    note = Notification.from_event(event, None, rule="security-alerts", console_url="http://127.0.0.1:8080/")
    link = urlsplit(note.link)
    assert link.path == "/console/findings/detail"
    console_login("viewer")
    page = client.get(f"{link.path}?{link.query}")
    assert page.status_code == 200
    assert "Security group open to the world" in page.text
    assert "A different finding entirely" not in page.text


def test_other_notifications_link_to_the_page_of_what_they_name(client: TestClient, platform: Platform,
                                                                console_login: Callable[[str], str]) -> None:
    from assetguard.events.rule_store import RuleStore

    RuleStore(platform).install_defaults()
    console_login("viewer")
    budget = {"source": "assetguard.cost", "detail-type": "Budget Threshold Breached",
              "detail": {"budget": "monthly-total"}}
    other = {"source": "assetguard.remediation", "detail-type": "Remediation Execution Status Change",
             "detail": {}}
    for event, expected in ((budget, "Budget monthly-total"), (other, 'id="rule-security-alerts"')):
        link = urlsplit(Notification.from_event(event, None, rule="security-alerts",
                                                console_url="http://127.0.0.1:8080").link)
        page = client.get(f"{link.path}?{link.query}")
        assert page.status_code == 200, link
        assert expected in page.text, (link, expected)
