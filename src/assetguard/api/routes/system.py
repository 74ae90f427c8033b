"""Liveness, readiness and version."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

import assetguard
from assetguard.api.auth import PlatformDep
from assetguard.db import migrate

router = APIRouter(tags=["system"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None, responses={503: {"description": "the database is unreachable or not migrated"}})
def readyz(platform: PlatformDep) -> dict[str, Any] | JSONResponse:
    """Readiness: the database answers and is migrated."""
    if not platform.db.ping():
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    if not migrate.is_up_to_date(platform.db.engine):
        return JSONResponse({"status": "unavailable", "database": "migrations pending"}, status_code=503)
    return {"status": "ok", "database": platform.db.dialect}


@router.get("/version")
def version() -> dict[str, str]:
    return {"version": assetguard.__version__}
