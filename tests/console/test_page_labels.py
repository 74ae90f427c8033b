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
