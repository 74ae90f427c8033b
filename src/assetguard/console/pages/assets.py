"""Assets page: search and filter the inventory; one asset's configuration, relationships,
packages and history, with a side-by-side diff of any version against the one before it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from assetguard.console.page import ConsoleViewerDep, NavItem, Pager, PlatformDep, render
from assetguard.inventory.service import InventoryService

router = APIRouter()
NAV = NavItem("Assets", "/assets")

PAGE_SIZE = 50
PACKAGE_LIMIT = 2000


def when(value: Any) -> datetime | None:
    """ISO text from a configuration item → datetime, for the ``time`` filter."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _short(value: Any, limit: int = 400) -> str:
    text = json.dumps(value, indent=2, sort_keys=True, default=str) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[:limit] + " …"


@router.get("/assets", response_class=HTMLResponse)
def assets_page(request: Request, principal: ConsoleViewerDep, platform: PlatformDep,
                type: str | None = None, search: str | None = None, region: str | None = None,
                tag: str | None = None, deleted: bool = False, offset: int = Query(0, ge=0)) -> HTMLResponse:
    inv = InventoryService(platform)
    items = inv.list_assets(type or None, include_deleted=deleted, search=search or None, region=region or None,
                            tag=tag or None, limit=PAGE_SIZE + 1, offset=offset)
    rows, pager = Pager.of(items, offset=offset, limit=PAGE_SIZE)
    return render(request, "assets/index.html", {
        "rows": rows, "pager": pager, "counts": inv.count(), "when": when,
        "f": {"type": type or "", "search": search or "", "region": region or "", "tag": tag or "", "deleted": deleted},
    })


@router.get("/assets/view", response_class=HTMLResponse)
def asset_page(request: Request, principal: ConsoleViewerDep, platform: PlatformDep, arn: str,
               state: str | None = None, pkg: str | None = None) -> HTMLResponse:
    inv = InventoryService(platform)
    item = inv.get(arn)
    history = inv.history(arn)
    chosen = next((h for h in history if h["configurationStateId"] == state), history[0] if history else None)
    previous = None
    if chosen is not None:
        older = [h for h in history if int(h["configurationStateId"]) < int(chosen["configurationStateId"])]
        previous = older[0] if older else None
    changes = []
    if chosen is not None and chosen.get("diff"):
        for path, change in sorted(chosen["diff"]["changedProperties"].items()):
            changes.append({"path": path, "kind": change["changeType"], "before": _short(change["previousValue"]),
                            "after": _short(change["updatedValue"])})
    packages = (item.get("configuration") or {}).get("packages") or []
    if pkg:
        needle = pkg.lower()
        packages = [p for p in packages if needle in p["name"].lower() or needle in (p.get("purl") or "").lower()]
    related = []
    for rel in item.get("relationships") or []:
        found = inv.list_assets(rel["resourceType"], resource_id=rel.get("resourceId"), limit=1) \
            if rel.get("resourceId") else []
        related.append({**rel, "arn": found[0]["arn"] if found else None})
    return render(request, "assets/view.html", {
        "item": item, "history": history, "when": when, "chosen": chosen, "previous": previous, "changes": changes,
        "packages": packages[:PACKAGE_LIMIT], "package_total": len(packages), "pkg": pkg or "", "related": related,
        "configuration": {k: v for k, v in (item.get("configuration") or {}).items() if k != "packages"},
    })
