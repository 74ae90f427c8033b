"""Vulnerabilities pages: the advisory database, scanned assets, and per-asset package reports.

``/console/vulns`` lists the scanned assets (open findings first), database statistics and an
advisory search; ``/console/vulns/asset?arn=...`` lists the asset's packages with the advisories
affecting each and the version that fixes it. Findings themselves are on the Findings page.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from assetguard.console.page import ConsoleViewerDep, NavItem, Pager, PlatformDep, render
from assetguard.core.errors import NotFoundError
from assetguard.vulns.database import AdvisoryDatabase
from assetguard.vulns.scanner import asset_report, scanned_assets

router = APIRouter()
NAV = NavItem("Vulnerabilities", "/vulns", order=75)  # between Findings (70) and WAF (80)
PAGE = 50


@router.get("/vulns")
def vulns_page(request: Request, principal: ConsoleViewerDep, platform: PlatformDep,
               ecosystem: str = "", package: str = "", offset: int = Query(0, ge=0)) -> HTMLResponse:
    database = AdvisoryDatabase(platform)
    rows, pager = Pager.of(scanned_assets(platform, limit=PAGE + 1, offset=offset), offset=offset, limit=PAGE)
    advisories = (database.list(ecosystem=ecosystem or None, package=package or None, limit=100)
                  if ecosystem or package else [])
    return render(request, "vulns/index.html", {
        "stats": database.stats(), "assets": rows, "pager": pager, "advisories": advisories,
        "f": {"ecosystem": ecosystem, "package": package}})


@router.get("/vulns/asset")
def asset_page(request: Request, principal: ConsoleViewerDep, platform: PlatformDep, arn: str,
               only_vulnerable: bool = False) -> HTMLResponse:
    try:
        report = asset_report(platform, arn)
    except NotFoundError as exc:
        return render(request, "error.html", {"status": 404, "detail": str(exc)}, status_code=404)
    packages = [p for p in report["packages"] if p["advisories"]] if only_vulnerable else report["packages"]
    return render(request, "vulns/asset.html", {"report": report, "packages": packages,
                                                "only_vulnerable": only_vulnerable})
