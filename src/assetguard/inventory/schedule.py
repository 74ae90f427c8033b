"""Scheduled re-collection of the sources in ``settings.inventory.sources``.

One scheduler job (``inventory.collect``, every minute) runs each source whose last collection
is older than its interval (default 1 h for ``aws``, 15 min for ``host``). The last run is read
from ``inventory_collections``, so a restart does not re-collect everything at once::

    inventory:
      sources:
        - source: host                      # every 15 minutes
        - source: aws                       # every hour, accounts and regions from `aws:`
        - source: sbom
          interval_seconds: 86400
          options: {paths: [/srv/app/sbom.cdx.json]}
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from assetguard.auth.principal import SYSTEM
from assetguard.core.clock import utcnow
from assetguard.core.errors import AssetGuardError
from assetguard.core.settings import InventorySource
from assetguard.inventory.runner import aws_options, run_collection
from assetguard.inventory.service import CollectionSummary
from assetguard.inventory.tables import inventory_collections
from assetguard.runtime.platform import Platform

log = logging.getLogger(__name__)

DEFAULT_INTERVALS = {"aws": 3600.0, "host": 900.0}


def interval(source: InventorySource) -> float:
    return source.interval_seconds or DEFAULT_INTERVALS.get(source.source, 3600.0)


def options_for(platform: Platform, source: InventorySource) -> dict[str, Any]:
    if source.source == "aws":
        return {**aws_options(platform), **source.options}
    return dict(source.options)


def last_runs(platform: Platform) -> dict[str, datetime]:
    stmt = select(inventory_collections.c.source, func.max(inventory_collections.c.finished_at)).group_by(
        inventory_collections.c.source)
    with platform.db.connect() as conn:
        return {r[0]: r[1] for r in conn.execute(stmt) if r[1] is not None}


def due_sources(platform: Platform, now: datetime | None = None) -> list[InventorySource]:
    now = now or utcnow()
    last = last_runs(platform)
    return [s for s in platform.settings.inventory.sources
            if s.source not in last or now - last[s.source] >= timedelta(seconds=interval(s))]


def run_due_collections(platform: Platform) -> list[CollectionSummary]:
    """Collect every due source; one failing source is logged and does not stop the others."""
    done = []
    for source in due_sources(platform):
        try:
            done.append(run_collection(platform, source.source, options_for(platform, source), actor=SYSTEM))
        except AssetGuardError as exc:
            log.warning("scheduled %s collection failed: %s", source.source, exc)
    return done
