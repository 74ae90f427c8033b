"""Scheduled re-collection of the sources in ``settings.inventory.sources``.

One scheduler job (``inventory.collect``, every minute) runs each source whose last collection
is older than its interval (default 1 h for ``aws``, 15 min for ``host``). The last run of each
configured source is read from ``inventory_collections`` (its ``note`` holds the source's
schedule key), so a restart does not re-collect everything at once::

    inventory:
      sources:
        - source: host                      # every 15 minutes
        - source: aws                       # every hour, accounts and regions from `aws:`
        - source: sbom
          interval_seconds: 86400
          options: {paths: [/srv/app/sbom.cdx.json]}
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from assetguard.auth.principal import SYSTEM
from assetguard.core.clock import utcnow
from assetguard.core.errors import AssetGuardError
from assetguard.core.settings import InventorySource
from assetguard.db.base import canonical_json
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


def schedule_key(source: InventorySource) -> str:
    """Identifies one configured source (two ``sbom`` entries are two schedules)."""
    body = canonical_json({"source": source.source, "options": source.options})
    return "schedule:" + hashlib.sha256(body.encode()).hexdigest()[:16]


def last_runs(platform: Platform) -> dict[str, datetime]:
    """Newest finish time per schedule key (stored in the collection's ``note``)."""
    t = inventory_collections.c
    stmt = select(t.note, func.max(t.finished_at)).where(t.note.like("schedule:%")).group_by(t.note)
    with platform.db.connect() as conn:
        return {r[0]: r[1] for r in conn.execute(stmt) if r[1] is not None}


def due_sources(platform: Platform, now: datetime | None = None) -> list[InventorySource]:
    now = now or utcnow()
    last = last_runs(platform)
    return [s for s in platform.settings.inventory.sources
            if schedule_key(s) not in last or now - last[schedule_key(s)] >= timedelta(seconds=interval(s))]


def run_due_collections(platform: Platform) -> list[CollectionSummary]:
    """Collect every due source; one failing source is logged and does not stop the others."""
    done = []
    for source in due_sources(platform):
        try:
            done.append(run_collection(platform, source.source, options_for(platform, source), actor=SYSTEM,
                                       note=schedule_key(source)))
        except AssetGuardError as exc:
            log.warning("scheduled %s collection failed: %s", source.source, exc)
    return done
