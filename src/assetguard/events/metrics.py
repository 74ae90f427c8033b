"""Prometheus metrics of the event bus (default registry; the API's ``/metrics`` exposes them)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

EVENTS_DISPATCHED = Counter("assetguard_events_dispatched_total", "Events matched against the rules")
EVENTS_MATCHED = Counter("assetguard_events_rule_matches_total", "Rule matches", ["rule"])
DELIVERIES = Counter("assetguard_event_deliveries_total", "Delivery attempts by outcome",
                     ["target_type", "outcome"])
RETRIES = Counter("assetguard_event_delivery_retries_total", "Deliveries scheduled for a retry", ["target_type"])
DEAD_LETTERS = Counter("assetguard_event_dead_letters_total", "Deliveries moved to the dead-letter queue",
                       ["target_type", "error_code"])
DELIVERY_LATENCY = Histogram("assetguard_event_delivery_latency_seconds",
                             "Time from ingestion to confirmed delivery", ["target_type"],
                             buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 600))
