"""What a console page module uses: auth dependencies, ``render`` and paging.

See :mod:`assetguard.console.pages` for the full recipe. In short::

    from assetguard.console.page import ConsoleViewerDep, NavItem, PlatformDep, render

    router = APIRouter()
    NAV = NavItem("Audit", "/audit")

    @router.get("/audit")
    def audit_page(request: Request, principal: ConsoleViewerDep, platform: PlatformDep) -> HTMLResponse:
        return render(request, "audit/index.html", {"rows": platform.audit.query(limit=50)})

``ConsoleViewerDep`` redirects a visitor without a session to ``/login?next=<page>`` (for GET);
``ConsoleOperatorDep`` / ``ConsoleAdminDep`` guard form posts: 401 without a session, 403 for a
weaker role, 403 for a missing or wrong CSRF field. Every form must include ``{{ csrf_input }}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape

from assetguard.api.auth import (
    CSRF_FIELD,
    SAFE_METHODS,
    SESSION_COOKIE,
    CsrfFormDep,
    PlatformDep,
    authenticate,
    csrf_token,
    get_platform,
)
from assetguard.auth.principal import Principal, Role
from assetguard.console.nav import CONSOLE_PREFIX, NavItem

__all__ = ["CONSOLE_PREFIX", "ConsoleAdminDep", "ConsoleOperatorDep", "ConsoleViewerDep", "LoginRequired",
           "NavItem", "Pager", "PlatformDep", "console_url", "render"]


# Console pages may not be framed and run only our own scripts.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                               "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class LoginRequired(Exception):
    """Raised for a page view without a session; answered with a redirect to the login page."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def console_url(path: str) -> str:
    """``console_url("/audit")`` → ``/console/audit``."""
    return CONSOLE_PREFIX + path


def _principal_for(request: Request, role: Role) -> Principal:
    safe = request.method in SAFE_METHODS
    try:
        principal = authenticate(request)
    except HTTPException as exc:
        if exc.status_code == 401 and safe:
            raise LoginRequired(_here(request)) from None
        raise
    if principal is None:
        if safe:
            raise LoginRequired(_here(request))
        raise HTTPException(401, "log in first: this console action needs a session")
    if not principal.allows(role):
        raise HTTPException(403, f"this action needs the {role} role; you have {principal.role}")
    request.state.principal = principal
    return principal


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def console_viewer(request: Request, _csrf: CsrfFormDep) -> Principal:
    return _principal_for(request, "viewer")


def console_operator(request: Request, _csrf: CsrfFormDep) -> Principal:
    return _principal_for(request, "operator")


def console_admin(request: Request, _csrf: CsrfFormDep) -> Principal:
    return _principal_for(request, "admin")


ConsoleViewerDep = Annotated[Principal, Depends(console_viewer)]
ConsoleOperatorDep = Annotated[Principal, Depends(console_operator)]
ConsoleAdminDep = Annotated[Principal, Depends(console_admin)]


def query_url(request: Request, **changes: Any) -> str:
    """The current URL with some query parameters replaced (``None`` removes one)."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    return request.url.path + ("?" + urlencode(params) if params else "")


@dataclass(frozen=True)
class Pager:
    """Offset paging for list pages: fetch ``limit + 1`` rows, then ``Pager.of(rows, ...)``.

    >>> rows = service.list(limit=pager_limit + 1, offset=offset)
    >>> rows, pager = Pager.of(rows, offset=offset, limit=pager_limit)
    """

    offset: int
    limit: int
    has_next: bool
    shown: int

    @classmethod
    def of(cls, rows: list[Any], *, offset: int, limit: int) -> tuple[list[Any], Pager]:
        return rows[:limit], cls(offset, limit, len(rows) > limit, min(len(rows), limit))

    @property
    def has_prev(self) -> bool:
        return self.offset > 0

    @property
    def next_offset(self) -> int:
        return self.offset + self.limit

    @property
    def prev_offset(self) -> int:
        return max(0, self.offset - self.limit)


def format_time(value: datetime | date | str | int | float | None) -> str:
    """UTC, to the second: ``2026-11-29 11:48:30Z``. A number is epoch milliseconds, as in AWS WAF
    log records."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        value = datetime.fromtimestamp(value / 1000, UTC)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.strftime("%Y-%m-%d %H:%M:%SZ")
    return value.isoformat()


def render(request: Request, template: str, context: dict[str, Any] | None = None, *,
           status_code: int = 200) -> HTMLResponse:
    """Render ``template`` (path under ``console/templates``) inside the navigation shell.

    The template sees ``context`` plus ``request``, ``principal``, ``nav`` (list of NavItem),
    ``csrf_input`` (the hidden form field; put it in every ``<form method="post">``),
    ``csrf_token``, ``query_url(**changes)``, ``console_url(path)`` and the ``time`` filter.
    """
    shell = request.app.state.console
    platform = get_platform(request)
    session = request.cookies.get(SESSION_COOKIE)
    token = csrf_token(platform, session) if session else ""
    base: dict[str, Any] = {
        "request": request,
        "principal": getattr(request.state, "principal", None),
        "nav": shell.nav,
        "csrf_token": token,
        "csrf_input": Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(token)}">'),
        "query_url": lambda **changes: query_url(request, **changes),
        "console_url": console_url,
        "version": shell.version,
    }
    html = shell.templates.get_template(template).render(**base, **(context or {}))
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
