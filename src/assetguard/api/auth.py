"""Request authentication: bearer tokens, console session cookies, CSRF and failure throttling.

Route dependencies::

    @router.post("/rules")
    def put_rule(principal: OperatorDep, platform: PlatformDep) -> ...

Viewer routes accept any valid token; ``OperatorDep`` and ``AdminDep`` answer 401 without
credentials and 403 with too weak a role.

Sessions and CSRF tokens are signed with the deployment's session key (:mod:`assetguard.auth.keys`,
in the database), so a session made by one API process is good on every other. The cookie names
the key version that signed it (``<token id>.<expiry>.<version>.<signature>``; a cookie of three
parts is version 1): after ``assetguard keys rotate session`` new sessions are signed with the new
version, and sessions signed before keep working until they expire, on every process.

Credentials are a bearer token (``Authorization: Bearer ag_...``) or the console session cookie
set by ``POST /login``. Because a browser sends the cookie on its own, every state-changing
request authenticated by the cookie must also prove it came from our own pages: it carries the
CSRF token either in the ``X-CSRF-Token`` header (scripts, the JSON API) or in the form field
``csrf_token`` (console forms). Bearer-token requests need no CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from assetguard.auth.keys import SESSION_KEY
from assetguard.auth.principal import Principal, Role
from assetguard.auth.throttle import AuthThrottle
from assetguard.runtime.platform import Platform

SESSION_COOKIE = "ag_session"
SESSION_TTL = 12 * 3600
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_platform(request: Request) -> Platform:
    return request.app.state.platform  # type: ignore[no-any-return]


PlatformDep = Annotated[Platform, Depends(get_platform)]


def client_ip(request: Request) -> str:
    """The client's address (behind trusted proxies, :class:`~assetguard.api.forwarded.TrustedProxyMiddleware`
    has already put the forwarded one here)."""
    return request.client.host if request.client else "unknown"


def get_throttle(request: Request) -> AuthThrottle:
    return request.app.state.auth_throttle  # type: ignore[no-any-return]


def _sign(secret: bytes, payload: str) -> str:
    return hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()


def _parse(cookie: str) -> tuple[str, str, int, str] | None:
    """``(token_id, expiry, key version, signature)``, or None for anything else."""
    parts = cookie.split(".")
    if len(parts) == 3:
        return parts[0], parts[1], 1, parts[2]
    if len(parts) == 4 and parts[2].isdigit() and 0 < len(parts[2]) <= 9:
        return parts[0], parts[1], int(parts[2]), parts[3]
    return None


def _signed_part(token_id: str, expiry: str, version: int) -> str:
    return f"{token_id}.{expiry}" if version == 1 else f"{token_id}.{expiry}.{version}"


def _key_of(platform: Platform, session: str) -> bytes | None:
    """The session key version that signed ``session`` (None: unknown, or past its grace period)."""
    parsed = _parse(session)
    if parsed is None:
        return None
    found = platform.keys.version(SESSION_KEY, parsed[2])
    return found.key if found is not None else None


def make_session(platform: Platform, token_id: str) -> str:
    key = platform.keys.current(SESSION_KEY)
    payload = _signed_part(token_id, str(int(time.time()) + SESSION_TTL), key.version)
    return f"{payload}.{_sign(key.key, 'session:' + payload)}"


def csrf_token(platform: Platform, session: str) -> str:
    """The CSRF token of ``session``, keyed with the session key version that signed the session."""
    key = _key_of(platform, session) or platform.keys.key(SESSION_KEY)
    return _sign(key, "csrf:" + session)


def csrf_matches(platform: Platform, session: str, sent: str | None) -> bool:
    if not sent:
        return False
    return hmac.compare_digest(str(sent).encode(), csrf_token(platform, session).encode())


def session_principal(platform: Platform, cookie: str) -> Principal | None:
    parsed = _parse(cookie)
    if parsed is None:
        return None
    token_id, expiry, version, sig = parsed
    key = _key_of(platform, cookie)
    if key is None or not hmac.compare_digest(sig, _sign(key, f"session:{_signed_part(token_id, expiry, version)}")):
        return None
    if not expiry.isdigit() or int(expiry) < time.time():
        return None
    try:
        info = platform.tokens.get(token_id)
    except Exception:  # noqa: BLE001 - an unknown token id is simply not a session
        return None
    if info.revoked_at is not None:
        return None
    return Principal(info.name, info.role, kind="token", token_id=info.id)  # type: ignore[arg-type]


def authenticate(request: Request) -> Principal | None:
    """Resolve the caller; a bad bearer token is 401, or 429 once its address or token id is throttled.

    The token is checked before the throttle: a valid token always gets in (see
    :mod:`assetguard.auth.throttle` for why), and only failures are counted and slowed down.
    """
    platform = get_platform(request)
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        presented = value.strip() if scheme.lower() == "bearer" else None
        principal = platform.tokens.authenticate(presented) if presented else None
        if principal is None:
            wait = get_throttle(request).failed(client_ip(request), presented, via="bearer")
            if wait:
                raise HTTPException(429, "too many failed authentications; slow down",
                                    headers={"Retry-After": str(int(wait) + 1)})
            raise HTTPException(401, "invalid or revoked token", headers={"WWW-Authenticate": "Bearer"})
        return principal
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        principal = session_principal(platform, cookie)
        if principal is None:
            return None
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER) or getattr(request.state, "csrf_form", None)
            if not csrf_matches(platform, cookie, sent):
                raise HTTPException(403, "missing or invalid CSRF token")
        return principal
    return None


async def read_form_csrf(request: Request) -> None:
    """Make a form-posted ``csrf_token`` field visible to :func:`authenticate`.

    Async so the body is read on the event loop; Starlette caches the parsed form, so the
    route's own ``Form(...)`` parameters still see it.
    """
    if request.method in SAFE_METHODS or SESSION_COOKIE not in request.cookies:
        return
    if request.headers.get(CSRF_HEADER) or request.headers.get("authorization"):
        return
    if request.headers.get("content-type", "").split(";")[0].strip().lower() in FORM_TYPES:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        request.state.csrf_form = value if isinstance(value, str) else None


CsrfFormDep = Annotated[None, Depends(read_form_csrf)]


def require_role(role: Role):  # type: ignore[no-untyped-def]
    def dependency(request: Request, _csrf: CsrfFormDep) -> Principal:
        principal = authenticate(request)
        if principal is None:
            raise HTTPException(401, "authentication required", headers={"WWW-Authenticate": "Bearer"})
        if not principal.allows(role):
            raise HTTPException(403, f"this action needs the {role} role; you have {principal.role}")
        request.state.principal = principal
        return principal

    return dependency


ViewerDep = Annotated[Principal, Depends(require_role("viewer"))]
OperatorDep = Annotated[Principal, Depends(require_role("operator"))]
AdminDep = Annotated[Principal, Depends(require_role("admin"))]
