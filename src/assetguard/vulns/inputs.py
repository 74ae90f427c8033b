"""Package lists for ad-hoc scans: an image tarball, an SBOM file, or this host.

These use the inventory engineer's collectors (``assetguard.inventory.collectors``) so an ad-hoc
scan sees exactly the packages the inventory would store; each returns the configuration item(s)
the collector produced::

    items = image_items(Path("app.tar"))
    packages = [p for item in items for p in item["configuration"]["packages"]]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assetguard.core.errors import ValidationError


def _collect(name: str, config: dict[str, Any]) -> list[dict[str, Any]]:
    from assetguard.inventory.collectors.base import collectors

    cls = collectors.get(name)
    collector = cls()
    result = collector.collect(cls.Config.model_validate(config))
    if not result.items and result.errors:
        raise ValidationError("; ".join(str(getattr(e, "message", e)) for e in result.errors), where=name)
    return result.items


def image_items(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise ValidationError("no such image tarball", where=str(path))
    return _collect("image", {"paths": [str(path)]})


def sbom_items(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise ValidationError("no such SBOM file", where=str(path))
    return _collect("sbom", {"paths": [str(path)]})


def host_items(root: Path | None = None) -> list[dict[str, Any]]:
    return _collect("host", {"root": str(root)} if root else {})


def packages_of_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in items:
        pkgs = (item.get("configuration") or {}).get("packages") or []
        out += [p for p in pkgs if isinstance(p, dict)]
    return out
