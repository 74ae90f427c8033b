"""Shared helpers of the Linux rules: where the facts are, and the host type.

The rules read ``configuration.hostSecurity`` (see :mod:`assetguard.compliance.hostfacts`). A host
item collected by the inventory's ``host`` collector without it, but with
``supplementaryConfiguration.collectedFrom`` naming a root that exists here (``live`` means ``/``),
has its facts gathered once per evaluation.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assetguard.compliance.context import EvaluationContext

HOST = "AssetGuard::Host::Linux"


def facts(item: dict[str, Any], ctx: EvaluationContext | None = None) -> dict[str, Any] | None:
    """The host's security facts, or None when they are neither recorded nor readable here."""
    value = (item.get("configuration") or {}).get("hostSecurity")
    if isinstance(value, dict):
        return value
    source = (item.get("supplementaryConfiguration") or {}).get("collectedFrom")
    if not source or ctx is None:
        return None
    root = Path("/" if source == "live" else str(source))
    if not root.is_dir():
        return None
    from assetguard.compliance.hostfacts import gather_host_facts

    gathered: dict[str, Any] = ctx.memo(f"hostfacts:{root}", lambda: gather_host_facts(root))
    return gathered


def as_int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None
