"""Telemetry: API spans in the embedded store, /metrics, OTLP to a real receiver, retention."""

from __future__ import annotations

import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assetguard.core.clock import utcnow
from assetguard.runtime.platform import Platform
from assetguard.telemetry.rollup import sample
from assetguard.telemetry.setup import Telemetry, telemetry_for
from assetguard.telemetry.store import TelemetryStore, percentile


def test_api_requests_become_traces_and_route_stats(platform: Platform, client: Any,
                                                    viewer_headers: dict[str, str]) -> None:
    for _ in range(5):
        assert client.get("/audit", headers=viewer_headers).status_code == 200
    assert client.get("/audit").status_code == 401
    telemetry_for(platform).flush()
    store = TelemetryStore(platform.db)
    traces = store.traces(service="assetguard-api", route="/audit")
    assert len(traces) == 6
    assert {t["http_status"] for t in traces} == {200, 401}
    assert all(t["kind"] == "SERVER" and t["is_root"] == 1 for t in traces)
    spans = store.trace(traces[0]["trace_id"])
    assert spans[0]["depth"] == 0 and spans[0]["span_id"] == traces[0]["span_id"]
    [stats] = [s for s in store.route_stats(utcnow() - timedelta(minutes=5)) if s.route == "/audit"]
    assert stats.requests == 6 and stats.errors == 0
    assert stats.p50 is not None and stats.p99 is not None and stats.p50 <= stats.p99
    api = client.get("/telemetry/traces", headers=viewer_headers, params={"route": "/audit"}).json()
    assert len(api) == 6
    detail = client.get(f"/telemetry/traces/{api[0]['trace_id']}", headers=viewer_headers)
    assert detail.status_code == 200 and detail.json()[0]["trace_id"] == api[0]["trace_id"]
    assert client.get("/telemetry/traces/0000", headers=viewer_headers).status_code == 404


def test_metrics_endpoint_uses_semantic_convention_names(client: Any) -> None:
    client.get("/version")
    text = client.get("/metrics").text
    assert "# TYPE http_server_request_duration_seconds histogram" in text
    assert 'http_route="/version"' in text
    assert "process_memory_usage_bytes" in text


def test_prune_applies_retention_and_size_bound(platform: Platform) -> None:
    store = TelemetryStore(platform.db)
    now = utcnow()
    rows = [{"trace_id": f"{i:032x}", "span_id": f"{i:016x}", "parent_id": None, "service": "s", "name": "n",
             "kind": "SERVER", "start_time": now - timedelta(days=10 if i < 5 else 0, seconds=i),
             "duration_ms": 1.0, "status": "OK", "route": "/r", "http_status": 200, "is_root": 1, "attributes": {}}
            for i in range(15_000)]
    store.add_spans(rows)
    removed = store.prune(retention_days=7, max_spans=10_000)
    assert removed == 5_000
    kept = store.traces(limit=20_000, since=now - timedelta(days=30))
    assert len(kept) == 10_000
    assert min(int(t["span_id"], 16) for t in kept) == 5_000  # the newest 10,000 stay


def test_minute_samples_are_stored(platform: Platform) -> None:
    assert sample(platform) >= 2
    rows = TelemetryStore(platform.db).rollups("process.memory.usage", utcnow() - timedelta(minutes=2))
    assert rows and rows[0]["last"] > 1_000_000


class _OtlpReceiver(BaseHTTPRequestHandler):
    bodies: list[tuple[str, bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        _OtlpReceiver.bodies.append((self.path, body))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *_a: Any) -> None:
        return


def test_spans_reach_an_otlp_http_collector(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OtlpReceiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    _OtlpReceiver.bodies.clear()
    telemetry = Telemetry(platform)
    with telemetry.tracer("assetguard-worker").start_as_current_span("deliver", attributes={"rule": "r1"}):
        pass
    telemetry.flush()
    telemetry.close()
    server.shutdown()
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    [(path, body)] = [b for b in _OtlpReceiver.bodies if b[0] == "/v1/traces"]
    request = ExportTraceServiceRequest.FromString(body)
    resource = request.resource_spans[0]
    service = [a.value.string_value for a in resource.resource.attributes if a.key == "service.name"]
    assert service == ["assetguard-worker"]
    assert resource.scope_spans[0].spans[0].name == "deliver"
    assert TelemetryStore(platform.db).traces(service="assetguard-worker")[0]["name"] == "deliver"


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=200),
       st.sampled_from([0.5, 0.95, 0.99]))
def test_percentile_is_nearest_rank(values: list[float], q: float) -> None:
    ordered = sorted(values)
    p = percentile(ordered, q)
    assert p in ordered
    below = sum(1 for v in ordered if v <= p)  # type: ignore[operator]
    assert below >= q * len(ordered)


def test_processes_without_an_api_serve_metrics(platform: Platform) -> None:
    import socket

    import httpx

    from assetguard.telemetry.metrics_server import start_metrics_server

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = start_metrics_server(platform, port)
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    finally:
        server.shutdown()
    assert "process_memory_usage_bytes" in text
    assert 'assetguard_findings_open{severity="HIGH"}' in text


def test_the_waf_proxy_answers_metrics_to_loopback_only() -> None:
    from assetguard.waf.proxy import WafProxy

    assert WafProxy.client_may_scrape("127.0.0.1") and WafProxy.client_may_scrape("10.1.2.3")
    assert not WafProxy.client_may_scrape("93.184.216.34") and not WafProxy.client_may_scrape("garbage")


def test_the_worker_traces_rule_matching_and_delivery(platform: Platform) -> None:
    from assetguard.events.worker import run_worker_forever
    from assetguard.runtime.plugins import load_builtin_plugins

    load_builtin_plugins()
    finding = {"SchemaVersion": "2018-10-08", "Id": "f-1", "ProductArn": "arn:aws:securityhub:local::product/x",
               "Severity": {"Label": "HIGH"}, "Workflow": {"Status": "NEW"}, "RecordState": "ACTIVE",
               "Title": "t"}
    platform.bus.publish("assetguard.findings", "Findings - Imported", {"findings": [finding]})
    run_worker_forever(platform, once=True)
    telemetry_for(platform).flush()
    store = TelemetryStore(platform.db)
    names = {t["name"] for t in store.traces(service="assetguard-worker", limit=50)}
    assert "events.match" in names
    assert "deliver outbox" in names  # security-alerts → outbox when no e-mail/Slack is configured


def test_database_spans_appear_inside_request_traces_only(platform: Platform, client: Any,
                                                          viewer_headers: dict[str, str]) -> None:
    client.get("/audit", headers=viewer_headers)
    with platform.db.connect() as conn:  # a query outside any request: must not become a trace
        conn.exec_driver_sql("SELECT 1")
    telemetry_for(platform).flush()
    store = TelemetryStore(platform.db)
    [root] = store.traces(service="assetguard-api", route="/audit")
    spans = store.trace(root["trace_id"])
    db = [s for s in spans if s["attributes"].get("db.system")]
    assert db and all(s["parent_id"] for s in db)
    assert not [t for t in store.traces(limit=500) if t["attributes"].get("db.system")]


def test_target_http_calls_are_child_spans_of_the_delivery(platform: Platform) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from assetguard.targets.base import Target, TargetConfig

    class Ok(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_a: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    platform.settings.outbound.allow_cidrs = ["127.0.0.0/8"]  # the receiver listens on loopback
    target = Target(TargetConfig(), platform)
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    tracer = telemetry_for(platform).tracer("assetguard-worker")
    target.http_client().post(url, json={"outside": "a trace"})  # not recorded: no parent
    with tracer.start_as_current_span("deliver webhook"):
        target.http_client().post(url, json={"inside": "a trace"})
    target.close()
    server.shutdown()
    telemetry_for(platform).flush()
    store = TelemetryStore(platform.db)
    [root] = [t for t in store.traces(service="assetguard-worker") if t["name"] == "deliver webhook"]
    spans = store.trace(root["trace_id"])
    [http] = [s for s in spans if s["kind"] == "CLIENT"]
    assert http["parent_id"] == root["span_id"] and http["attributes"].get("http.request.method") == "POST"
    assert not [t for t in store.traces(limit=500) if t["kind"] == "CLIENT"]


def test_pool_usage_is_read_from_the_pool_when_metrics_are_collected(platform: Platform, tmp_path: Path) -> None:
    from prometheus_client import REGISTRY, generate_latest

    from assetguard.db.engine import Database

    db = Database(f"sqlite:///{tmp_path}/pool-usage.db")  # its own pool, named by its unique file
    telemetry_for(platform).instrument_engine(db.engine, "assetguard-api")
    name = str(db.engine.url.database)

    def usage(state: str) -> float:
        for line in generate_latest(REGISTRY).decode().splitlines():
            if line.startswith("db_client_connections_usage") and f'state="{state}"' in line and name in line:
                return float(line.rsplit(" ", 1)[1])
        raise AssertionError(f"no db_client_connections_usage for state {state} and pool {name}")

    with db.connect(), db.connect():
        assert usage("used") == db.engine.pool.checkedout() == 2
    assert usage("used") == 0
    assert usage("idle") == db.engine.pool.checkedin() == 2
    db.dispose()
