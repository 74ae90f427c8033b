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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, tuple_

from assetguard.audit.trail import AuditEntry
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
from assetguard.tagging.taggers import TAG_BATCH, BotoClients, taggers

CONCURRENCY = 8  # simultaneous tagging calls per apply()
MISSING = "no answer from the tagging call"


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
                 actor: Principal = SYSTEM, inventory_only: bool = False) -> None:
        """``inventory_only`` applies tags to the inventory's copy of each resource instead of calling
        AWS (the offline demo; resources missing from the inventory are reported as failed)."""
        self.platform = platform
        self.inventory_only = inventory_only
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
        if self.inventory_only:
            results.extend(self._apply_to_inventory(groups))
            self._record(todo, [r for r in results if r.status in ("tagged", "failed")])
            return results
        # Tagging calls are network-bound: run them concurrently (boto3 clients are thread-safe).
        tasks: list[tuple[str, dict[str, str], list[CreatedResource]]] = []
        for (tagger_name, tag_items), members in groups.items():
            size = TAG_BATCH if tagger_name == "tagging" else 1
            resources = [r for _, r in members]
            for i in range(0, len(resources), size):
                tasks.append((tagger_name, dict(tag_items), resources[i:i + size]))

        def run(task: tuple[str, dict[str, str], list[CreatedResource]]) -> list[TagResult]:
            name, tags, resources = task
            outcome = taggers.get(name)(self.clients, resources, tags)
            return [TagResult(r.arn, "failed" if outcome.get(r.arn, MISSING) else "tagged", tags,
                              outcome.get(r.arn, MISSING)) for r in resources]

        if len(tasks) <= 1:
            for task in tasks:
                results.extend(run(task))
        else:
            with ThreadPoolExecutor(max_workers=min(CONCURRENCY, len(tasks))) as pool:
                for chunk in pool.map(run, tasks):
                    results.extend(chunk)
        self._record(todo, [r for r in results if r.status in ("tagged", "failed")])
        return results

    def _apply_to_inventory(self, groups: dict[Any, list[tuple[TagPlan, CreatedResource]]]) -> list[TagResult]:
        from assetguard.core.errors import NotFoundError
        from assetguard.tagging.editor import TagEditor

        editor = TagEditor(self.platform)
        out = []
        for (_tagger, tag_items), members in groups.items():
            tags = dict(tag_items)
            for _plan, r in members:
                try:
                    [change] = editor.plan([r.arn], set_tags=tags)
                except NotFoundError:
                    out.append(TagResult(r.arn, "failed", tags, "not in the inventory"))
                    continue
                change.after = {**tags, **change.before} if not self.settings.overwrite_existing else change.after
                editor.commit([change], actor=self.actor, push_aws=False)
                out.append(TagResult(r.arn, "tagged", tags))
        return out

    def _done(self, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
        if not keys:
            return set()
        event_ids = {k[0] for k in keys}
        with self.platform.db.connect() as conn:
            rows = conn.execute(select(autotag_results.c.event_id, autotag_results.c.arn).where(
                autotag_results.c.event_id.in_(event_ids), autotag_results.c.status == "tagged"))
            return {(r.event_id, r.arn) for r in rows} & keys

    def _record(self, plans: list[TagPlan], results: list[TagResult]) -> None:
        """Store outcomes, audit each record's result and emit ``Resource Tagged`` in one transaction."""
        if not results:
            return
        by_arn = {r.arn: r for r in results}
        now = utcnow()
        rows: list[dict[str, Any]] = []
        entries: list[AuditEntry] = []
        events: list[tuple[TagPlan, list[str]]] = []
        for p in plans:
            mine = [by_arn[r.arn] for r in p.resources if r.arn in by_arn]
            if not mine:
                continue
            rows.extend({"event_id": p.event_id, "arn": res.arn, "status": res.status, "tags": res.tags,
                         "detail": res.error, "at": now} for res in mine)
            tagged = [res.arn for res in mine if res.status == "tagged"]
            entries.append(AuditEntry("tagging.autotag", f"cloudtrail-event:{p.event_id}", None,
                                      {"eventName": p.event_name, "tagged": tagged, "tags": p.tags,
                                       "failed": {r.arn: r.error for r in mine if r.error}}))
            if tagged:
                events.append((p, tagged))
        with self.platform.db.begin() as conn:
            # A retried (event, ARN) replaces its earlier failed outcome.
            for i in range(0, len(rows), 500):
                chunk = rows[i:i + 500]
                conn.execute(autotag_results.delete().where(
                    tuple_(autotag_results.c.event_id, autotag_results.c.arn).in_(
                        [(r["event_id"], r["arn"]) for r in chunk])))
            conn.execute(autotag_results.insert(), rows)
            self.platform.audit.record_many(conn, self.actor, entries)
            for p, tagged in events:
                self.platform.bus.publish("assetguard.tagging", "Resource Tagged",
                                          {"resources": tagged, "tags": p.tags,
                                           "reason": f"autotag:{p.event_name}", "eventId": p.event_id},
                                          resources=tagged, conn=conn)
