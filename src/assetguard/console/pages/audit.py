"""Audit page: list and filter the trail, page through it, show the chain's verify status and a
chart of changes per day by action (the example every later chart follows)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from assetguard.console.charts import Series, stacked_bar_chart
from assetguard.console.page import ConsoleViewerDep, NavItem, Pager, PlatformDep, render
from assetguard.core.clock import utcnow

router = APIRouter()
NAV = NavItem("Audit", "/audit")

PAGE_SIZE = 50
CHART_DAYS = 14  # without a time filter the chart shows the last two weeks
MAX_CHART_DAYS = 92
CHART_ACTIONS = 6  # the busiest actions get their own colour; the rest are "other"
# Verifying walks the whole chain (~40k rows/s on SQLite); beyond this size it runs on request only.
AUTO_VERIFY_ROWS = 50_000


def parse_when(value: str | None, *, end: bool = False) -> datetime | None:
    """``2026-11-29`` (a whole UTC day; as ``end`` it includes that day) or an ISO datetime."""
    if not value:
        return None
    value = value.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime.combine(day + timedelta(days=1) if end else day, time(), tzinfo=UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD) or ISO date-time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def activity_chart(counts: dict[tuple[date, str], int], first: date, last: date) -> Markup:
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    totals: dict[str, int] = {}
    for (_day, action), n in counts.items():
        totals[action] = totals.get(action, 0) + n
    top = sorted(totals, key=lambda a: (-totals[a], a))[:CHART_ACTIONS]
    names = top + (["other"] if len(totals) > len(top) else [])
    per: dict[str, list[float | None]] = {name: [0.0] * len(days) for name in names}
    index = {d: i for i, d in enumerate(days)}
    for (day, action), n in counts.items():
        if day in index:
            values = per[action if action in top else "other"]
            values[index[day]] = (values[index[day]] or 0.0) + n
    return stacked_bar_chart([d.isoformat()[5:] for d in days], [Series(n, per[n]) for n in names],
                             title="Changes per day by action", y_label="changes", legend=True, integer=True, height=240)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, principal: ConsoleViewerDep, platform: PlatformDep,
               actor: str | None = None, action: str | None = None, resource: str | None = None,
               since: str | None = None, until: str | None = None,
               offset: int = Query(0, ge=0), verify: bool = False) -> HTMLResponse:
    filters: dict[str, Any] = {"actor": actor or None, "action": action or None, "resource": resource or None}
    errors = []
    try:
        start = parse_when(since)
    except ValueError as exc:
        errors.append(f"since: {exc}")
        start = None
    try:
        stop = parse_when(until, end=True)
    except ValueError as exc:
        errors.append(f"until: {exc}")
        stop = None
    rows = platform.audit.query(**filters, since=start, until=stop, limit=PAGE_SIZE + 1, offset=offset)
    rows, pager = Pager.of(rows, offset=offset, limit=PAGE_SIZE)

    last_day = ((stop - timedelta(microseconds=1)) if stop else utcnow()).astimezone(UTC).date()
    first_day = start.astimezone(UTC).date() if start else last_day - timedelta(days=CHART_DAYS - 1)
    first_day = max(first_day, last_day - timedelta(days=MAX_CHART_DAYS - 1))
    chart_since = datetime.combine(first_day, time(), tzinfo=UTC)
    counts = platform.audit.activity_by_day(**filters, since=max(chart_since, start or chart_since),
                                            until=stop)
    newest = platform.audit.query(limit=1)
    size = int(newest[0]["seq"]) if newest else 0
    report = platform.audit.verify() if verify or size <= AUTO_VERIFY_ROWS else None
    return render(request, "audit/index.html", {
        "rows": rows, "pager": pager, "errors": errors, "report": report, "size": size,
        "chart": activity_chart(counts, first_day, last_day) if first_day <= last_day else None,
        "f": {"actor": actor or "", "action": action or "", "resource": resource or "",
              "since": since or "", "until": until or ""},
    })
