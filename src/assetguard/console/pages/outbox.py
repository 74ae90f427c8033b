"""Outbox page: the notifications the ``outbox`` target stored, exactly as e-mail and Slack would
have received them (subject, text and HTML bodies, Block Kit JSON)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from assetguard.console.page import ConsoleViewerDep, NavItem, Pager, PlatformDep, render

router = APIRouter()
NAV = NavItem("Outbox", "/outbox", order=95)
PAGE_SIZE = 10
# The text body ends with the console link (targets/templates/email/notification.txt.j2).
LINK = re.compile(r"Open in the console: (\S+)")


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
    for row in rows:  # the link as a path on this console, whatever public_url the sender used
        match = LINK.search(row["text"] or "")
        parts = urlsplit(match.group(1)) if match else None
        row["link"] = parts.path + (f"?{parts.query}" if parts.query else "") + (
            f"#{parts.fragment}" if parts.fragment else "") if parts else None
    return render(request, "outbox/index.html", {"rows": rows, "pager": pager})
