"""WAF page: the running ACL with per-rule capacity, request counters by rule and action, and a
live tail of recent blocks (in-process proxies plus sampled ``WAF Request Blocked`` events)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from prometheus_client import REGISTRY

from assetguard.console.page import ConsoleViewerDep, NavItem, PlatformDep, render
from assetguard.core.errors import AssetGuardError
from assetguard.waf.documents import stored_acl_dir
from assetguard.waf.engine import load_compiled_acl_from_settings
from assetguard.waf.gate import active_gates
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


def _compiled(platform: Any, name: str) -> Any:
    """Compile an ACL for display once per version of its file (compiling takes seconds)."""
    from assetguard.waf.documents import resolve_acl_path

    settings = platform.settings
    dirs = [stored_acl_dir(settings.data_dir)]
    path = resolve_acl_path(name, dirs)
    key = f"console.waf.acl:{path}:{path.stat().st_mtime_ns}"
    return platform.singleton(key, lambda: load_compiled_acl_from_settings(settings.waf, name, acl_dirs=dirs))


@router.get("/waf", response_class=HTMLResponse)
def waf_page(request: Request, principal: ConsoleViewerDep, platform: PlatformDep,
             acl: str | None = None) -> HTMLResponse:
    settings = platform.settings
    gates = active_gates()
    name = acl or (gates[0].acl.name if gates else settings.waf.acl)
    error = None
    report = None
    try:
        compiled = next((g.acl for g in gates if g.acl.name == name), None) or _compiled(platform, name)
        report = capacity_report(compiled)
    except AssetGuardError as exc:
        error = str(exc)
    return render(request, "waf/index.html", {
        "name": name, "report": report, "error": error, "gates": [g.status() for g in gates],
        "counters": _counters(), "blocks": _blocks(platform), "base_price": BASE_PRICE_WCU, "max_wcu": MAX_WCU,
        "listen": settings.waf.listen, "upstream": settings.waf.upstream})
