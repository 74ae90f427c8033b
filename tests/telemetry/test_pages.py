"""System and Traces pages: charts with data points, a searchable list, a waterfall (browser)."""

from __future__ import annotations

from typing import Any

import pytest

from assetguard.runtime.platform import Platform
from assetguard.telemetry.rollup import sample
from assetguard.telemetry.setup import telemetry_for


def _traffic(platform: Platform) -> None:
    telemetry = telemetry_for(platform)
    proxy = telemetry.tracer("assetguard-waf")
    app = telemetry.tracer("demo-app")
    from opentelemetry.trace import SpanKind

    for i in range(12):
        with proxy.start_as_current_span("GET /user", kind=SpanKind.SERVER,
                                         attributes={"http.route": "/user", "http.response.status_code": 200}):
            with proxy.start_as_current_span("waf.evaluate", attributes={"waf.action": "ALLOW"}):
                pass
            with app.start_as_current_span("GET /user", kind=SpanKind.SERVER,
                                           attributes={"http.route": "/user",
                                                       "http.response.status_code": 500 if i == 0 else 200}):
                with app.start_as_current_span("SELECT users", kind=SpanKind.CLIENT):
                    pass
    telemetry.flush()
    sample(platform)


def test_system_page_has_every_chart(client: Any, platform: Platform, console_login: Any) -> None:
    _traffic(platform)
    console_login("viewer")
    page = client.get("/console/system")
    assert page.status_code == 200
    for key in ("rate", "errors", "latency", "waf", "cpu", "memory"):
        assert f"chart-{key}" in page.text, key
    assert "data-autorefresh" in page.text
    assert "<code>/user</code>" in page.text


@pytest.mark.browser
def test_traces_list_and_waterfall_in_browser(browser_page) -> None:  # type: ignore[no-untyped-def]
    platform = browser_page.server.platform
    _traffic(platform)
    page = browser_page.page
    browser_page.login("viewer", next_path="/console/traces")
    page.select_option("#f-service", "assetguard-waf")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    rows = page.locator("table.traces tbody tr[data-trace]")
    assert rows.count() == 12
    browser_page.screenshot("traces")
    rows.first.locator("a").click()
    page.wait_for_load_state()
    spans = page.locator("table.waterfall tr.span")
    assert spans.count() == 4
    depths = [int(d) for d in page.eval_on_selector_all("tr.span", "els => els.map(e => e.dataset.depth)")]
    assert depths == [0, 1, 1, 2]  # proxy → (waf.evaluate, app) → db
    assert "demo-app" in page.locator("table.waterfall").inner_text()
    browser_page.screenshot("trace-waterfall")
    browser_page.goto("/console/system")
    assert page.locator("figure.chart [data-value]").count() > 10
    browser_page.screenshot("system")
