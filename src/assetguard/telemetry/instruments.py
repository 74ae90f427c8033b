"""Shared Prometheus instruments that cross domain boundaries (observed by the WAF, read by dashboards)."""

from __future__ import annotations

from prometheus_client import Histogram

WAF_DECISION_SECONDS = Histogram(
    "assetguard_waf_decision_seconds", "Time the WAF engine takes to decide on one request",
    buckets=(0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05))
