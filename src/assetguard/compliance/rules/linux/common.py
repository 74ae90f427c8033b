"""Shared helpers of the Linux rules: where the facts are, and the host type."""

from __future__ import annotations

from typing import Any

HOST = "AssetGuard::Host::Linux"


def facts(item: dict[str, Any]) -> dict[str, Any] | None:
    """``configuration.hostSecurity`` (see :mod:`assetguard.compliance.hostfacts`), or None."""
    value = (item.get("configuration") or {}).get("hostSecurity")
    return value if isinstance(value, dict) else None


def as_int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None
