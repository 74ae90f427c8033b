"""The console Cost page: budget chart with forecast band and thresholds, untagged share, tags."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient

from assetguard.cost.evaluate import DETAIL_TYPE
from assetguard.cost.ingest import CostIngestor
from assetguard.runtime.platform import Platform
from tests.cost.factory import daily_rows, write_focus_csv


def test_cost_page(client: TestClient, platform: Platform, console_login: Callable[[str], str],
                   tmp_path: Path) -> None:
    rows = daily_rows(date(2026, 8, 1), date(2026, 9, 15), lambda d: 40.0 if d.month == 9 else 20.0)
    CostIngestor(platform).ingest(write_focus_csv(tmp_path / "a.csv", rows), evaluate=False)
    console_login("viewer")
    html = client.get("/console/cost", params={"as_of": "2026-09-14"}).text
    # Untagged share up front: S3 (25 %) carries no tags.
    assert re.search(r'data-kpi="untagged".*?<strong>25\.0 %</strong>', html, re.S)
    assert 'data-kpi="actual"' in html and "560.00" in html          # 14 × 40
    # Budget chart: cumulative actual for 14 days, forecast line and its 80 % band, limit and 85 % line.
    assert html.count('data-series="actual (cumulative)" data-x=') == 14
    assert 'data-series="80 % interval (lower)"' in html and 'data-series="80 % interval (upper)"' in html
    assert html.count('data-series="forecast" data-x=') == 17              # from the 14th to the 30th
    assert 'data-series="budget 1,000"' in html and 'data-series="actual 85%"' in html
    assert 'data-notification="FORECASTED-100.0"' in html
    # Services and tags.
    assert 'data-x="Amazon Elastic Compute Cloud"' in html
    assert 'data-tag="team"' in html and 'data-series="untagged"' in html
    # Viewing evaluates nothing and fires nothing.
    assert platform.bus.recent(detail_type=DETAIL_TYPE) == []
    assert "as_of must be a date" in client.get("/console/cost", params={"as_of": "nope"}).text


def test_cost_page_requires_login(client: TestClient) -> None:
    response = client.get("/console/cost", follow_redirects=False)
    assert response.status_code in (302, 303, 307) and "/login" in response.headers["location"]
