"""One trace covers WAF proxy → application → database (W3C traceparent across a real hop)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import httpx
import uvicorn

from assetguard.demo.app import create_demo_app
from assetguard.runtime.platform import Platform
from assetguard.telemetry.setup import telemetry_for
from assetguard.telemetry.store import TelemetryStore
from assetguard.waf.engine import load_compiled_acl
from assetguard.waf.gate import WafGate
from assetguard.waf.proxy import WafProxy


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_proxy_app_and_database_share_one_trace(platform: Platform) -> None:
    telemetry = telemetry_for(platform)
    app = create_demo_app(":memory:", tracer=telemetry.tracer("demo-app"))
    telemetry.instrument_app(app, "demo-app")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)

    async def through_proxy() -> tuple[int, int]:
        proxy = WafProxy(WafGate(lambda: load_compiled_acl("baseline")), [f"http://127.0.0.1:{port}"],
                         tracer=telemetry.tracer("assetguard-waf"))
        await proxy.start("127.0.0.1", 0)
        headers = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0", "Accept": "application/json"}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{proxy.port}", headers=headers) as client:
            ok = await client.post("/user", json={"name": "Ada O'Brien", "email": "ada@example.com"})
            blocked = await client.get("/user", params={"id": "1' OR '1'='1"})
            metrics = await client.get("/__assetguard/metrics")  # the proxy's own scrape target
        await proxy.close()
        assert metrics.status_code == 200 and "assetguard_waf_decision_seconds_count" in metrics.text
        return ok.status_code, blocked.status_code

    result: list[tuple[int, int]] = []

    def in_own_loop() -> None:  # a loop of its own: another test's browser may own this thread's loop
        loop = asyncio.new_event_loop()
        try:
            result.append(loop.run_until_complete(through_proxy()))
        finally:
            loop.close()

    try:
        runner = threading.Thread(target=in_own_loop)
        runner.start()
        runner.join(60)
        [(ok, blocked)] = result
    finally:
        server.should_exit = True
        thread.join(10)
    assert (ok, blocked) == (201, 403)
    telemetry.flush()
    store = TelemetryStore(platform.db)
    roots = store.traces(service="assetguard-waf")
    assert len(roots) == 2
    allowed = next(r for r in roots if r["attributes"].get("waf.action") == "ALLOW")
    spans = store.trace(allowed["trace_id"])
    services = {s["service"] for s in spans}
    assert services == {"assetguard-waf", "demo-app"}
    names = [s["name"] for s in spans]
    assert "waf.evaluate" in names and "INSERT users" in names
    app_server = next(s for s in spans if s["service"] == "demo-app" and s["kind"] == "SERVER")
    assert app_server["parent_id"] == allowed["span_id"]  # the app continued the proxy's trace
    db = next(s for s in spans if s["name"] == "INSERT users")
    assert db["depth"] > app_server["depth"]
    denied = next(r for r in roots if r["attributes"].get("waf.action") == "BLOCK")
    assert denied["http_status"] == 403
    assert {s["service"] for s in store.trace(denied["trace_id"])} == {"assetguard-waf"}
