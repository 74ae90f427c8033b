"""WAF page: every proxy with the ACL version it runs and its health (heartbeats), the ACL with
per-rule capacity, request counters by rule and action, and a live tail of recent blocks (in-process
proxies plus sampled ``WAF Request Blocked`` events). ACLs are chosen by name (``?acl=``), checked
against the WAF name pattern and looked up in the WAF store and the built-in set only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from prometheus_client import REGISTRY

from assetguard.console.page import (
    ConsoleOperatorDep,
    ConsoleViewerDep,
    NavItem,
    PlatformDep,
    console_url,
    render,
)
from assetguard.core.errors import AssetGuardError
from assetguard.core.redact import mask_text
from assetguard.waf.acl_source import AclFingerprint, changed, compile_named_acl
from assetguard.waf.gate import active_gates
from assetguard.waf.ratelimit import MemoryRateCounter
from assetguard.waf.store import WafStore, check_name
from assetguard.waf.wcu import BASE_PRICE_WCU, MAX_WCU, capacity_report

router = APIRouter()
NAV = NavItem("WAF", "/waf")
TAIL = 50


def _counters() -> list[dict[str, Any]]:
    rows = []
    for metric in REGISTRY.collect():
        if metric.name == "assetguard_waf_requests":
            for sample in metric.samples:
                if sample.name.endswith("_total") and sample.value:
                    rows.append({**sample.labels, "count": int(sample.value)})
    return sorted(rows, key=lambda r: -r["count"])


def _blocks(platform: Any) -> list[dict[str, Any]]:
    records = [r for gate in active_gates() for r in gate.recent_blocks.newest(TAIL)]
    seen = {r["httpRequest"]["requestId"] for r in records}
    for event in platform.bus.recent(detail_type="WAF Request Blocked", limit=TAIL):
        detail = event.get("detail") or {}
        if detail.get("httpRequest", {}).get("requestId") not in seen:
            records.append(detail)
    return sorted(records, key=lambda r: r.get("timestamp", 0), reverse=True)[:TAIL]


def _compiled(platform: Any, store: WafStore, name: str) -> tuple[Any, AclFingerprint]:
    """Compile an ACL for display once per version (compiling takes seconds)."""
    check_name(name, where="acl")
    cache: dict[str, tuple[Any, AclFingerprint]] = platform.singleton("console.waf.compiled", dict)
    hit = cache.get(name)
    if hit is None or changed(store, hit[1]):
        if len(cache) >= 8:
            cache.pop(next(iter(cache)), None)
        hit = cache[name] = compile_named_acl(platform.settings.waf, store, name, rate_counter=MemoryRateCounter())
    return hit


@router.get("/waf", response_class=HTMLResponse)
def waf_page(request: Request, principal: ConsoleViewerDep, platform: PlatformDep,
             acl: str | None = None) -> HTMLResponse:
    settings = platform.settings
    gates = active_gates()
    store = WafStore(platform.db)
    name = acl or settings.waf.acl
    error = None
    report = None
    version = None
    try:
        compiled, fingerprint = _compiled(platform, store, name)
        report, version = capacity_report(compiled), fingerprint.version
    except AssetGuardError as exc:
        error = str(exc)
    proxies = store.proxies(alive_seconds=3 * settings.waf.heartbeat_seconds + 1)
    latest = {row["name"]: row["version"] for row in store.names("acl")}
    for row in proxies:
        row["current_version"] = latest.get(row["acl"], 0)
    reload_generation = store.state().reload_generation
    for row in proxies:
        row["reloaded"] = row["reload_generation"] >= reload_generation
    return render(request, "waf/index.html", {
        "reload_generation": reload_generation, "name": name, "acl_version": version, "report": report, "error": error, "gates": [g.status() for g in gates],
        "proxies": proxies, "stored": store.names("acl"),
        "counters": _counters(), "blocks": _blocks(platform), "base_price": BASE_PRICE_WCU, "max_wcu": MAX_WCU,
        "listen": settings.waf.listen, "upstream": mask_text(settings.waf.upstream)})


@router.post("/waf/reload")
def reload_proxies(request: Request, principal: ConsoleOperatorDep, platform: PlatformDep) -> RedirectResponse:
    """Ask every proxy to compile its ACL again (as ``POST /waf/reload``); the page then shows which
    proxies confirmed."""
    def audit(conn: Any, generation: int) -> None:
        platform.audit.record(conn, principal, "waf.reload", "waf:proxies", before=None,
                              after={"acl": None, "reload_generation": generation, "from": "console"})

    WafStore(platform.db).request_reload(audit)
    return RedirectResponse(console_url("/waf"), status_code=303)
