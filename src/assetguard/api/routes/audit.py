"""Read the audit trail and verify its chain."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from assetguard.api.auth import PlatformDep, ViewerDep
from assetguard.api.schema import IsoDateTime, Offset

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("")
def list_audit(_p: ViewerDep, platform: PlatformDep, actor: str | None = None, action: str | None = None,
               resource: str | None = None, since: IsoDateTime | None = None, until: IsoDateTime | None = None,
               limit: int = Query(100, ge=1, le=1000), offset: Offset = 0) -> list[dict[str, Any]]:
    return platform.audit.query(actor=actor, action=action, resource=resource, since=since, until=until,
                                limit=limit, offset=offset)


@router.get("/verify")
def verify_audit(_p: ViewerDep, platform: PlatformDep) -> dict[str, Any]:
    """The chain and the signed digests, checked with this deployment's own public key."""
    report = platform.audit.verify()
    return {"ok": report.ok, "rows": report.rows, "digests": report.digests, "problems": report.problems,
            "notes": report.notes}
