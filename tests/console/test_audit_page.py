"""The console Audit page: filters, paging, the activity chart and the verify status."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from assetguard.audit import trail as trail_module
from assetguard.auth.principal import Principal
from assetguard.console.pages.audit import parse_when
from assetguard.runtime.platform import Platform

ALICE = Principal("alice", "operator")
BOB = Principal("bob", "admin")


def _record(platform: Platform, who: Principal, action: str, resource: str, when: datetime | None = None,
            monkeypatch: pytest.MonkeyPatch | None = None) -> None:
    if when is not None and monkeypatch is not None:
        monkeypatch.setattr(trail_module, "utcnow", lambda: when)
    with platform.db.begin() as conn:
        platform.audit.record(conn, who, action, resource, before={"v": 1}, after={"v": 2, "password": "hunter2"})


def _seqs(html: str) -> list[int]:
    return [int(s) for s in re.findall(r'<tr data-seq="(\d+)"', html)]


def test_lists_rows_newest_first_and_filters(client: TestClient, platform: Platform,
                                             console_login: Callable[[str], str]) -> None:
    console_login("viewer")  # seq 1 is this token's creation
    _record(platform, ALICE, "tagging.put", "arn:aws:s3:::logs")
    _record(platform, BOB, "rules.put", "rule/security-alerts")
    _record(platform, ALICE, "rules.delete", "rule/old")
    html = client.get("/console/audit").text
    assert _seqs(html) == [4, 3, 2, 1]
    assert "hunter2" not in html  # secrets are redacted before they reach the trail
    assert _seqs(client.get("/console/audit", params={"actor": "alice"}).text) == [4, 2]
    assert _seqs(client.get("/console/audit", params={"action": "rules."}).text) == [4, 3]
    assert _seqs(client.get("/console/audit", params={"resource": "security-alerts"}).text) == [3]
    assert _seqs(client.get("/console/audit", params={"actor": "alice", "action": "delete"}).text) == [4]
    assert "No audit rows match" in client.get("/console/audit", params={"actor": "nobody"}).text
    # a LIKE wildcard in a filter is literal text
    assert _seqs(client.get("/console/audit", params={"actor": "%"}).text) == []


def test_time_range_filter_and_chart_counts(client: TestClient, platform: Platform,
                                            console_login: Callable[[str], str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    console_login("viewer")
    day = datetime(2026, 3, 10, 12, tzinfo=UTC)
    _record(platform, ALICE, "tagging.put", "r1", day - timedelta(days=2), monkeypatch)
    _record(platform, ALICE, "tagging.put", "r2", day, monkeypatch)
    _record(platform, BOB, "rules.put", "r3", day, monkeypatch)
    _record(platform, BOB, "rules.put", "r4", day + timedelta(days=1), monkeypatch)
    html = client.get("/console/audit", params={"since": "2026-03-10", "until": "2026-03-10"}).text
    assert _seqs(html) == [4, 3]
    html = client.get("/console/audit", params={"since": "2026-03-08", "until": "2026-03-11"}).text
    assert _seqs(html) == [5, 4, 3, 2]
    values = re.findall(r'<td [^>]*data-series="([^"]+)" data-x="([^"]+)" data-value="([^"]+)"', html)
    assert sorted(values) == [("rules.put", "03-10", "1.0"), ("rules.put", "03-11", "1.0"),
                              ("tagging.put", "03-08", "1.0"), ("tagging.put", "03-10", "1.0")]
    assert "Changes per day by action" in html


def test_bad_dates_are_reported_not_500(client: TestClient, console_login: Callable[[str], str]) -> None:
    console_login("viewer")
    resp = client.get("/console/audit", params={"since": "yesterday"})
    assert resp.status_code == 200 and "since: &#39;yesterday&#39; is not a date" in resp.text
    assert parse_when("2026-01-02", end=True) == datetime(2026, 1, 3, tzinfo=UTC)
    assert parse_when("2026-01-02T05:00:00Z") == datetime(2026, 1, 2, 5, tzinfo=UTC)


def test_paging(client: TestClient, platform: Platform, console_login: Callable[[str], str]) -> None:
    console_login("viewer")
    with platform.db.begin() as conn:
        for i in range(59):
            platform.audit.record(conn, ALICE, "tagging.put", f"r{i}")
    first = client.get("/console/audit", params={"actor": ""}).text
    assert _seqs(first) == list(range(60, 10, -1))
    assert 'rel="next"' in first and 'rel="prev"' not in first
    older = re.search(r'rel="next" href="([^"]+)"', first)
    assert older
    second = client.get(older.group(1).replace("&amp;", "&")).text
    assert _seqs(second) == list(range(10, 0, -1))
    assert 'rel="next"' not in second and 'rel="prev"' in second


def test_verify_status_names_the_tampered_row(client: TestClient, platform: Platform,
                                              console_login: Callable[[str], str]) -> None:
    console_login("viewer")
    _record(platform, ALICE, "tagging.put", "r1")
    assert 'data-verify="ok"' in client.get("/console/audit").text
    with platform.db.begin() as conn:
        conn.execute(text("UPDATE audit_log SET resource = 'forged' WHERE seq = 2"))
    html = client.get("/console/audit").text
    assert 'data-verify="tampered"' in html
    assert "row seq 2: edited" in html


def test_large_trails_verify_on_request(client: TestClient, platform: Platform,
                                        console_login: Callable[[str], str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from assetguard.console.pages import audit as audit_page

    console_login("viewer")
    _record(platform, ALICE, "tagging.put", "r1")
    monkeypatch.setattr(audit_page, "AUTO_VERIFY_ROWS", 1)
    html = client.get("/console/audit").text
    assert 'data-verify="skipped"' in html and "?verify=1" in html
    assert 'data-verify="ok"' in client.get("/console/audit", params={"verify": "1"}).text
