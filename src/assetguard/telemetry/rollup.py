"""Per-minute samples for the System dashboard: this process and the event bus.

The scheduler calls :func:`sample` every minute; each value becomes one ``telemetry_metric_rollups``
row, so the console can draw CPU, memory, connections, bus backlog, delivery rate and DLQ depth over
time without an external Prometheus.
"""

from __future__ import annotations

from typing import Any

from assetguard.core.clock import utcnow
from assetguard.telemetry.store import TelemetryStore

_process: Any = None


def process_sample() -> dict[str, float]:
    import psutil

    global _process
    if _process is None:
        _process = psutil.Process()
        _process.cpu_percent(None)
    out = {"process.cpu.utilization": _process.cpu_percent(None) / 100.0,
           "process.memory.usage": float(_process.memory_info().rss)}
    try:
        out["process.open_connections"] = float(len(_process.net_connections(kind="tcp")))
    except (psutil.Error, OSError):
        pass
    return out


def bus_sample(platform: Any) -> dict[str, float]:
    """Backlog (pending + in flight), confirmed deliveries (cumulative) and DLQ depth."""
    try:
        from assetguard.events.delivery import DeliveryLedger
    except ImportError:
        return {}
    totals: dict[str, int] = {}
    for counts in DeliveryLedger(platform).counts_by_rule().values():
        for status, n in counts.items():
            totals[status] = totals.get(status, 0) + n
    return {"assetguard.bus.backlog": float(totals.get("pending", 0) + totals.get("in_flight", 0)),
            "assetguard.bus.delivered": float(totals.get("delivered", 0)),
            "assetguard.bus.dlq_depth": float(totals.get("failed", 0))}


def sample(platform: Any) -> int:
    minute = utcnow().replace(second=0, microsecond=0)
    values = {**process_sample(), **bus_sample(platform)}
    rows = [{"name": name, "labels": {}, "minute": minute, "count": 1.0, "sum": value, "min": value, "max": value,
             "last": value} for name, value in values.items()]
    TelemetryStore(platform.db).add_rollups(rows)
    return len(rows)
