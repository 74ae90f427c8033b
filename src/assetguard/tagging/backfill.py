"""Backfill: tag resources that were created before auto-tagging (or that it missed).

For each AWS asset in the inventory that lacks ``CreatedBy``, CloudTrail ``lookup_events`` (90 days
of management events) is asked who created it; the create record then goes through the same
auto-tagger, restricted to that asset. Assets with no history in reach get the parameter-store
defaults only, and the report says so::

    report = Backfill(platform).run(dry_run=True)
    [(r.arn, r.created_by, r.tags) for r in report]
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from assetguard.auth.principal import SYSTEM, Principal
from assetguard.core.errors import provider_error
from assetguard.inventory.service import InventoryService
from assetguard.tagging.autotag import AutoTagger, TagDefaults
from assetguard.tagging.cloudtrail import CreatedResource
from assetguard.tagging.editor import TagEditor
from assetguard.tagging.limits import merge_tags

PERMISSIONS = ("cloudtrail:LookupEvents", "tag:TagResources")


@dataclass
class BackfillItem:
    arn: str
    resource_type: str
    created_by: str | None
    source: str  # cloudtrail | defaults-only
    tags: dict[str, str]
    status: str = "planned"
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"arn": self.arn, "resourceType": self.resource_type, "createdBy": self.created_by,
                "source": self.source, "tags": self.tags, "status": self.status, "error": self.error}


class Backfill:
    def __init__(self, platform: Any, *, clients: Any = None, marker_key: str = "CreatedBy") -> None:
        self.platform = platform
        self.tagger = AutoTagger(platform, clients=clients)
        self.editor = TagEditor(platform, clients=clients)
        self.defaults = TagDefaults(platform)
        self.marker_key = marker_key

    def candidates(self) -> list[dict[str, Any]]:
        return [a for a in InventoryService(self.platform).list_assets()
                if a["arn"].startswith("arn:aws") and self.marker_key not in (a.get("tags") or {})]

    def _lookup(self, asset: dict[str, Any]) -> dict[str, Any] | None:
        """The CloudTrail create record for this asset, if still within lookup history."""
        client = self.tagger.clients("cloudtrail", asset.get("awsRegion") or "us-east-1")
        names = [asset.get("resourceId"), asset.get("resourceName"), asset["arn"]]
        for name in dict.fromkeys(n for n in names if n):
            pages = client.get_paginator("lookup_events").paginate(
                LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": name}])
            try:
                for page in pages:
                    for event in page.get("Events", []):
                        raw = event.get("CloudTrailEvent")
                        record = json.loads(raw) if isinstance(raw, str) else raw
                        if isinstance(record, dict) and self.tagger.plan(record).skipped is None:
                            return record
            except (BotoCoreError, ClientError) as exc:  # no credentials, no access, no network
                raise provider_error(f"CloudTrail LookupEvents for {name}", exc) from None
        return None

    def plan(self) -> list[BackfillItem]:
        items = []
        for asset in self.candidates():
            record = self._lookup(asset)
            existing = dict(asset.get("tags") or {})
            if record is not None:
                plan = self.tagger.plan(record)
                wanted = dict(plan.tags)
                creator = wanted.get("CreatedBy")
                source = "cloudtrail"
            else:
                wanted = self.defaults.for_resource(asset.get("accountId") or "", asset.get("awsRegion") or "",
                                                    asset["resourceType"])
                creator, source = None, "defaults-only"
            to_apply, _ = merge_tags(existing, wanted, overwrite=self.platform.settings.tagging.overwrite_existing)
            items.append(BackfillItem(asset["arn"], asset["resourceType"], creator, source, to_apply))
        return items

    def run(self, *, dry_run: bool = False, actor: Principal = SYSTEM) -> list[BackfillItem]:
        items = self.plan()
        if dry_run:
            return items
        for item in items:
            if not item.tags:
                item.status = "unchanged"
                continue
            [change] = self.editor.apply([item.arn], set_tags=item.tags, actor=actor)
            item.status, item.error = change.status, change.error
        return items


def resource_from_asset(asset: dict[str, Any]) -> CreatedResource:
    return CreatedResource(asset["arn"], asset.get("awsRegion") or "us-east-1", asset.get("accountId") or "",
                           "tagging", asset["resourceType"], asset.get("resourceId") or "")
