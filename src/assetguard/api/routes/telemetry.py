"""Prometheus ``/metrics`` and the embedded trace store."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from assetguard.api.auth import PlatformDep, ViewerDep
from assetguard.core.clock import utcnow
from assetguard.core.errors import NotFoundError
from assetguard.telemetry.store import TelemetryStore

router = APIRouter(tags=["telemetry"])


@router.get("/metrics", response_class=Response)
def metrics() -> Response:
    """Prometheus text exposition of every metric this process exports (scrape target)."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


@router.get("/telemetry/traces")
def list_traces(_p: ViewerDep, platform: PlatformDep, service: str | None = None, route: str | None = None,
                status: str | None = Query(None, pattern="^(ok|error)$"), min_ms: float | None = None,
                minutes: int = Query(60, ge=1, le=10080), limit: int = Query(50, ge=1, le=500)) -> list[dict[str, Any]]:
    rows = TelemetryStore(platform.db).traces(service=service, route=route, status=status, min_ms=min_ms,
                                              since=utcnow() - timedelta(minutes=minutes), limit=limit)
    return [{k: v for k, v in r.items() if k != "id"} for r in rows]


@router.get("/telemetry/traces/{trace_id}")
def get_trace(trace_id: str, _p: ViewerDep, platform: PlatformDep) -> list[dict[str, Any]]:
    rows = TelemetryStore(platform.db).trace(trace_id)
    if not rows:
        raise NotFoundError(f"no trace {trace_id}")
    return [{k: v for k, v in r.items() if k != "id"} for r in rows]


@router.get("/telemetry/routes")
def route_stats(_p: ViewerDep, platform: PlatformDep, minutes: int = Query(60, ge=1, le=10080)) -> list[dict[str, Any]]:
    stats = TelemetryStore(platform.db).route_stats(utcnow() - timedelta(minutes=minutes))
    return [{"service": s.service, "route": s.route, "requests": s.requests, "errors": s.errors,
             "error_rate": s.error_rate, "p50_ms": s.p50, "p95_ms": s.p95, "p99_ms": s.p99} for s in stats]
