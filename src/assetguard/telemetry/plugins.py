"""Telemetry jobs: per-minute samples for the System dashboard, and retention of the embedded store."""

from __future__ import annotations

from typing import Any

from assetguard.runtime.scheduler import Job, jobs
from assetguard.telemetry.rollup import sample
from assetguard.telemetry.store import TelemetryStore


def _prune(platform: Any) -> None:
    cfg = platform.settings.telemetry
    TelemetryStore(platform.db).prune(retention_days=cfg.retention_days, max_spans=cfg.max_spans,
                                      batch=platform.settings.retention.batch_rows)


@jobs.register("telemetry.sample")
def _sample_job() -> Job:
    # Every 30 s: rates need two samples, and a fresh console should fill within a minute.
    return Job("telemetry.sample", 30, sample, run_at_start=True)


@jobs.register("telemetry.prune")
def _prune_job() -> Job:
    return Job("telemetry.prune", 3600, _prune, run_at_start=True)
