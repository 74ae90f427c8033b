"""System dashboard: request rate, errors and latency per route (protected app and platform API),
WAF decision time, process CPU/memory/connections, and the event bus (backlog, deliveries, DLQ).

Everything comes from the embedded telemetry store (spans and per-minute samples), so it works with
nothing else installed; the same signals reach Prometheus/Grafana through ``/metrics`` and OTLP.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from assetguard.console.charts import Series, line_chart
from assetguard.console.page import ConsoleViewerDep, NavItem, PlatformDep, render
from assetguard.core.clock import utcnow
from assetguard.telemetry.store import TelemetryStore

router = APIRouter()
NAV = NavItem("System", "/system")

WINDOWS = {"15m": 15, "1h": 60, "6h": 360, "24h": 1440}


def minutes_between(start: datetime, end: datetime) -> list[datetime]:
    first = start.replace(second=0, microsecond=0)
    out = []
    while first <= end:
        out.append(first)
        first += timedelta(minutes=1)
    return out


def service_charts(store: TelemetryStore, since: datetime, now: datetime) -> dict[str, Markup]:
    axis = minutes_between(since, now)
    labels = axis  # datetimes: the chart shows a time axis in the viewer's local time
    services = [s for s in store.services() if not s.startswith("assetguard-worker")]
    rate, errors, latency = [], [], []
    for svc in services:
        per = store.per_minute(since, service=svc)
        if not per:
            continue
        rate.append(Series(svc, [per[m]["requests"] if m in per else 0.0 for m in axis]))
        errors.append(Series(svc, [per[m]["errors"] / per[m]["requests"] * 100 if m in per and per[m]["requests"]
                                   else 0.0 for m in axis]))
        for q in ("p50", "p95", "p99"):
            latency.append(Series(f"{svc} {q}", [per[m][q] if m in per else None for m in axis]))
    charts = {}
    if rate:
        charts["rate"] = line_chart(labels, rate, title="Requests per minute", y_label="requests")
        charts["errors"] = line_chart(labels, errors, title="Error rate (5xx)", y_label="%")
        charts["latency"] = line_chart(labels, latency, title="Latency", y_label="ms")
    waf = store.per_minute(since, name_prefix="waf.")
    if waf:
        charts["waf"] = line_chart(labels, [Series(q, [waf[m][q] if m in waf else None for m in axis])
                                            for q in ("p50", "p99")], title="WAF decision time", y_label="ms")
    return charts


def sample_chart(store: TelemetryStore, names: dict[str, str], since: datetime, now: datetime, *, title: str,
                 y_label: str, scale: float = 1.0, rate: bool = False) -> Markup | None:
    axis = minutes_between(since, now)
    series = []
    for name, label in names.items():
        rows = store.rollups(name, since)
        if not rows:
            continue
        by_minute: dict[datetime, float] = {}
        for r in rows:
            by_minute[r["minute"].replace(second=0, microsecond=0)] = float(r["last"]) * scale
        values: list[float | None] = [by_minute.get(m) for m in axis]
        if rate:  # cumulative counter → per-minute increase
            prev = None
            out: list[float | None] = []
            for v in values:
                out.append(None if v is None or prev is None else max(0.0, v - prev))
                prev = v if v is not None else prev
            values = out
        series.append(Series(label, values))
    if not series:
        return None
    return line_chart(axis, series, title=title, y_label=y_label)  # datetimes: a time axis in local time


@router.get("/system", response_class=HTMLResponse)
def system_page(request: Request, principal: ConsoleViewerDep, platform: PlatformDep, window: str = "1h") -> HTMLResponse:
    store = TelemetryStore(platform.db)
    now = utcnow()
    since = now - timedelta(minutes=WINDOWS.get(window, 60))
    charts: dict[str, Any] = service_charts(store, since, now)
    charts["cpu"] = sample_chart(store, {"process.cpu.utilization": "CPU"}, since, now, title="Process CPU",
                                 y_label="%", scale=100)
    charts["memory"] = sample_chart(store, {"process.memory.usage": "resident"}, since, now,
                                    title="Process memory", y_label="MiB", scale=1 / 2**20)
    charts["connections"] = sample_chart(store, {"process.open_connections": "TCP"}, since, now,
                                         title="Open connections", y_label="connections")
    charts["bus"] = sample_chart(store, {"assetguard.bus.backlog": "backlog", "assetguard.bus.dlq_depth": "DLQ depth"},
                                 since, now, title="Event bus backlog and DLQ", y_label="deliveries")
    charts["delivery"] = sample_chart(store, {"assetguard.bus.delivered": "delivered"}, since, now,
                                      title="Deliveries per minute", y_label="deliveries", rate=True)
    routes = store.route_stats(since)
    return render(request, "telemetry/system.html", {"charts": charts, "routes": routes, "window": window,
                                                      "windows": list(WINDOWS)})
