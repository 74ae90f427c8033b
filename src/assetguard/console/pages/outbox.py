"""Outbox page: the notifications the ``outbox`` target stored, exactly as e-mail and Slack would
have received them (subject, text and HTML bodies, Block Kit JSON)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from assetguard.console.page import ConsoleViewerDep, NavItem, Pager, PlatformDep, render

router = APIRouter()
NAV = NavItem("Outbox", "/outbox", order=95)
PAGE_SIZE = 50


@router.get("/outbox", response_class=HTMLResponse)
def outbox_page(request: Request, principal: ConsoleViewerDep, platform: PlatformDep,
                offset: int = Query(0, ge=0)) -> HTMLResponse:
    from sqlalchemy import select

    from assetguard.events.tables import event_notifications

    stmt = (select(event_notifications).order_by(event_notifications.c.id.desc())
            .limit(PAGE_SIZE + 1).offset(offset))
    with platform.db.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    rows, pager = Pager.of(rows, offset=offset, limit=PAGE_SIZE)
    return render(request, "outbox/index.html", {"rows": rows, "pager": pager})
