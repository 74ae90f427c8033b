"""``demo traffic`` against a real WAF proxy (shipped baseline ACL) and demo application on loopback."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from assetguard.core.errors import ValidationError
from assetguard.core.settings import WafSettings
from assetguard.demo.app import create_demo_app
from assetguard.demo.component import ServedApp
from assetguard.demo.traffic import ATTACKS, LEGIT, TrafficGenerator, loopback_target
from assetguard.waf.proxy_runner import WafProxyComponent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def proxy_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo app on one port behind ``waf proxy --acl baseline`` (the shipped managed groups) on another."""
    app_port, proxy_port = _free_port(), _free_port()
    waf = WafSettings(listen=f"127.0.0.1:{proxy_port}", upstream=f"http://127.0.0.1:{app_port}")
    db = tmp_path_factory.mktemp("traffic") / "demo.db"
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    async def serve() -> None:
        await asyncio.gather(ServedApp("demo-app", create_demo_app(db), "127.0.0.1", app_port).run(stop),
                             WafProxyComponent(waf).run(stop))

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{proxy_port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/was/health", headers={"User-Agent": "t"}, timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("proxy and demo app did not come up")
        time.sleep(0.1)
    yield url
    loop.call_soon_threadsafe(stop.set)
    thread.join(timeout=20)


def test_attacks_are_blocked_and_legitimate_traffic_passes(proxy_url: str) -> None:
    report = TrafficGenerator(proxy_url, rate=60, duration=5, attack_share=0.5, seed=11).run()
    assert report.sent == sum(c.sent for c in report.by_category.values()) <= 300
    assert report.errors == 0
    assert set(report.by_category) == set(LEGIT) | set(ATTACKS), "every category was exercised"
    for category in ATTACKS:
        assert report.by_category[category].blocked >= 1, category
    assert report.attacks_blocked >= 0.9 * report.attacks_sent
    assert report.legit_allowed >= 0.95 * report.legit_sent
    assert report.by_category["outside-paths"].allowed == 0  # default action Block outside /user /content /was
    assert report.as_dict()["categories"]["sqli"]["sent"] == report.by_category["sqli"].sent


def test_bounded_in_count_and_time(proxy_url: str) -> None:
    started = time.monotonic()
    report = TrafficGenerator(proxy_url, rate=200, duration=0.5, seed=1).run()
    assert report.sent <= 100
    assert time.monotonic() - started < 10
    stop = threading.Event()
    stop.set()
    assert TrafficGenerator(proxy_url, rate=10, duration=60).run(stop).sent == 0  # a set stop sends nothing


@pytest.mark.parametrize("target", ["http://10.0.0.5:8000", "http://example.com", "https://192.168.1.1",
                                    "ftp://127.0.0.1", "127.0.0.1:8000", "http://127.0.0.1.nip.io:8000"])
def test_only_loopback_targets(target: str) -> None:
    with pytest.raises(ValidationError, match="loopback|http"):
        TrafficGenerator(target)


def test_loopback_forms_are_accepted() -> None:
    assert loopback_target("http://localhost:8000/") == "http://127.0.0.1:8000"
    assert loopback_target("http://[::1]:9000") == "http://[::1]:9000"
    assert loopback_target("http://127.0.0.2:8000") == "http://127.0.0.2:8000"


@pytest.mark.parametrize(("kwargs", "where"), [({"rate": 0}, "--rate"), ({"rate": 1000}, "--rate"),
                                               ({"duration": 7200}, "--duration"), ({"attack_share": 2}, "--attack")])
def test_limits(kwargs: dict[str, float], where: str) -> None:
    with pytest.raises(ValidationError) as info:
        TrafficGenerator("http://127.0.0.1:8000", **kwargs)
    assert (info.value.where or "").startswith(where)


def test_cli_prints_a_summary(proxy_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assetguard.cli.main import app

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["demo", "traffic", "--target", proxy_url, "--duration", "2", "--rate", "30",
                                      "--seed", "5"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "sent " in result.output and "attacks blocked" in result.output
    assert "sqli" in result.output or "xss" in result.output


def test_cli_says_when_nothing_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assetguard.cli.main import app

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["demo", "traffic", "--target", f"http://127.0.0.1:{_free_port()}",
                                      "--duration", "0.3", "--rate", "10"], env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert "nothing answered" in result.output
