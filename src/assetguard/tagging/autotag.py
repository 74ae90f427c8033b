"""The auto-tagger: CloudTrail create calls in, tags on the new resources out.

For each record it skips failed calls, calls by the tagger itself and non-create calls; finds
every created resource's ARN; builds the tags (parameter-store defaults for the account, region
and resource type, plus ``CreatedBy``, ``CreatedAt`` and ``InvokedBy``); keeps tags the resource
already has; and applies them in batches, per service tagger and region::

    tagger = AutoTagger(platform)                 # dry_run=True calls nothing
    plan = tagger.plan(record)                    # TagPlan(event_name, resources, tags, skipped)
    tagger.apply([plan])                          # audited, idempotent, emits "Resource Tagged"

Parameter layout (under ``settings.tagging.params_prefix``, default ``/assetguard/tags``), most
specific last: ``default/<Key>``, ``by-region/<region>/<Key>``, ``by-account/<account>/<Key>``,
``by-type/<service>.<resource>/<Key>`` (e.g. ``by-type/ec2.instance/Backup``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from assetguard.auth.principal import SYSTEM, Principal
from assetguard.core.clock import utcnow
from assetguard.tagging.cloudtrail import (
    CreatedResource,
    created_by,
    created_resources,
    record_account,
    record_region,
    request_tags,
    skip_reason,
)
from assetguard.tagging.limits import merge_tags, sanitize_value
from assetguard.tagging.params import parameter_store
from assetguard.tagging.policy import policy_resource_type
from assetguard.tagging.tables import autotag_results
from assetguard.tagging.taggers import BotoClients, taggers


@dataclass
class TagPlan:
    event_name: str
    event_id: str
    resources: list[CreatedResource] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    skipped: str | None = None
    not_applied: dict[str, str] = field(default_factory=dict)  # key → why

    def contract(self) -> dict[str, Any]:
        """The ``tags autotag --dry-run --json`` line for this record."""
        if self.skipped:
            return {"eventName": self.event_name, "skipped": self.skipped}
        return {"eventName": self.event_name, "arns": [r.arn for r in self.resources], "tags": self.tags}


@dataclass
class TagResult:
    arn: str
    status: str  # tagged | failed | unchanged | duplicate
    tags: dict[str, str]
    error: str | None = None


class TagDefaults:
    """Parameter-store defaults, read once per path and cached for ``ttl`` seconds."""

    def __init__(self, platform: Any, ttl: float = 60.0) -> None:
        self.store = parameter_store(platform)
        self.prefix = platform.settings.tagging.params_prefix.rstrip("/")
        self.ttl = ttl
        self._cache: dict[str, tuple[float, dict[str, str]]] = {}

    def _path(self, path: str) -> dict[str, str]:
        now = time.monotonic()
        hit = self._cache.get(path)
        if hit and now - hit[0] < self.ttl:
            return hit[1]
        values = {p.name.rsplit("/", 1)[-1]: p.value for p in self.store.get_by_path(path, recursive=False)}
        self._cache[path] = (now, values)
        return values

    def for_resource(self, account: str, region: str, resource_type: str) -> dict[str, str]:
        kind = policy_resource_type(resource_type).replace(":", ".") if resource_type else ""
        merged: dict[str, str] = {}
        for path in (f"{self.prefix}/default", f"{self.prefix}/by-region/{region}",
                     f"{self.prefix}/by-account/{account}", f"{self.prefix}/by-type/{kind}" if kind else ""):
            if path:
                merged.update(self._path(path))
        return merged


class AutoTagger:
    def __init__(self, platform: Any, *, dry_run: bool = False, clients: Any = None,
                 actor: Principal = SYSTEM) -> None:
        self.platform = platform
        self.settings = platform.settings.tagging
        self.dry_run = dry_run
        self.actor = actor
        self.defaults = TagDefaults(platform)
        self._clients = clients

    @property
    def clients(self) -> Any:
        if self._clients is None:
            aws = self.platform.settings.aws
            self._clients = BotoClients(profile=aws.profile, endpoint_url=aws.endpoint_url,
                                        marker=self.settings.tagger_marker)
        return self._clients

    def plan(self, record: dict[str, Any]) -> TagPlan:
        plan = TagPlan(str(record.get("eventName", "")), str(record.get("eventID", "")))
        reason = skip_reason(record, self.settings.tagger_marker)
        if reason:
            plan.skipped = reason
            return plan
        plan.resources = created_resources(record)
        if not plan.resources:
            plan.skipped = "no resource identifiers in the record"
            return plan
        first = plan.resources[0]
        wanted = dict(self.defaults.for_resource(record_account(record), record_region(record), first.resource_type))
        wanted["CreatedBy"] = created_by(record["userIdentity"])
        wanted["CreatedAt"] = str(record.get("eventTime", ""))
        invoked = record["userIdentity"].get("invokedBy")
        if invoked:
            wanted["InvokedBy"] = sanitize_value(str(invoked))
        plan.tags, plan.not_applied = merge_tags(request_tags(record), wanted,
                                                 overwrite=self.settings.overwrite_existing)
        return plan

    def apply(self, plans: Iterable[TagPlan]) -> list[TagResult]:
        """Tag everything the plans name; already-confirmed (event, ARN) pairs are not re-tagged."""
        todo = [p for p in plans if not p.skipped and p.resources and p.tags]
        if self.dry_run or not todo:
            return []
        done = self._done({(p.event_id, r.arn) for p in todo for r in p.resources})
        # Group identical tag sets per tagger so TagResources can batch 20 ARNs at a time.
        groups: dict[tuple[str, tuple[tuple[str, str], ...]], list[tuple[TagPlan, CreatedResource]]] = {}
        results: list[TagResult] = []
        for p in todo:
            for r in p.resources:
                if (p.event_id, r.arn) in done:
                    results.append(TagResult(r.arn, "duplicate", p.tags))
                    continue
                groups.setdefault((r.tagger, tuple(sorted(p.tags.items()))), []).append((p, r))
        for (tagger_name, tag_items), members in groups.items():
            tags = dict(tag_items)
            outcome = taggers.get(tagger_name)(self.clients, [r for _, r in members], tags)
            for _plan, r in members:
                err = outcome.get(r.arn, "no answer from the tagging call")
                results.append(TagResult(r.arn, "failed" if err else "tagged", tags, err))
        self._record(todo, [r for r in results if r.status in ("tagged", "failed")])
        return results

    def _done(self, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
        if not keys:
            return set()
        event_ids = {k[0] for k in keys}
        with self.platform.db.connect() as conn:
            rows = conn.execute(select(autotag_results.c.event_id, autotag_results.c.arn).where(
                autotag_results.c.event_id.in_(event_ids), autotag_results.c.status == "tagged"))
            return {(r.event_id, r.arn) for r in rows} & keys

    def _record(self, plans: list[TagPlan], results: list[TagResult]) -> None:
        if not results:
            return
        by_arn = {r.arn: r for r in results}
        now = utcnow()
        with self.platform.db.begin() as conn:
            for p in plans:
                mine = [by_arn[r.arn] for r in p.resources if r.arn in by_arn]
                if not mine:
                    continue
                for res in mine:
                    conn.execute(autotag_results.delete().where(autotag_results.c.event_id == p.event_id,
                                                                autotag_results.c.arn == res.arn))
                    conn.execute(autotag_results.insert().values(event_id=p.event_id, arn=res.arn, status=res.status,
                                                                 tags=res.tags, detail=res.error, at=now))
                tagged = [res.arn for res in mine if res.status == "tagged"]
                self.platform.audit.record(conn, self.actor, "tagging.autotag", f"cloudtrail-event:{p.event_id}",
                                           after={"eventName": p.event_name, "tagged": tagged, "tags": p.tags,
                                                  "failed": {r.arn: r.error for r in mine if r.error}})
                if tagged:
                    self.platform.bus.publish("assetguard.tagging", "Resource Tagged",
                                              {"resources": tagged, "tags": p.tags,
                                               "reason": f"autotag:{p.event_name}", "eventId": p.event_id},
                                              resources=tagged, conn=conn)
