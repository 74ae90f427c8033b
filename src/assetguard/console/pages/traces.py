"""Traces page: a searchable trace list and a span waterfall, as X-Ray's trace view gives."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from assetguard.console.page import ConsoleViewerDep, NavItem, PlatformDep, render
from assetguard.core.clock import utcnow
from assetguard.telemetry.store import TelemetryStore

router = APIRouter()
NAV = NavItem("Traces", "/traces")

WINDOWS = {"15m": 15, "1h": 60, "6h": 360, "24h": 1440, "7d": 10080}


@router.get("/traces", response_class=HTMLResponse)
def traces_page(request: Request, principal: ConsoleViewerDep, platform: PlatformDep, service: str = "",
                route: str = "", status: str = "", min_ms: str = "", window: str = "1h",
                offset: int = Query(0, ge=0)) -> HTMLResponse:
    store = TelemetryStore(platform.db)
    errors = []
    minimum = None
    if min_ms:
        try:
            minimum = float(min_ms)
        except ValueError:
            errors.append(f"min duration: {min_ms!r} is not a number of milliseconds")
    minutes = WINDOWS.get(window, 60)
    rows = store.traces(service=service or None, route=route or None, status=status or None, min_ms=minimum,
                        since=utcnow() - timedelta(minutes=minutes), limit=101, offset=offset)
    more = len(rows) > 100
    return render(request, "telemetry/traces.html", {
        "rows": rows[:100], "more": more, "offset": offset, "services": store.services(), "errors": errors,
        "windows": list(WINDOWS), "f": {"service": service, "route": route, "status": status, "min_ms": min_ms,
                                         "window": window if window in WINDOWS else "1h"}})


@router.get("/traces/{trace_id}", response_class=HTMLResponse)
def trace_page(request: Request, trace_id: str, principal: ConsoleViewerDep, platform: PlatformDep) -> HTMLResponse:
    spans = TelemetryStore(platform.db).trace(trace_id)
    if not spans:
        return render(request, "error.html", {"status": 404, "message": f"No trace {trace_id} in the store "
                                              "(it may be past retention)."}, status_code=404)
    total = max(s["offset_ms"] + s["duration_ms"] for s in spans) or 1.0
    for s in spans:
        s["left_pct"] = round(100 * s["offset_ms"] / total, 3)
        s["width_pct"] = max(0.4, round(100 * s["duration_ms"] / total, 3))
    services = sorted({s["service"] for s in spans})
    return render(request, "telemetry/trace.html", {"spans": spans, "trace_id": trace_id, "total_ms": total,
                                                     "services": services, "root": spans[0]})
