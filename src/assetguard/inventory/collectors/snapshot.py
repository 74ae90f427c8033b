"""The ``snapshot`` collector: AWS Config snapshot files and ``select-resource-config`` results.

Accepted inputs (JSON; ``.gz`` too):

* a configuration snapshot delivered to S3: ``{"fileVersion", "configSnapshotId", "configurationItems": [...]}``
  (items use ``ARN``, ``awsAccountId``, ``configurationItemVersion``, ``configurationStateMd5Hash``);
* ``aws configservice select-resource-config`` / ``select-aggregate-resource-config`` output:
  ``{"Results": ["<CI as JSON text>", ...]}``;
* ``aws configservice get-resource-config-history`` output: ``{"configurationItems": [...]}``
  (``configuration`` is JSON text there).

A snapshot is the full picture of what it covers: assets of an account and region present in
the file that are missing from it are marked deleted (``authoritative: false`` turns that off).
S3 buckets are listed account-wide, so only an explicit ``ResourceDeleted`` item deletes one.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from assetguard.core.errors import ValidationError
from assetguard.inventory.collectors.base import CollectionResult, Progress, collectors
from assetguard.inventory.collectors.files import expect, load_json

RENAMES = {"ARN": "arn", "awsAccountId": "accountId", "configurationItemVersion": "version",
           "configurationStateMd5Hash": "configurationItemMD5Hash"}
DROP = frozenset({"relatedEvents", "configurationItemMD5Hash"})


class SnapshotCollectorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    paths: list[str] = Field(min_length=1)
    authoritative: bool = True


def _maybe_json(value: Any, where: str) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"invalid embedded JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                                  where=where) from None
    return value


def normalise(raw: dict[str, Any], where: str) -> dict[str, Any]:
    """One snapshot/query item → our configuration-item dict."""
    item = {RENAMES.get(k, k): v for k, v in raw.items()}
    for key in DROP:
        item.pop(key, None)
    for key in ("configuration", "supplementaryConfiguration"):
        value = _maybe_json(item.get(key), f"{where}.{key}")
        item[key] = value if isinstance(value, dict) else ({} if value in (None, "", "null") else {"value": value})
        if isinstance(item[key], dict):
            item[key] = {k: _maybe_json(v, f"{where}.{key}.{k}") if key == "supplementaryConfiguration" else v
                         for k, v in item[key].items()}
    tags = item.get("tags")
    if isinstance(tags, list):  # advanced query: [{"key": k, "value": v}]
        item["tags"] = {str(t.get("key", t.get("Key"))): str(t.get("value", t.get("Value", ""))) for t in tags}
    elif tags is None:
        item["tags"] = {}
    rels = []
    for rel in item.get("relationships") or []:
        if isinstance(rel, dict):
            rels.append({"resourceType": rel.get("resourceType") or "", "resourceId": rel.get("resourceId"),
                         "resourceName": rel.get("resourceName"),
                         "relationshipName": rel.get("relationshipName") or rel.get("name") or ""})
    item["relationships"] = rels
    if not item.get("arn") and item.get("resourceType") and item.get("resourceId"):
        item["arn"] = (f"urn:assetguard:aws:{item.get('accountId') or ''}:{item.get('awsRegion') or ''}:"
                       f"{item['resourceType']}:{item['resourceId']}")
    for missing in ("arn", "resourceType", "resourceId"):
        if not item.get(missing):
            raise ValidationError(f"configuration item has no {missing}", where=where)
    item.pop("configurationStateId", None)  # ours counts versions in this inventory
    return {k: v for k, v in item.items() if k in _KNOWN}


_KNOWN = frozenset({"version", "accountId", "configurationItemCaptureTime", "configurationItemStatus", "arn",
                    "resourceType", "resourceId", "resourceName", "awsRegion", "availabilityZone",
                    "resourceCreationTime", "tags", "relationships", "configuration", "supplementaryConfiguration"})


def read_snapshot(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".gz":
        try:
            text = gzip.decompress(path.read_bytes()).decode("utf-8-sig")
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise ValidationError(f"cannot read gzip file: {exc}", where=str(path)) from None
        doc = load_json(path, text)
    else:
        doc = load_json(path)
    expect(doc, dict, f"{path}:$", "a JSON object")
    if "configurationItems" in doc:
        raw_items = expect(doc["configurationItems"], list, f"{path}:$.configurationItems", "a list")
        prefix = "$.configurationItems"
    elif "Results" in doc:
        raw_items = [_maybe_json(r, f"{path}:$.Results[{i}]") for i, r in
                     enumerate(expect(doc["Results"], list, f"{path}:$.Results", "a list"))]
        prefix = "$.Results"
    else:
        raise ValidationError("expected an AWS Config snapshot (configurationItems) or a select-resource-config "
                              "result (Results)", where=f"{path}:$")
    items = []
    for i, raw in enumerate(raw_items):
        where = f"{path}:{prefix}[{i}]"
        items.append(normalise(expect(raw, dict, where, "a configuration item object"), where))
    return items


@collectors.register("snapshot")
class SnapshotCollector:
    """Import AWS Config snapshots and advanced-query results."""

    name: ClassVar[str] = "snapshot"
    Config: ClassVar[type[BaseModel]] = SnapshotCollectorConfig
    permissions: ClassVar[tuple[str, ...]] = ()

    def collect(self, config: SnapshotCollectorConfig, progress: Progress | None = None) -> CollectionResult:
        result = CollectionResult()
        for i, raw in enumerate(config.paths):
            if progress:
                progress("snapshot", raw, i, len(config.paths))
            result.items.extend(read_snapshot(Path(raw)))
        if config.authoritative:
            # Every type of each account and region the files cover. Buckets (listed account-wide)
            # are only removed by an explicit ResourceDeleted item.
            result.scope = {f"{item['accountId']}|{item.get('awsRegion') or ''}|*" for item in result.items
                            if item.get("accountId") and str(item["resourceType"]).startswith("AWS::")}
        return result
