"""Findings page: filters, a severity × day chart, finding detail (resources, remediation, runbook)
and bulk workflow actions (operator, CSRF-protected form)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup

from assetguard.console.charts import Series, stacked_bar_chart
from assetguard.console.page import ConsoleOperatorDep, ConsoleViewerDep, NavItem, Pager, PlatformDep, render
from assetguard.core.clock import utcnow
from assetguard.core.errors import AssetGuardError, NotFoundError
from assetguard.findings.hub import FindingsHub
from assetguard.findings.model import SEVERITY_LABELS, WORKFLOW_STATUSES

router = APIRouter()
NAV = NavItem("Findings", "/findings")
FILTERS = ("severity", "status", "record_state", "generator", "search")
COLORS = {"CRITICAL": "#7b0000", "HIGH": "#d55e00", "MEDIUM": "#e69f00", "LOW": "#56b4e9", "INFORMATIONAL": "#999999"}
DAYS = 14
PAGE_SIZE = 50


def severity_chart(daily: dict[tuple[str, Any], int], days: int = DAYS) -> Markup:
    """Findings updated per day over the last ``days`` days, stacked by severity (counted in SQL)."""
    today = utcnow().date()
    dates = [today - timedelta(days=days - 1 - i) for i in range(days)]
    series = [Series(label, [float(daily.get((label, d), 0)) for d in dates], COLORS[label])
              for label in reversed(SEVERITY_LABELS)]
    return stacked_bar_chart([d.strftime("%m-%d") for d in dates], series, title="Findings by severity and day",
                             y_label="findings", legend=True, integer=True)


def _query(platform: Any, f: dict[str, str], limit: int | None = PAGE_SIZE + 1, offset: int = 0) -> list[dict[str, Any]]:
    return FindingsHub(platform).list(severity=f["severity"] or None, workflow_status=f["status"] or None,
                                      record_state=f["record_state"] or None, generator_id=f["generator"] or None,
                                      text=f["search"] or None, limit=limit, offset=offset)


def _summary(platform: Any, f: dict[str, str]) -> tuple[int, dict[tuple[str, Any], int]]:
    from assetguard.findings.stats import count_and_daily, filtered

    conds = filtered({"severity_label": f["severity"], "workflow_status": f["status"],
                      "record_state": f["record_state"], "generator_id": f["generator"]}, f["search"] or None)
    since = datetime.combine(utcnow().date() - timedelta(days=DAYS - 1), time(), tzinfo=UTC)
    return count_and_daily(platform, conds, since)


@router.get("/findings", response_class=HTMLResponse)
def findings_page(request: Request, principal: ConsoleViewerDep, platform: PlatformDep, severity: str = "",
                  status: str = "", record_state: str = "ACTIVE", generator: str = "", search: str = "",
                  updated: int | None = None, error: str = "", offset: int = Query(0, ge=0, le=10**9)) -> HTMLResponse:
    f = {"severity": severity, "status": status, "record_state": record_state, "generator": generator,
         "search": search}
    found, pager = Pager.of(_query(platform, f, offset=offset), offset=offset, limit=PAGE_SIZE)
    total, daily = _summary(platform, f)
    return render(request, "findings/index.html", {
        "findings": found, "pager": pager, "total": total, "f": f, "chart": severity_chart(daily),
        "severities": SEVERITY_LABELS, "statuses": WORKFLOW_STATUSES, "updated": updated, "error": error,
        "filter_query": urlencode({k: v for k, v in f.items() if v})})


@router.get("/findings/detail", response_class=HTMLResponse)
def finding_detail(request: Request, principal: ConsoleViewerDep, platform: PlatformDep, id: str,
                   product_arn: str = "") -> HTMLResponse:
    hub = FindingsHub(platform)
    try:
        finding = hub.get(product_arn, id) if product_arn else hub.find(id)
    except (NotFoundError, AssetGuardError) as exc:
        return render(request, "error.html", {"message": str(exc)}, status_code=404)
    runbook = (finding.get("ProductFields") or {}).get("assetguard/runbook")
    executions: list[dict[str, Any]] = []
    if runbook:
        from assetguard.compliance.remediation import RemediationService

        executions = [e for e in RemediationService(platform).list(resource_arn=finding["Resources"][0]["Id"])
                      if e["rule"] == finding["GeneratorId"]][:10]
    return render(request, "findings/detail.html", {"f": finding, "runbook": runbook, "statuses": WORKFLOW_STATUSES,
                                                    "executions": executions, "message": request.query_params.get(
                                                        "message", "")})


@router.post("/findings/workflow", response_model=None)
def bulk_workflow(request: Request, principal: ConsoleOperatorDep, platform: PlatformDep,
                  finding: Annotated[list[str] | None, Form()] = None, status: Annotated[str, Form()] = "",
                  note: Annotated[str, Form()] = "", filter_query: Annotated[str, Form()] = "") -> RedirectResponse:
    """Set the workflow status (and a note) of the selected findings; each value is ``ProductArn|Id``."""
    idents = []
    for value in finding or []:
        product, sep, fid = value.partition("|")
        if sep:
            idents.append({"ProductArn": product, "Id": fid})
    back = "/console/findings" + (f"?{filter_query}&" if filter_query else "?")
    if not idents:
        return RedirectResponse(back + urlencode({"error": "select at least one finding"}), status_code=303)
    try:
        result = FindingsHub(platform).update_findings(idents[:100], actor=principal, workflow_status=status or None,
                                                       note=note or None)
    except AssetGuardError as exc:
        return RedirectResponse(back + urlencode({"error": str(exc)}), status_code=303)
    return RedirectResponse(back + urlencode({"updated": len(result["ProcessedFindings"])}), status_code=303)


def _detail_url(finding_id: str, message: str) -> str:
    return "/console/findings/detail?" + urlencode({"id": finding_id, "message": message})


@router.post("/findings/remediate", response_model=None)
def remediate(request: Request, principal: ConsoleOperatorDep, platform: PlatformDep,
              finding_id: Annotated[str, Form()], rule: Annotated[str, Form()], resource: Annotated[str, Form()],
              action: Annotated[str, Form()] = "dry-run", execution_id: Annotated[str, Form()] = "") -> RedirectResponse:
    """Operator actions on a finding's runbook: dry run, run now, approve or reject a pending execution."""
    from assetguard.compliance.remediation import RemediationService

    svc = RemediationService(platform)
    try:
        if action in ("dry-run", "run"):
            ex = svc.request(rule, resource, actor=principal, trigger="manual", dry_run=action == "dry-run")
        elif action == "approve":
            ex = svc.approve(execution_id, actor=principal)
        elif action == "reject":
            ex = svc.reject(execution_id, actor=principal)
        else:
            return RedirectResponse(_detail_url(finding_id, f"unknown action {action}"), status_code=303)
    except AssetGuardError as exc:
        return RedirectResponse(_detail_url(finding_id, str(exc)), status_code=303)
    actions = "; ".join((ex.get("output") or {}).get("actions", [])) or ex.get("error") or ""
    return RedirectResponse(_detail_url(finding_id, f"{ex['status']}: {actions}"[:300]), status_code=303)
