"""The embedded telemetry store: spans and per-minute metric roll-ups in the platform database.

It is what the console's System, Security and Traces dashboards read when no external stack
(Prometheus, Tempo, X-Ray) is configured::

    store = TelemetryStore(platform.db)
    store.traces(service="assetguard-api", min_ms=100, limit=50)     # newest first
    store.trace(trace_id)                                            # every span, for the waterfall
    store.route_stats(since)                                         # rate, errors, p50/p95/p99 per route
    store.prune(retention_days=7, max_spans=2_000_000)               # retention and a bound on size
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from assetguard.core.clock import utcnow
from assetguard.db.engine import Database
from assetguard.telemetry.tables import metric_rollups, spans


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile of already sorted values (None when empty)."""
    if not sorted_values:
        return None
    rank = max(1, min(len(sorted_values), int(round(q * len(sorted_values) + 0.5)))) - 1
    return float(sorted_values[rank])


@dataclass(frozen=True)
class RouteStats:
    service: str
    route: str
    requests: int
    errors: int
    p50: float | None
    p95: float | None
    p99: float | None

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


class TelemetryStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------------ writes
    def add_spans(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            with self.db.begin() as conn:
                conn.execute(spans.insert(), rows)

    def add_rollups(self, rows: list[dict[str, Any]]) -> None:
        """Rows of ``name, labels (dict), minute, count, sum, min, max, last``."""
        if not rows:
            return
        prepared = [{**r, "labels": json.dumps(r.get("labels") or {}, sort_keys=True)} for r in rows]
        with self.db.begin() as conn:
            conn.execute(metric_rollups.insert(), prepared)

    def prune(self, *, retention_days: int = 7, max_spans: int = 2_000_000, batch: int = 5000) -> int:
        """Drop spans and roll-ups past retention, then the oldest spans beyond ``max_spans``;
        ``batch`` rows per transaction, so a large prune never holds a long lock."""
        from assetguard.runtime.retention import delete_in_batches

        cutoff = utcnow() - timedelta(days=retention_days)
        removed = delete_in_batches(self.db, spans, [spans.c.id], spans.c.start_time < cutoff, batch)
        delete_in_batches(self.db, metric_rollups, [metric_rollups.c.id], metric_rollups.c.minute < cutoff, batch)
        with self.db.connect() as conn:
            total = conn.execute(select(func.count()).select_from(spans)).scalar() or 0
            edge = None
            if total > max_spans:
                edge = conn.execute(select(spans.c.id).order_by(spans.c.id.desc()).offset(max_spans).limit(1)).scalar()
        if edge is not None:
            removed += delete_in_batches(self.db, spans, [spans.c.id], spans.c.id <= edge, batch)
        return removed

    # ------------------------------------------------------------------ reads
    def traces(self, *, service: str | None = None, route: str | None = None, status: str | None = None,
               min_ms: float | None = None, since: datetime | None = None, until: datetime | None = None,
               limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """Root spans (one per trace), newest first, with their trace's span count."""
        stmt = select(spans).where(spans.c.is_root == 1).order_by(spans.c.start_time.desc()).limit(limit).offset(offset)
        if service:
            stmt = stmt.where(spans.c.service == service)
        if route:
            stmt = stmt.where(spans.c.route.contains(route) | spans.c.name.contains(route))
        if status == "error":
            stmt = stmt.where((spans.c.status == "ERROR") | (spans.c.http_status >= 500))
        elif status == "ok":
            stmt = stmt.where(spans.c.status != "ERROR")
        if min_ms is not None:
            stmt = stmt.where(spans.c.duration_ms >= min_ms)
        if since:
            stmt = stmt.where(spans.c.start_time >= since)
        if until:
            stmt = stmt.where(spans.c.start_time < until)
        with self.db.connect() as conn:
            roots = [dict(r._mapping) for r in conn.execute(stmt)]
            ids = [r["trace_id"] for r in roots]
            counts: dict[str, int] = {}
            if ids:
                counts = dict(conn.execute(select(spans.c.trace_id, func.count()).where(spans.c.trace_id.in_(ids))
                                           .group_by(spans.c.trace_id)).all())
        for r in roots:
            r["span_count"] = int(counts.get(r["trace_id"], 1))
        return roots

    def trace(self, trace_id: str) -> list[dict[str, Any]]:
        """All spans of a trace ordered by start, each with ``depth`` and ``offset_ms`` for a waterfall."""
        with self.db.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(
                select(spans).where(spans.c.trace_id == trace_id).order_by(spans.c.start_time, spans.c.id))]
        if not rows:
            return []
        by_id = {r["span_id"]: r for r in rows}
        start = min(r["start_time"] for r in rows)
        for r in rows:
            depth, parent, seen = 0, r["parent_id"], set()
            while parent in by_id and parent not in seen:
                seen.add(parent)
                depth += 1
                parent = by_id[parent]["parent_id"]
            r["depth"] = depth
            r["offset_ms"] = (r["start_time"] - start).total_seconds() * 1000
        # Parents before children, siblings by start: a depth-first walk.
        children: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
        for r in rows:
            children[r["parent_id"] if r["parent_id"] in by_id else None].append(r)
        ordered: list[dict[str, Any]] = []

        def walk(parent: str | None) -> None:
            for child in sorted(children.get(parent, []), key=lambda x: x["start_time"]):
                ordered.append(child)
                walk(child["span_id"])

        walk(None)
        return ordered

    def route_stats(self, since: datetime, until: datetime | None = None, *, service: str | None = None
                    ) -> list[RouteStats]:
        """Per (service, route): requests, errors (5xx or ERROR) and latency percentiles of server spans."""
        stmt = select(spans.c.service, spans.c.route, spans.c.name, spans.c.duration_ms, spans.c.status,
                      spans.c.http_status).where(spans.c.kind == "SERVER", spans.c.start_time >= since)
        if until:
            stmt = stmt.where(spans.c.start_time < until)
        if service:
            stmt = stmt.where(spans.c.service == service)
        groups: dict[tuple[str, str], list[float]] = defaultdict(list)
        errors: dict[tuple[str, str], int] = defaultdict(int)
        with self.db.connect() as conn:
            for svc, route, name, dur, status, code in conn.execute(stmt):
                key = (svc, route or name)
                groups[key].append(dur)
                if status == "ERROR" or (code or 0) >= 500:
                    errors[key] += 1
        out = []
        for key, durations in groups.items():
            durations.sort()
            out.append(RouteStats(key[0], key[1], len(durations), errors[key], percentile(durations, 0.5),
                                  percentile(durations, 0.95), percentile(durations, 0.99)))
        return sorted(out, key=lambda s: (s.service, -s.requests, s.route))

    def per_minute(self, since: datetime, until: datetime | None = None, *, service: str | None = None,
                   kind: str = "SERVER", name_prefix: str | None = None) -> dict[datetime, dict[str, float]]:
        """Requests, errors and p95 per minute (server spans; or spans named ``name_prefix*``)."""
        stmt = select(spans.c.start_time, spans.c.duration_ms, spans.c.status, spans.c.http_status).where(
            spans.c.start_time >= since)
        if name_prefix:
            stmt = stmt.where(spans.c.name.startswith(name_prefix))
        else:
            stmt = stmt.where(spans.c.kind == kind)
        if until:
            stmt = stmt.where(spans.c.start_time < until)
        if service:
            stmt = stmt.where(spans.c.service == service)
        buckets: dict[datetime, list[float]] = defaultdict(list)
        errs: dict[datetime, int] = defaultdict(int)
        with self.db.connect() as conn:
            for start, dur, status, code in conn.execute(stmt):
                minute = start.replace(second=0, microsecond=0)
                buckets[minute].append(dur)
                if status == "ERROR" or (code or 0) >= 500:
                    errs[minute] += 1
        out = {}
        for minute, durations in buckets.items():
            durations.sort()
            out[minute] = {"requests": float(len(durations)), "errors": float(errs[minute]),
                           "p50": percentile(durations, 0.5) or 0.0, "p95": percentile(durations, 0.95) or 0.0,
                           "p99": percentile(durations, 0.99) or 0.0}
        return out

    def rollups(self, name: str, since: datetime, until: datetime | None = None) -> list[dict[str, Any]]:
        stmt = select(metric_rollups).where(metric_rollups.c.name == name, metric_rollups.c.minute >= since) \
            .order_by(metric_rollups.c.minute)
        if until:
            stmt = stmt.where(metric_rollups.c.minute < until)
        with self.db.connect() as conn:
            return [{**dict(r._mapping), "labels": json.loads(r.labels)} for r in conn.execute(stmt)]

    def services(self) -> list[str]:
        with self.db.connect() as conn:
            return [r[0] for r in conn.execute(select(spans.c.service).distinct().order_by(spans.c.service))]
