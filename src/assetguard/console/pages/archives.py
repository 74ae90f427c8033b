"""Archives page: event archives (pattern, retention, events kept, size), replays with their state
and progress, and a form that starts a replay (operator role), as ``assetguard events replay`` does::

    POST /console/archives/replays  archive=security start=2026-11-29T10:00 end=2026-11-29T12:00
                                    rule=security-alerts rule=...   (no rule: every enabled rule)

Times without a zone are UTC (``datetime-local`` inputs send none).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from assetguard.console.page import (
    ConsoleOperatorDep,
    ConsoleViewerDep,
    NavItem,
    PlatformDep,
    console_url,
    render,
)
from assetguard.core.clock import utcnow
from assetguard.core.errors import AssetGuardError, ConflictError, NotFoundError
from assetguard.runtime.platform import Platform

router = APIRouter()
NAV = NavItem("Archives", "/archives", order=92)  # with the event pages: after Rules (90), before Outbox (95)

FORM_TIME = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> shows and sends


def format_size(size: int) -> str:
    """``format_size(1536)`` → ``1.5 KiB``."""
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    for unit in ("KiB", "MiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def _page(request: Request, platform: Platform, *, form: dict[str, Any] | None = None, error: str = "",
          status_code: int = 200) -> HTMLResponse:
    from assetguard.events.archive import Archives
    from assetguard.events.rule_store import RuleStore

    archives = Archives(platform)
    rows = archives.list_archives()
    for row in rows:
        row["size"] = format_size(int(row["size_bytes"]))
    replays = archives.list_replays()
    for replay in replays:
        total = replay["events_total"]
        replay["percent"] = 100 if not total else min(100, round(100 * replay["events_replayed"] / total))
    now = utcnow().replace(second=0, microsecond=0)
    defaults: dict[str, Any] = {"name": "", "archive": rows[0]["name"] if rows else "", "rules": [],
                "start": (now - timedelta(days=1)).strftime(FORM_TIME),
                "end": (now + timedelta(minutes=1)).strftime(FORM_TIME)}
    enabled = [r.rule.name for r in RuleStore(platform).list_rules() if r.rule.state == "ENABLED"]
    principal = request.state.principal
    return render(request, "archives/index.html", {
        "archives": rows, "replays": replays, "rules": enabled, "form": {**defaults, **(form or {})},
        "error": error, "done": request.query_params.get("replay", ""), "can_replay": principal.allows("operator"),
    }, status_code=status_code)


@router.get("/archives", response_class=HTMLResponse)
def archives_page(request: Request, principal: ConsoleViewerDep, platform: PlatformDep) -> HTMLResponse:
    return _page(request, platform)


@router.post("/archives/replays", response_model=None)
def start_replay(request: Request, principal: ConsoleOperatorDep, platform: PlatformDep,
                 archive: Annotated[str, Form()] = "", start: Annotated[str, Form()] = "",
                 end: Annotated[str, Form()] = "", name: Annotated[str, Form()] = "",
                 rule: Annotated[list[str] | None, Form()] = None) -> HTMLResponse | RedirectResponse:
    """Run the replay (as the API does, in this request), then show the page with its record."""
    from assetguard.events.archive import Archives, ReplaySpec, parse_spec

    form = {"name": name.strip(), "archive": archive, "start": start, "end": end, "rules": rule or []}
    replay_name = form["name"] or f"replay-{archive}-{utcnow():%Y%m%dT%H%M%S}"[:48]
    try:
        spec = parse_spec(ReplaySpec, {**form, "name": replay_name})
        Archives(platform).replay(spec, actor=principal)
    except AssetGuardError as exc:
        status = 404 if isinstance(exc, NotFoundError) else 409 if isinstance(exc, ConflictError) else 400
        return _page(request, platform, form=form, error=str(exc), status_code=status)
    return RedirectResponse(console_url("/archives?" + urlencode({"replay": replay_name})), status_code=303)
