"""The web console: navigation shell, login/logout and the page modules, mounted on the API app.

URL layout (API routes keep their own paths, so nothing clashes):

- ``/``                 redirects to ``/console/`` (the home page);
- ``/login``, ``/logout`` the session cookie (paste an API token to log in);
- ``/console/<page>``   every page module of :mod:`assetguard.console.pages`;
- ``/console/static/``  the vendored stylesheet (no CDN: the console works offline).

``mount_console(app, platform)`` is called by :func:`assetguard.api.app.create_app`.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

import assetguard
from assetguard.api.auth import (
    SESSION_COOKIE,
    SESSION_TTL,
    PlatformDep,
    client_ip,
    csrf_matches,
    get_throttle,
    make_session,
    session_principal,
)
from assetguard.console import pages as pages_package
from assetguard.console.nav import CONSOLE_PREFIX, NavItem, discover_pages, navigation
from assetguard.console.page import ConsoleViewerDep, LoginRequired, format_time, render
from assetguard.runtime.platform import Platform

HERE = Path(__file__).parent
LOGIN_COOKIE = "ag_login"  # double-submit CSRF token for the login form (no session exists yet)
CONSOLE_PATHS = (CONSOLE_PREFIX, "/login", "/logout")


@dataclass
class ConsoleShell:
    templates: Environment
    nav: list[NavItem]
    version: str


def template_environment() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"),
                      autoescape=select_autoescape(["html", "svg", "xml"]), trim_blocks=True, lstrip_blocks=True)
    env.filters["time"] = format_time
    env.filters["pretty_json"] = lambda v: "" if v is None else json.dumps(v, indent=2, sort_keys=True, default=str)
    return env


def safe_next(value: str | None) -> str:
    """Only same-site paths are valid redirect targets after login (no open redirect)."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return CONSOLE_PREFIX + "/"


def mount_console(app: FastAPI, platform: Platform) -> None:
    pages = discover_pages(pages_package)
    app.state.console = ConsoleShell(template_environment(), navigation(pages), assetguard.__version__)
    app.mount(CONSOLE_PREFIX + "/static", StaticFiles(directory=HERE / "static"), name="console-static")

    @app.exception_handler(LoginRequired)
    async def _login_required(_request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.next_url, safe='')}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # Console pages answer errors with a page; API routes keep FastAPI's JSON body.
        if request.url.path.startswith(CONSOLE_PATHS) and exc.status_code in (401, 403, 404, 429):
            response = render(request, "error.html", {"status": exc.status_code, "detail": exc.detail},
                              status_code=exc.status_code)
            for name, value in (exc.headers or {}).items():
                response.headers[name] = value
            return response
        return await http_exception_handler(request, exc)

    @app.get("/", include_in_schema=False)
    def _root() -> RedirectResponse:
        return RedirectResponse(CONSOLE_PREFIX + "/", status_code=303)

    @app.get(CONSOLE_PREFIX, include_in_schema=False)
    @app.get(CONSOLE_PREFIX + "/", include_in_schema=False)
    def _home(request: Request, principal: ConsoleViewerDep, platform: PlatformDep) -> HTMLResponse:
        from assetguard.console.home import home_figures

        return render(request, "home.html", {"dialect": platform.db.dialect, "figures": home_figures(platform)})

    @app.get("/login", include_in_schema=False)
    def _login_form(request: Request, platform: PlatformDep, next: str | None = None) -> Response:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie and session_principal(platform, cookie) is not None:
            return RedirectResponse(safe_next(next), status_code=303)
        return _login_page(request, safe_next(next), None, 200)

    @app.post("/login", include_in_schema=False)
    def _login(request: Request, platform: PlatformDep, token: Annotated[str, Form()] = "",
               csrf_token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "") -> Response:
        target = safe_next(next)
        expected = request.cookies.get(LOGIN_COOKIE, "")
        if not expected or not secrets.compare_digest(expected.encode(), csrf_token.encode()):
            return _login_page(request, target, "The login form expired; please try again.", 403)
        # The token is checked first: a valid one always logs in; failures are counted per address
        # and per token id, and answer 429 past the limit (assetguard.auth.throttle).
        presented = token.strip()
        principal = platform.tokens.authenticate(presented)
        if principal is None or principal.token_id is None:
            wait = get_throttle(request).failed(client_ip(request), presented, via="login")
            if wait:
                response = _login_page(request, target, "Too many failed attempts; wait a minute and try again.",
                                       429)
                response.headers["Retry-After"] = str(int(wait) + 1)
                return response
            return _login_page(request, target, "That token is not valid (or was revoked).", 401)
        platform.tokens.touch(principal.token_id)
        redirect = RedirectResponse(target, status_code=303)
        redirect.set_cookie(SESSION_COOKIE, make_session(platform, principal.token_id), max_age=SESSION_TTL,
                            path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https")
        redirect.delete_cookie(LOGIN_COOKIE, path="/login")
        return redirect

    @app.post("/logout", include_in_schema=False)
    def _logout(request: Request, platform: PlatformDep, csrf_token: Annotated[str, Form()] = "") -> Response:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie and session_principal(platform, cookie) is not None and not csrf_matches(platform, cookie,
                                                                                           csrf_token):
            raise HTTPException(403, "missing or invalid CSRF token")
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    for page in pages:
        app.include_router(page.router, prefix=CONSOLE_PREFIX, include_in_schema=False)


def _login_page(request: Request, next_url: str, error: str | None, status: int) -> HTMLResponse:
    login_csrf = secrets.token_urlsafe(24)
    response = render(request, "login.html", {"next": next_url, "error": error, "login_csrf": login_csrf},
                      status_code=status)
    response.set_cookie(LOGIN_COOKIE, login_csrf, max_age=3600, path="/login", httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")
    return response
