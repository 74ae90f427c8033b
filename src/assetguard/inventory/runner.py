"""Run a collector by name and store its result: the one entry point for the CLI, API and scheduler.

    summary = run_collection(platform, "host", {"root": "/"}, actor=cli_principal())
    summary.created, summary.updated, summary.deleted, summary.unchanged, summary.errors
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError as PydanticValidationError

from assetguard.auth.principal import SYSTEM, Principal
from assetguard.core.clock import utcnow
from assetguard.core.errors import ValidationError
from assetguard.inventory.collectors.base import Progress, collectors
from assetguard.inventory.service import CollectionSummary, InventoryService
from assetguard.runtime.platform import Platform


def collector_config(source: str, options: dict[str, Any]) -> Any:
    """Validate ``options`` against the collector's pydantic ``Config``; errors name the option."""
    plugin = collectors.get(source)
    try:
        return plugin.Config.model_validate(options)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or source
        raise ValidationError(f"{first['msg']}", where=f"{source}.{where}") from None


def aws_options(platform: Platform) -> dict[str, Any]:
    """The ``aws`` collector options from ``settings.aws``."""
    aws = platform.settings.aws
    return {"profile": aws.profile, "regions": aws.regions, "endpoint_url": aws.endpoint_url,
            "accounts": [a.model_dump() for a in aws.accounts]}


def run_collection(platform: Platform, source: str, options: dict[str, Any], *, actor: Principal = SYSTEM,
                   progress: Progress | None = None, note: str | None = None) -> CollectionSummary:
    """Collect from ``source`` with ``options`` and apply the result in one transaction."""
    config = collector_config(source, options)
    started = utcnow()
    result = collectors.get(source)().collect(config, progress)
    return InventoryService(platform).apply_collection(source, result.items, result.scope, actor=actor,
                                                       errors=result.errors, started_at=started, note=note)
