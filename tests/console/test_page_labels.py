"""Console labels say what they mean: send conditions in words with their current state, and times
as dates (AWS WAF log timestamps are epoch milliseconds)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from assetguard.console.page import format_time
from assetguard.events.rule_store import RuleStore
from assetguard.runtime.platform import Platform


def test_epoch_milliseconds_render_as_utc_dates() -> None:
    assert format_time(1796673673933) == "2026-12-07 20:01:13Z"
    assert format_time(0) == "1970-01-01 00:00:00Z"


def test_rules_page_says_when_a_target_sends(client: TestClient, platform: Platform,
                                             console_login: Callable[[str], str]) -> None:
    RuleStore(platform).install_defaults()  # security-alerts: e-mail if SMTP, outbox if no notifier
    console_login("viewer")
    html = client.get("/console/rules").text
    assert "sends only when SMTP is configured: inactive now" in html
    assert "sends only when neither SMTP nor Slack is configured: active now" in html
    assert "(smtp-configured)" not in html



def test_rules_page_pages_the_dead_letter_queue(client: TestClient, platform: Platform,
                                                console_login: Callable[[str], str]) -> None:
    from datetime import UTC, datetime

    from assetguard.events.tables import event_dlq

    now = datetime.now(UTC)
    with platform.db.begin() as conn:  # 60 dead letters, as failed deliveries leave them
        conn.execute(event_dlq.insert(), [
            {"delivery_id": f"d-{i}", "event_id": f"e-{i}", "rule": "r", "target_id": "t", "target_type": "webhook",
             "error_code": "HttpError", "error_message": "HTTP 500", "attempts": 3, "failed_at": now}
            for i in range(60)])
    console_login("viewer")
    page1 = client.get("/console/rules").text
    page2 = client.get("/console/rules", params={"offset": 50}).text
    assert page1.count("<tr data-dlq=") == 50 and 'rel="next"' in page1
    assert page2.count("<tr data-dlq=") == 10 and 'rel="prev"' in page2 and 'rel="next"' not in page2
