"""Telemetry jobs: per-minute samples for the System dashboard, and retention of the embedded store."""

from __future__ import annotations

from typing import Any

from assetguard.runtime.scheduler import Job, jobs
from assetguard.telemetry.rollup import sample
from assetguard.telemetry.store import TelemetryStore


def _prune(platform: Any) -> None:
    cfg = platform.settings.telemetry
    TelemetryStore(platform.db).prune(retention_days=cfg.retention_days, max_spans=cfg.max_spans)


@jobs.register("telemetry.sample")
def _sample_job() -> Job:
    return Job("telemetry.sample", 60, sample, run_at_start=True)


@jobs.register("telemetry.prune")
def _prune_job() -> Job:
    return Job("telemetry.prune", 3600, _prune, run_at_start=True)
