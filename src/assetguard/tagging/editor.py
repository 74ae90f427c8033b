"""The tag editor: find resources in the inventory, then add, change or remove tags in bulk.

Like AWS Resource Groups Tag Editor, but over every asset the inventory knows (cloud resources,
hosts, images). AWS resources are changed in AWS (Resource Groups Tagging API, or the service's
own call) and in the inventory; local assets in the inventory::

    editor = TagEditor(platform)
    found = editor.find(resource_type="AWS::EC2::Instance", missing="Owner")
    changes = editor.apply([a["arn"] for a in found], set_tags={"Owner": "web"}, actor=p, dry_run=True)
    [c.as_dict() for c in changes]        # before/after per resource; nothing written on a dry run

Every edit is validated in full (AWS limits per resource) before anything is written, so a bad
request changes nothing; applied edits are audited.
"""

from __future__ import annotations

import copy
import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from assetguard.auth.principal import Principal
from assetguard.core.errors import ValidationError
from assetguard.inventory.service import InventoryService
from assetguard.tagging.limits import MAX_TAGS, tag_problem
from assetguard.tagging.taggers import BotoClients, push_tag_changes

BASE_COLUMNS = ("arn", "resourceType", "resourceName", "awsRegion", "accountId")


@dataclass
class TagChange:
    arn: str
    resource_type: str
    region: str
    before: dict[str, str]
    after: dict[str, str]
    status: str = "planned"  # planned | applied | failed | unchanged
    error: str | None = None
    item: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def as_dict(self) -> dict[str, Any]:
        return {"arn": self.arn, "resourceType": self.resource_type, "region": self.region, "before": self.before,
                "after": self.after, "status": self.status, "error": self.error}


def _is_aws(arn: str) -> bool:
    return arn.startswith("arn:aws")


class TagEditor:
    def __init__(self, platform: Any, *, clients: Any = None) -> None:
        self.platform = platform
        self.inventory = InventoryService(platform)
        self._clients = clients

    @property
    def clients(self) -> Any:
        if self._clients is None:
            aws = self.platform.settings.aws
            self._clients = BotoClients(profile=aws.profile, endpoint_url=aws.endpoint_url,
                                        marker=self.platform.settings.tagging.tagger_marker)
        return self._clients

    def find(self, *, region: str | None = None, resource_type: str | None = None, tag_key: str | None = None,
             tag_value: str | None = None, missing: str | None = None, search: str | None = None,
             limit: int | None = None) -> list[dict[str, Any]]:
        """Assets matching every criterion; ``missing`` = assets without that tag key."""
        filters: dict[str, Any] = {}
        if limit and not missing:
            filters["limit"] = limit
        if region:
            filters["region"] = region
        if search:
            filters["search"] = search
        if tag_key:
            filters["tag"] = f"{tag_key}={tag_value}" if tag_value is not None else tag_key
        items = self.inventory.list_assets(resource_type or None, **filters)
        if missing:
            items = [i for i in items if missing not in (i.get("tags") or {})]
        return items[:limit] if limit else items

    def plan(self, arns: Iterable[str], *, set_tags: dict[str, str] | None = None,
             remove: Iterable[str] = ()) -> list[TagChange]:
        """Before/after for each resource; raises ValidationError naming the resource and key."""
        set_tags = dict(set_tags or {})
        remove = list(remove)
        for key, value in set_tags.items():
            problem = tag_problem(key, value)
            if problem:
                raise ValidationError(problem, where=f"tag {key!r}")
        changes = []
        for arn in dict.fromkeys(arns):
            item = self.inventory.get(arn)
            before = dict(item.get("tags") or {})
            after = {k: v for k, v in before.items() if k not in remove}
            after.update(set_tags)
            if len(after) > MAX_TAGS:
                raise ValidationError(f"would carry {len(after)} tags; AWS allows {MAX_TAGS}", where=arn)
            changes.append(TagChange(arn, item["resourceType"], item.get("awsRegion") or "", before, after,
                                     item=item))
        return changes

    def apply(self, arns: Iterable[str], *, set_tags: dict[str, str] | None = None, remove: Iterable[str] = (),
              actor: Principal, dry_run: bool = False) -> list[TagChange]:
        return self.commit(self.plan(arns, set_tags=set_tags, remove=remove), actor=actor, dry_run=dry_run)

    def commit(self, changes: list[TagChange], *, actor: Principal, dry_run: bool = False,
               push_aws: bool | None = None) -> list[TagChange]:
        """Write planned changes (AWS first, then the inventory); a dry run writes nothing.

        ``push_aws=False`` changes the inventory only (offline demo, or tags already applied in AWS); the
        default follows ``settings.tagging.apply_to_aws``."""
        if push_aws is None:
            push_aws = self.platform.settings.tagging.apply_to_aws
        for change in changes:
            if not change.changed:
                change.status = "unchanged"
        todo = [c for c in changes if c.changed]
        if dry_run or not todo:
            return changes
        for change in todo:
            if push_aws and _is_aws(change.arn):
                set_tags = {k: v for k, v in change.after.items() if change.before.get(k) != v}
                removed = [k for k in change.before if k not in change.after]
                change.error = push_tag_changes(self.clients, change.arn, change.region or "us-east-1", set_tags,
                                                removed)
            change.status = "failed" if change.error else "applied"
        applied = [c for c in todo if c.status == "applied"]
        if applied:
            items = []
            for c in applied:
                item = copy.deepcopy(c.item)
                item["tags"] = c.after
                item["configurationItemCaptureTime"] = None
                items.append(item)
            self.inventory.apply_collection("tag-editor", items, None, actor=actor)
            with self.platform.db.begin() as conn:
                for c in applied:
                    self.platform.audit.record(conn, actor, "tagging.edit", c.arn, before=c.before, after=c.after)
                self.platform.bus.publish("assetguard.tagging", "Resource Tagged",
                                          {"resources": [c.arn for c in applied], "tags": {},
                                           "changes": [c.as_dict() for c in applied], "reason": "tag-editor"},
                                          resources=[c.arn for c in applied], conn=conn)
        return changes

    # ------------------------------------------------------------------ CSV
    def export_csv(self, items: list[dict[str, Any]]) -> str:
        """One row per resource, one ``tag:<Key>`` column per tag key found."""
        keys = sorted({k for i in items for k in (i.get("tags") or {})})
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([*BASE_COLUMNS, *(f"tag:{k}" for k in keys)])
        for i in items:
            tags = i.get("tags") or {}
            writer.writerow([i.get(c) or "" for c in BASE_COLUMNS] + [tags.get(k, "") for k in keys])
        return out.getvalue()

    def plan_csv(self, text: str, *, where: str = "import.csv") -> list[TagChange]:
        """Changes an edited export asks for: a ``tag:K`` cell sets K, an empty cell removes it; tag
        columns left out of the file are untouched. Every row is checked before anything is written."""
        reader = csv.reader(io.StringIO(text))
        try:
            header = next(reader)
        except StopIteration:
            raise ValidationError("the file is empty", where=where) from None
        if "arn" not in header:
            raise ValidationError("header must have an 'arn' column", where=f"{where}:1")
        tag_cols = [(n, h[4:]) for n, h in enumerate(header) if h.startswith("tag:")]
        for _, key in tag_cols:
            problem = tag_problem(key, "")
            if problem:
                raise ValidationError(problem, where=f"{where}:1 (column tag:{key})")
        arn_col = header.index("arn")
        changes = []
        for line_no, row in enumerate(reader, start=2):
            if not any(row):
                continue
            if len(row) != len(header):
                raise ValidationError(f"expected {len(header)} cells, found {len(row)}", where=f"{where}:{line_no}")
            arn = row[arn_col]
            set_tags = {k: row[n] for n, k in tag_cols if row[n] != ""}
            remove = [k for n, k in tag_cols if row[n] == ""]
            for key, value in set_tags.items():
                problem = tag_problem(key, value)
                if problem:
                    raise ValidationError(problem, where=f"{where}:{line_no} (tag:{key})")
            try:
                changes.extend(self.plan([arn], set_tags=set_tags, remove=remove))
            except ValidationError as exc:
                raise ValidationError(exc.message, where=f"{where}:{line_no} ({arn})") from None
            except Exception as exc:  # noqa: BLE001 - NotFoundError and friends, with the row named
                raise ValidationError(str(exc), where=f"{where}:{line_no}") from None
        return changes
