"""The README's first command: ``assetguard up --demo`` in an empty directory, then a browser.

``up --demo`` loads the story once (marker ``.assetguard/demo/loaded.json``) and keeps gentle traffic
going through its WAF proxy; the console's every page then shows data. A second start does not load
again. Ports are private (``clean_env``) so a real instance on this machine is never touched.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_up import TOKEN, UpProcess
from tests.conftest import TEST_OUTPUT

pytestmark = [pytest.mark.slow, pytest.mark.browser]
LOAD_TIMEOUT = 240  # seconds; the story loads in under a minute on an idle 2-core machine
FILL_TIMEOUT = 300  # seconds from start until every chart on every page has data (about 70 s when idle)


def _login(page: Any, url: str, token: str) -> None:
    page.goto(url + "/login?next=/console/")
    page.fill("input[name=token]", token)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_up_demo_fills_every_page(tmp_path: Path, browser: Any) -> None:
    up = UpProcess(tmp_path, "--demo")
    marker = tmp_path / ".assetguard" / "demo" / "loaded.json"
    try:
        up.wait_healthy()
        started = time.monotonic()
        token = TOKEN.search(up.output())
        assert token, up.output()
        assert "loading the demo story" in up.output()
        while not marker.exists():
            assert up.proc.poll() is None, up.err.read_text()[-3000:]
            assert time.monotonic() - started < LOAD_TIMEOUT, f"no demo story after {LOAD_TIMEOUT}s"
            time.sleep(1)
        loaded = time.monotonic() - started
        steps = json.loads(marker.read_text())["steps"]
        assert all(s["ok"] for s in steps.values()), steps
        time.sleep(3)  # a few more demo requests and one telemetry sample

        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(20_000)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            _login(page, up.url, token.group(1))
            labels = page.eval_on_selector_all("nav.mainnav a", "els => els.map(e => e.textContent.trim())")
            assert {"System", "Security", "Traces", "Cost", "Assets", "Tags", "Findings", "WAF", "Outbox"} <= set(labels)
            TEST_OUTPUT.mkdir(exist_ok=True)
            fill_times: dict[str, int] = {}
            # Every chart must have data within FILL_TIMEOUT of the start: per-minute charts (deliveries
            # per minute needs two samples a minute apart) fill last, so a page is reloaded until then.
            for label in labels:
                page.click(f"nav.mainnav a:text-is('{label}')")
                page.wait_for_load_state()
                while True:
                    points = page.eval_on_selector_all(
                        "figure.chart", "els => els.map(e => e.querySelectorAll('[data-value]').length)")
                    if all(n > 0 for n in points):
                        break
                    assert time.monotonic() - started < FILL_TIMEOUT, f"{label}: charts without data ({points})"
                    time.sleep(5)
                    page.reload()
                    page.wait_for_load_state()
                page.screenshot(path=str(TEST_OUTPUT / f"up-demo-{label.lower()}.png"), full_page=True)
                fill_times[label] = round(time.monotonic() - started)
            filled = time.monotonic() - started
            page.goto(up.url + "/console/outbox")
            assert page.locator("section.notification").count() >= 3
            page.goto(up.url + "/console/security")
            assert "Blocked requests by attack category" in page.content()
            page.goto(up.url + "/console/traces")
            assert page.locator("table.traces tbody tr[data-trace]").count() >= 1
        finally:
            context.close()
        assert not errors, errors
        print(f"story loaded after {loaded:.0f}s; every page filled after {filled:.0f}s; seconds per page: {fill_times}")
    finally:
        code, took = up.stop(signal.SIGTERM)
    assert code == 0, up.err.read_text()[-3000:]
    assert took < 10, f"stopping took {took:.1f}s"
    assert "Traceback" not in up.err.read_text()

    again = UpProcess(tmp_path, "--demo")  # same data dir: the story is not loaded twice
    try:
        again.wait_healthy()
        assert "story already loaded" in again.output()
    finally:
        assert again.stop(signal.SIGTERM)[0] == 0
