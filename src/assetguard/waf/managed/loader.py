"""Load managed rule group documents (``groups/<Name>.json``, WAFv2 ``CreateRuleGroup`` shape).

Each document has ``Name``, ``Capacity``, ``Rules``, ``VisibilityConfig``, ``VendorName`` ("AWS" or
"AssetGuard") and ``LabelNamespace`` (e.g. ``awswaf:managed:aws:core-rule-set:``). Documents are
parsed once per directory and cached; :func:`clear_cache` forces a re-read.

Example::

    doc = load_managed_group("AWS", "AWSManagedRulesCommonRuleSet")
    doc["Capacity"]   # 700
    list_managed_groups()   # ['AWSManagedRulesAmazonIpReputationList', ...]
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from assetguard.core.errors import NotFoundError, ValidationError

GROUPS_DIR = Path(__file__).parent / "groups"

_cache: dict[tuple[Path, str], dict[str, Any]] = {}
_lock = threading.Lock()


def groups_dir(directory: Path | None = None) -> Path:
    return directory if directory is not None else GROUPS_DIR


def list_managed_groups(directory: Path | None = None) -> list[str]:
    base = groups_dir(directory)
    return sorted(p.stem for p in base.glob("*.json")) if base.exists() else []


def _validate(doc: Any, path: Path) -> dict[str, Any]:
    where = str(path)
    if not isinstance(doc, dict):
        raise ValidationError("a managed rule group must be a JSON object", where=where)
    for key, kind in (("Name", str), ("Capacity", int), ("Rules", list), ("VendorName", str), ("LabelNamespace", str)):
        if not isinstance(doc.get(key), kind):
            raise ValidationError(f"{key} is required ({kind.__name__})", where=f"{where} ({key})")
    if doc["Name"] != path.stem:
        raise ValidationError(f"Name {doc['Name']!r} does not match the file name", where=f"{where} (Name)")
    if not doc["LabelNamespace"].endswith(":"):
        raise ValidationError("LabelNamespace must end with ':'", where=f"{where} (LabelNamespace)")
    return doc


def load_managed_group(vendor: str, name: str, version: str | None = None,
                       directory: Path | None = None) -> dict[str, Any]:
    """The group document; NotFoundError lists the groups that exist."""
    base = groups_dir(directory).resolve()
    key = (base, name)
    doc = _cache.get(key)
    if doc is None:
        path = base / f"{name}.json"
        if not path.exists():
            known = ", ".join(list_managed_groups(base)) or "none"
            raise NotFoundError(f"managed rule group {vendor}/{name} is not installed (available: {known})")
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValidationError(f"invalid JSON: {exc.msg}", where=f"{path}:{exc.lineno}") from None
        doc = _validate(raw, path)
        with _lock:
            _cache[key] = doc
    if doc["VendorName"] != vendor:
        raise NotFoundError(f"managed rule group {name} is published by {doc['VendorName']!r}, not {vendor!r}")
    if version is not None and doc.get("Version") not in (None, version):
        raise NotFoundError(f"managed rule group {name} version {version!r} is not available "
                            f"(have {doc.get('Version')!r})")
    return doc


def clear_cache() -> None:
    with _lock:
        _cache.clear()
