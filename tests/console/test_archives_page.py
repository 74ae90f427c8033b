"""Console Archives page: archives with events and size, replays with progress, the replay form
(operator only, CSRF-checked, errors shown on the page), and the same form in a real browser."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from assetguard.auth.principal import SYSTEM
from assetguard.core.clock import utcnow
from assetguard.events.archive import Archives, ArchiveSpec
from assetguard.events.delivery import DeliveryLedger
from assetguard.runtime.platform import Platform
from tests.events.test_delivery import fast_worker, put_rule

FORM_TIME = "%Y-%m-%dT%H:%M"


def _seed(platform: Platform) -> None:
    """Archive "security" keeps source x (2 events); rules r1 and r2 both match x."""
    archives = Archives(platform)
    archives.create(ArchiveSpec(name="security", pattern={"source": ["x"]}, retention_days=30), actor=SYSTEM)
    archives.create(ArchiveSpec(name="everything"), actor=SYSTEM)
    for name in ("r1", "r2"):
        put_rule(platform, name, [{"id": "log", "type": "log"}], pattern={"source": ["x"]})
    platform.bus.publish("x", "Thing", {"n": 1})
    platform.bus.publish("x", "Thing", {"n": 2})
    platform.bus.publish("y", "Other", {"n": 3})
    worker = fast_worker(platform)
    assert worker.drain(10)
    worker._finish()


def _window() -> dict[str, str]:
    now = utcnow()
    return {"start": (now - timedelta(hours=1)).strftime(FORM_TIME),
            "end": (now + timedelta(hours=1)).strftime(FORM_TIME)}


def _row(html: str, attr: str, name: str) -> str:
    match = re.search(rf'<tr {attr}="{re.escape(name)}">(.*?)</tr>', html, re.S)
    assert match, f"no row {attr}={name!r}"
    return match.group(1)


def test_archives_page_lists_archives_and_viewer_cannot_replay(client: TestClient, platform: Platform,
                                                              console_login: Callable[[str], str]) -> None:
    _seed(platform)
    sizes = {a["name"]: a["size_bytes"] for a in Archives(platform).list_archives()}
    assert client.get("/console/archives", follow_redirects=False).status_code == 303  # to the login page
    resp = client.post("/console/archives/replays", data={"archive": "security", **_window()})
    assert resp.status_code == 401
    csrf = console_login("viewer")
    html = client.get("/console/archives").text
    security = _row(html, "data-archive", "security")
    assert '<td data-field="retention">30 d</td>' in security and '&#34;source&#34;' in security
    assert re.search(r'data-field="events">2<', security)
    assert f'data-bytes="{sizes["security"]}"' in security and sizes["security"] > 0
    everything = _row(html, "data-archive", "everything")
    assert "forever" in everything and re.search(r'data-field="events">3<', everything)
    assert 'id="start-replay"' not in html and "needs the operator role" in html
    assert '<a href="/console/archives" class="active" aria-current="page">Archives</a>' in html
    resp = client.post("/console/archives/replays", data={"csrf_token": csrf, "archive": "security", **_window()})
    assert resp.status_code == 403
    assert Archives(platform).list_replays() == []


def test_operator_starts_a_replay_from_the_form(client: TestClient, platform: Platform,
                                               console_login: Callable[[str], str]) -> None:
    _seed(platform)
    csrf = console_login("operator")
    page = client.get("/console/archives").text
    assert 'id="start-replay"' in page and 'name="rule" value="r1"' in page and 'name="rule" value="r2"' in page
    form = {"archive": "security", "name": "fix-1", "rule": ["r1"], **_window()}
    assert client.post("/console/archives/replays", data={**form, "csrf_token": "forged"}).status_code == 403
    resp = client.post("/console/archives/replays", data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/console/archives?replay=fix-1"
    (replay,) = Archives(platform).list_replays()
    assert (replay["name"], replay["rules"], replay["state"], replay["events_replayed"]) == (
        "fix-1", ["r1"], "COMPLETED", 2)
    assert len(DeliveryLedger(platform).list(rule="r1")) == 2 + 2  # live + replayed
    assert len(DeliveryLedger(platform).list(rule="r2")) == 2  # live only
    html = client.get(resp.headers["location"]).text
    assert "replay fix-1: COMPLETED, 2 event(s), 2 deliveries" in html
    row = _row(html, "data-replay", "fix-1")
    assert '<span class="badge ok">COMPLETED</span>' in row and "2 of 2 event(s)" in row
    assert 'value="100"' in row and "<code>r1</code>" in row
    audit = platform.audit.query(action="events.replay.start")
    assert [a["resource"] for a in audit] == ["replay/fix-1"] and audit[0]["actor"].startswith("console-operator-")

    # No name and no rule: a generated name, every enabled rule.
    resp = client.post("/console/archives/replays", data={"archive": "everything", "csrf_token": csrf, **_window()},
                       follow_redirects=False)
    assert resp.status_code == 303
    generated = next(r for r in Archives(platform).list_replays() if r["archive"] == "everything")
    assert generated["name"].startswith("replay-everything-") and generated["rules"] == []
    assert generated["deliveries"] == 2 * 2  # two x events to r1 and r2; the y event matches no rule


@pytest.mark.parametrize(("change", "status", "message"), [
    ({"name": "fix-1"}, 409, "a replay named &#39;fix-1&#39; exists already"),
    ({"archive": "nope"}, 404, "no archive named &#39;nope&#39;"),
    ({"rule": ["gone"]}, 404, "rules[0]: no rule named &#39;gone&#39;"),
    ({"end": "2000-01-01T00:00"}, 400, "end must be after start"),
    ({"start": "yesterday"}, 400, "start:"),
])
def test_bad_replay_input_is_shown_on_the_page(client: TestClient, platform: Platform,
                                               console_login: Callable[[str], str], change: dict[str, object],
                                               status: int, message: str) -> None:
    _seed(platform)
    csrf = console_login("operator")
    window = _window()
    first = client.post("/console/archives/replays", follow_redirects=False,
                        data={"archive": "security", "name": "fix-1", "csrf_token": csrf, **window})
    assert first.status_code == 303
    form = {"archive": "security", "name": "fix-2", "rule": ["r2"], "csrf_token": csrf, **window, **change}
    resp = client.post("/console/archives/replays", data=form, follow_redirects=False)
    assert resp.status_code == status
    assert re.search(r'<p class="error" role="alert">[^<]*' + re.escape(message), resp.text), resp.text
    assert f'value="{form["start"]}"' in resp.text  # the form keeps what was typed
    assert [r["name"] for r in Archives(platform).list_replays()] == ["fix-1"]


@pytest.mark.browser
def test_replay_form_in_a_browser(browser_page) -> None:  # type: ignore[no-untyped-def]
    platform = browser_page.server.platform
    _seed(platform)
    page = browser_page.page
    browser_page.login("operator", next_path="/console/archives")
    assert page.locator("nav.mainnav a.active").inner_text() == "Archives"
    assert page.locator("table.archives tbody tr").count() == 2
    page.select_option("#replay-archive", "security")
    window = _window()
    page.fill("#replay-start", window["start"])
    page.fill("#replay-end", window["end"])
    page.fill("#replay-name", "from-browser")
    page.check("input[name=rule][value=r2]")
    page.click("#start-replay")
    page.wait_for_load_state()
    assert page.url.endswith("/console/archives?replay=from-browser")
    assert "COMPLETED, 2 event(s), 2 deliveries" in page.locator("[data-result=replayed]").inner_text()
    row = page.locator("tr[data-replay=from-browser]")
    assert row.locator("[data-field=state]").inner_text() == "COMPLETED"
    assert row.locator("progress").get_attribute("value") == "100"
    browser_page.screenshot("archives-replay")
    (replay,) = Archives(platform).list_replays()
    assert replay["rules"] == ["r2"] and replay["events_replayed"] == 2
