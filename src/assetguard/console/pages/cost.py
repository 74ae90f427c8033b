"""Cost page: where the money went and where the budget is heading.

Shows, for one budget's current period: cumulative actual spend, the forecast to period end with
its 80 % interval (a cone from today's actual to the period-end interval), the budget limit and
each notification's threshold; then spend per day, top services and spend by tag with the
untagged share up front (untagged spend is what auto-tagging exists to shrink).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from assetguard.console.charts import Band, Series, bar_chart, line_chart, stacked_bar_chart
from assetguard.console.page import ConsoleViewerDep, NavItem, PlatformDep, render
from assetguard.core.clock import utcnow
from assetguard.core.errors import AssetGuardError
from assetguard.cost.budgets import BudgetStore
from assetguard.cost.report import CostReport, budget_status

router = APIRouter()
NAV = NavItem("Cost", "/cost")


def budget_chart(status: dict[str, Any], daily: list[dict[str, Any]], as_of: date) -> Markup:
    """Cumulative actual, forecast cone, limit and threshold lines over the budget period."""
    start = date.fromisoformat(status["period"]["start"])
    end = date.fromisoformat(status["period"]["end"])
    by_day = {d["day"]: d["cost"] for d in daily}
    days = [start + timedelta(days=i) for i in range((end - start).days)]
    last = max((date.fromisoformat(d) for d in by_day if start <= date.fromisoformat(d) <= as_of), default=None)
    actual: list[float | None] = []
    running = 0.0
    for d in days:
        running += by_day.get(d.isoformat(), 0.0)
        actual.append(round(running, 2) if last is not None and d <= last else None)
    series = [Series("actual (cumulative)", actual, "#1f5fbf")]
    band = None
    forecast = status.get("forecast")
    if forecast and last is not None and last < days[-1]:
        i0 = days.index(last)
        base = actual[i0] or 0.0
        span = len(days) - 1 - i0

        def cone(final: float) -> list[float | None]:
            return [None if i < i0 else round(base + (final - base) * (i - i0) / span, 2) for i in range(len(days))]

        series.append(Series("forecast", cone(forecast["mean"]), "#e69f00"))
        band = Band("80 % interval", cone(forecast["lower"]), cone(forecast["upper"]))
    limit = status.get("limit")
    if limit is not None:
        series.append(Series(f"budget {limit:,.0f}", [limit] * len(days), "#6b6b6b"))
        for n in status["notifications"]:
            amount = limit * n["threshold"] / 100 if n["thresholdType"] == "PERCENTAGE" else n["threshold"]
            if abs(amount - limit) > 1e-9:
                label = f"{n['type'].lower()} {n['threshold']:g}{'%' if n['thresholdType'] == 'PERCENTAGE' else ''}"
                series.append(Series(label, [round(amount, 2)] * len(days), "#d55e00"))
    return line_chart(days, series, band=band, title=f"Budget {status['budget']}: spend vs limit", y_label="USD")


@router.get("/cost", response_class=HTMLResponse)
def cost_page(request: Request, principal: ConsoleViewerDep, platform: PlatformDep, budget: str = "",
              as_of: str = "") -> HTMLResponse:
    errors: list[str] = []
    try:
        day = date.fromisoformat(as_of) if as_of else utcnow().date()
    except ValueError:
        errors.append(f"as_of must be a date YYYY-MM-DD, not {as_of!r}")
        day = utcnow().date()
    budgets = [d.name for d in BudgetStore(platform).list()]
    name = budget or ("monthly-total" if "monthly-total" in budgets else (budgets[0] if budgets else ""))
    status = None
    if name:
        try:
            status = budget_status(platform, name, day)
        except AssetGuardError as exc:
            errors.append(str(exc))
    report_start = date.fromisoformat(status["period"]["start"]) if status else day - timedelta(days=30)
    report_end = date.fromisoformat(status["period"]["end"]) if status else day + timedelta(days=1)
    report = CostReport(platform).overview(min(report_start, day - timedelta(days=30)), min(report_end,
                                                                                          day + timedelta(days=1)))
    period_daily = [d for d in report["daily"] if report_start.isoformat() <= d["day"] < report_end.isoformat()]
    charts: dict[str, Markup] = {}
    if status:
        charts["budget"] = budget_chart(status, period_daily, day)
    charts["daily"] = bar_chart([d["day"] for d in report["daily"]], [d["cost"] for d in report["daily"]],
                                name="spend", title="Spend per day", y_label="USD")
    charts["services"] = bar_chart([s["service"] for s in report["services"]],
                                   [s["cost"] for s in report["services"]], name="spend",
                                   title="Top services", y_label="USD")
    tags = report["tags"][:8]
    if tags:
        charts["tags"] = stacked_bar_chart(
            [t["key"] for t in tags],
            [Series("tagged", [max(t["cost"], 0.0) for t in tags], "#009e73"),
             Series("untagged", [max(t["untagged"], 0.0) for t in tags], "#d55e00")],
            title="Spend by tag key: tagged vs untagged", y_label="USD", legend=True)
    return render(request, "cost/index.html", {
        "budgets": budgets, "budget": name, "status": status, "report": report, "charts": charts,
        "as_of": day.isoformat(), "errors": errors, "tags": tags})
