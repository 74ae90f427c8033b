"""Prometheus gauges computed from platform state at scrape time (findings, compliance, remediation,
the event bus), so Grafana shows the same Security and System views as the console.

One collector per process, bound to the platform that serves ``/metrics``::

    bind_state_metrics(platform)      # create_app() does this
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)


class StateCollector:
    def __init__(self) -> None:
        self.platform: Any = None

    def describe(self) -> list[Metric]:
        return []  # collected on scrape only; nothing to reserve at registration

    def collect(self) -> Iterator[Metric]:
        platform = self.platform
        if platform is None:
            return
        try:
            yield from self._findings(platform)
            yield from self._compliance(platform)
            yield from self._bus(platform)
        except SQLAlchemyError as exc:  # a scrape must not fail because the database is busy
            log.warning("state metrics unavailable: %s", exc)

    @staticmethod
    def _findings(platform: Any) -> Iterator[Metric]:
        from assetguard.findings import stats

        sev = GaugeMetricFamily("assetguard_findings_open", "Open findings (ACTIVE, NEW or NOTIFIED) by severity",
                                labels=["severity"])
        counts = stats.open_by_severity(platform)
        for label in ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"):
            sev.add_metric([label], counts.get(label, 0))
        yield sev
        gen = GaugeMetricFamily("assetguard_findings_open_by_generator",
                                "Open findings per generator (rule), the 20 largest", labels=["generator"])
        for generator, n in stats.open_top(platform, "generator_id", 20):
            gen.add_metric([generator], n)
        yield gen
        mean = stats.mean_time_to_notify(platform)
        ttn = GaugeMetricFamily("assetguard_findings_notify_seconds_mean",
                                "Mean time from a finding's creation to its notification")
        if mean is not None:
            ttn.add_metric([], mean)
        yield ttn

    @staticmethod
    def _compliance(platform: Any) -> Iterator[Metric]:
        from assetguard.compliance import stats

        score = GaugeMetricFamily("assetguard_compliance_score_ratio",
                                  "Share of compliant results per conformance pack", labels=["pack"])
        for s in stats.pack_scores(platform):
            if s.score is not None:
                score.add_metric([s.pack], s.score)
        yield score
        runs = GaugeMetricFamily("assetguard_remediations", "Remediation executions by runbook and status",
                                 labels=["runbook", "status"])
        for runbook, status, n in stats.remediation_counts(platform):
            runs.add_metric([runbook, status], n)
        yield runs

    @staticmethod
    def _bus(platform: Any) -> Iterator[Metric]:
        from assetguard.telemetry.rollup import bus_sample

        values = bus_sample(platform)
        for name, help_text in (("backlog", "Deliveries pending or in flight"),
                                ("dlq_depth", "Deliveries in the dead-letter queue")):
            family = GaugeMetricFamily(f"assetguard_bus_{name}", help_text)
            family.add_metric([], values.get(f"assetguard.bus.{name}", 0.0))
            yield family


_collector = StateCollector()
REGISTRY.register(_collector)


def bind_state_metrics(platform: Any) -> None:
    _collector.platform = platform
