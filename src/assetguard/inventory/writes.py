"""Buffered writes of one collection: current rows, history, events and audit rows, in bulk.

Used by :class:`assetguard.inventory.service.InventoryService` inside its transaction; every change
becomes one history row, one ``Asset Configuration Change`` event and one audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, update

from assetguard.audit.trail import AuditEntry
from assetguard.auth.principal import Principal
from assetguard.events.envelope import make_event
from assetguard.inventory.diff import diff_items
from assetguard.inventory.tables import inventory_assets, inventory_history
from assetguard.runtime.platform import Platform

EVENT_SOURCE = "assetguard.inventory"
EVENT_TYPE = "Asset Configuration Change"
BATCH = 1000


@dataclass(slots=True)
class Incoming:
    """One validated item with its content hash, scope key and whether it says the asset is gone."""

    item: dict[str, Any]
    hash: str
    scope: str
    deleted: bool


class ChangeWriter:
    """Buffers one collection's row writes, then flushes them in bulk with events and audit."""

    def __init__(self, collection_id: str, now: datetime) -> None:
        self.collection_id = collection_id
        self.now = now
        self.inserts: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self.history: list[dict[str, Any]] = []
        self.events: list[tuple[dict[str, Any], str, dict[str, Any]]] = []
        self.changes: list[tuple[str, str]] = []

    def put(self, inc: Incoming, change_type: str, *, old_item: dict[str, Any] | None, state_id: int,
            exists: bool, source: str) -> None:
        ci = inc.item
        if change_type == "CREATE":
            ci["configurationItemStatus"] = "ResourceDiscovered"
        elif change_type == "UPDATE":
            ci["configurationItemStatus"] = "OK"
        ci["configurationStateId"] = str(state_id)
        diff = diff_items(None if change_type == "CREATE" else old_item, None if change_type == "DELETE" else ci)
        capture = _parse_time(ci["configurationItemCaptureTime"]) or self.now
        row = {"arn": ci["arn"], "resource_type": ci["resourceType"], "resource_id": ci["resourceId"],
               "resource_name": ci.get("resourceName"), "account_id": ci.get("accountId"),
               "region": ci.get("awsRegion"), "source": source, "scope_key": inc.scope,
               "status": ci["configurationItemStatus"], "deleted": change_type == "DELETE", "state_id": state_id,
               "config_hash": inc.hash, "capture_time": capture, "item": ci}
        (self.updates if exists else self.inserts).append(row)
        self.history.append({"arn": ci["arn"], "state_id": state_id, "change_type": change_type,
                             "capture_time": capture, "collection_id": self.collection_id, "item": ci, "diff": diff})
        self.events.append((ci, change_type, diff))
        self.changes.append((change_type, ci["arn"]))

    def flush(self, conn: Connection, platform: Platform, actor: Principal) -> None:
        if self.inserts:
            conn.execute(inventory_assets.insert(), self.inserts)
        if self.updates:
            t = inventory_assets
            stmt = update(t).where(t.c.arn == bindparam("b_arn")).values(
                **{k: bindparam(k) for k in self.updates[0] if k != "arn"})
            conn.execute(stmt, [{**{k: v for k, v in r.items() if k != "arn"}, "b_arn": r["arn"]}
                                for r in self.updates])
        if self.history:
            conn.execute(inventory_history.insert(), self.history)
        enqueue = getattr(platform.bus, "enqueue", None)
        for start in range(0, len(self.events), BATCH):
            batch = self.events[start:start + BATCH]
            events = [make_event(EVENT_SOURCE, EVENT_TYPE, {"asset": ci, "changeType": change_type, "diff": diff},
                                 resources=[ci["arn"]], account=ci.get("accountId"), region=ci.get("awsRegion"))
                      for ci, change_type, diff in batch]
            if callable(enqueue):  # the outbox takes a batch in one statement
                enqueue(events, conn=conn)
            else:
                for e in events:
                    platform.bus.publish(e["source"], e["detail-type"], e["detail"], resources=e["resources"],
                                         account=e["account"], region=e["region"], conn=conn)
            platform.audit.record_many(conn, actor, [
                AuditEntry(f"inventory.{change_type.lower()}", ci["arn"], after={
                    "configurationStateId": ci["configurationStateId"], "resourceType": ci["resourceType"],
                    "changedProperties": sorted(diff["changedProperties"])[:50]})
                for ci, change_type, diff in batch])


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None
