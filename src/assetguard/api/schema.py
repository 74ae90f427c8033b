"""What the API's OpenAPI schema promises beyond each route's success answer.

:func:`document_errors` adds to every route the error statuses it can answer with, so the schema
lists each status a client may see (a schema fuzzer checks exactly that):

- 401, 403 and 429 where a token is required (missing or bad token, too weak a role, throttled);
- 400 and 404 where the route takes input (a domain :class:`~assetguard.core.errors.ValidationError`;
  a name that names nothing), 409 where the route changes state;
- 422 (FastAPI's own request validation) where it takes input.

A route that calls a provider declares :data:`PROVIDER_ERROR` with ``responses=``: 409 when the
platform has no credentials or region for it (the operator's to set up), 502 when the provider was
reached and failed. Shared parameter bounds live here too.
"""

from __future__ import annotations

import inspect
import re
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.routing import APIRoute
from pydantic import BaseModel, BeforeValidator
from starlette.exceptions import HTTPException as StarletteHTTPException

# Offsets and counts are bounded: the database's integers are 64-bit, and nobody pages a billion rows in.
MAX_OFFSET = 1_000_000_000
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="rows to skip")]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_only(value: Any) -> Any:
    # pydantic would also take a number of seconds since 1970 ("1"), which the schema's format does not allow
    if not isinstance(value, date | datetime) and not (isinstance(value, str) and _ISO_DATE.match(value)):
        raise ValueError("expected an ISO 8601 date (2024-01-31) or date-time (2024-01-31T12:00:00Z)")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_only)]
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only)]


class ErrorBody(BaseModel):
    """Every error answer: ``{"detail": ...}`` (a message, or FastAPI's list of field errors)."""

    detail: Any


def error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


PROVIDER_ERROR: dict[int | str, dict[str, Any]] = {
    409: error("the change conflicts with stored state, or the platform has no credentials or region for the "
               "cloud provider (the message names the setting; nothing was sent to the provider)"),
    502: error("the cloud provider or the named upstream refused the call or could not be reached "
               "(no access, throttled, unreachable)")}

_AUTH: dict[int | str, dict[str, Any]] = {401: error("no token, or an invalid or revoked one"),
         403: error("the token's role is too weak (or the CSRF token is missing)"),
         429: error("too many failed authentications from this client; retry later")}
_INPUT: dict[int | str, dict[str, Any]] = {400: error("the input is invalid; the message names the field and what was expected")}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: error("the named object does not exist")}
_CONFLICT: dict[int | str, dict[str, Any]] = {409: error("the change conflicts with stored state")}
_STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def _needs_token(route: APIRoute) -> bool:
    pending = list(route.dependant.dependencies)
    while pending:
        dep = pending.pop()
        if "require_role" in getattr(dep.call, "__qualname__", ""):
            return True
        pending.extend(dep.dependencies)
    return False


def _takes_input(route: APIRoute) -> bool:
    d = route.dependant
    pending = [d]
    while pending:
        dep = pending.pop()
        if dep.path_params or dep.query_params or dep.body_params or dep.header_params:
            return True
        pending.extend(dep.dependencies)
    return False


def document_errors(router: APIRouter) -> None:
    """Add the statuses above to each of the router's routes (a route's own entries win); call it
    before the router is included, which is when FastAPI reads them."""
    for route in router.routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        extra: dict[int | str, dict[str, Any]] = {}
        if _needs_token(route):
            extra.update(_AUTH)
        if _takes_input(route):  # a name in the path, the query or the body may name nothing
            extra.update(_INPUT)
            extra.update(_NOT_FOUND)
        if (route.methods or set()) & _STATE_CHANGING:
            extra.update(_CONFLICT)
            extra.update(_INPUT)
        route.responses = {**extra, **route.responses}


def _api_routes(routes: Any) -> Any:
    """Every APIRoute, also those of included routers (which newer FastAPI keeps behind a wrapper)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        else:
            inner = getattr(getattr(route, "original_router", None), "routes", None)
            if inner:
                yield from _api_routes(inner)


def refine_http_errors(app: FastAPI) -> None:
    """Two of the framework's own error answers, made exact (install this after every other handler of
    ``HTTPException``: it wraps the one in place):

    - a 405's ``Allow`` lists every method the schema documents for that path (Starlette answers from
      the first route whose path matches, although ``GET /x`` and ``PUT /x`` are separate routes);
    - a JSON body that is not UTF-8 is a 400 naming the byte offset, not "error parsing the body"."""
    methods_by_path: list[tuple[re.Pattern[str], str]] = []

    def allowed(path: str) -> str | None:
        if not methods_by_path:
            # each documented path with the router's own pattern for it ({name:path} takes slashes), a
            # literal path (/cost/budgets/evaluate) before a template it also fits (/cost/budgets/{name})
            methods: dict[str, set[str]] = {}
            patterns: dict[str, re.Pattern[str]] = {}
            for route in _api_routes(app.routes):
                if route.include_in_schema:
                    methods.setdefault(route.path_format, set()).update(route.methods or ())
                    patterns[route.path_format] = route.path_regex
            for template in sorted(methods, key=lambda t: t.count("{")):
                methods_by_path.append((patterns[template], ", ".join(sorted(m.upper() for m in methods[template]))))
        return next((methods for pattern, methods in methods_by_path if pattern.match(path)), None)

    previous = app.exception_handlers.get(StarletteHTTPException, http_exception_handler)

    async def _http_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, StarletteHTTPException) and exc.status_code == 405:
            methods = allowed(request.url.path)
            if methods:
                exc.headers = {**(exc.headers or {}), "Allow": methods}
        cause = exc.__cause__
        if isinstance(exc, StarletteHTTPException) and exc.status_code == 400 and isinstance(cause, UnicodeDecodeError):
            # json guesses UTF-16/32 from the first bytes; name the first byte that is not UTF-8 instead
            data = bytes(cause.object)
            try:
                data.decode("utf-8")
                first = cause
            except UnicodeDecodeError as utf8:
                first = utf8
            bad = data[first.start:first.start + 1].hex()
            exc.detail = (f"request body: not UTF-8 JSON: byte 0x{bad} at offset {first.start} ({first.reason}); "
                          "send the body encoded as UTF-8")
        response = previous(request, exc)
        return await response if inspect.isawaitable(response) else response

    app.add_exception_handler(StarletteHTTPException, _http_error)


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    """``openapi_extra`` that documents the JSON body a route reads itself (as ``dict[str, Any]``) and
    checks with its domain's own rules, so the schema says what is required::

        @router.post("", openapi_extra=json_body({"required": ["Entries"], ...}))
    """
    return {"requestBody": {"content": {"application/json": {"schema": schema}}}}

