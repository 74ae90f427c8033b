"""Vulnerability scanning API: advisories, imports, scans, per-asset package reports.

    GET  /vulns/stats                          advisory counts per ecosystem
    GET  /vulns/advisories?ecosystem=PyPI      list (newest first)
    GET  /vulns/advisories/{id}                one OSV record by id or alias
    POST /vulns/advisories                     import OSV records in the body (operator)
    POST /vulns/import {"source": URL}         import an export by URL (admin)
    POST /vulns/match {"packages": [...]}      the JSON contract rows for a package list (operator)
    POST /vulns/scan {"asset": ARN | null}     scan one asset or the whole inventory (operator)
    GET  /vulns/assets/{arn}/packages          packages of an asset with advisories and fixes
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field, StrictBool

from assetguard.api.auth import AdminDep, OperatorDep, PlatformDep, ViewerDep
from assetguard.api.schema import PROVIDER_ERROR, Offset
from assetguard.core.errors import NotFoundError, ValidationError
from assetguard.vulns.database import AdvisoryDatabase
from assetguard.vulns.scanner import VulnerabilityScanner, asset_report

router = APIRouter(prefix="/vulns", tags=["vulns"])


class ImportRequest(BaseModel):
    source: str = Field(min_length=8, max_length=2048, pattern=r"^https?://",
                        description="http(s) URL of an OSV export or record")
    rescan: StrictBool = True


class MatchRequest(BaseModel):
    packages: list[dict[str, Any]] = Field(max_length=100_000)


class ScanRequest(BaseModel):
    asset: str | None = None


def _not_found(exc: NotFoundError) -> HTTPException:
    return HTTPException(status_code=404, detail=str(exc))


@router.get("/stats")
def stats(_p: ViewerDep, platform: PlatformDep) -> dict[str, Any]:
    return AdvisoryDatabase(platform).stats()


@router.get("/advisories")
def list_advisories(_p: ViewerDep, platform: PlatformDep, ecosystem: str | None = None, package: str | None = None,
                    severity: str | None = None, limit: int = Query(100, ge=1, le=1000),
                    offset: Offset = 0) -> list[dict[str, Any]]:
    return AdvisoryDatabase(platform).list(ecosystem=ecosystem, package=package, severity=severity, limit=limit,
                                           offset=offset)


@router.get("/advisories/{advisory_id}")
def get_advisory(advisory_id: str, _p: ViewerDep, platform: PlatformDep) -> dict[str, Any]:
    try:
        return AdvisoryDatabase(platform).get(advisory_id)
    except NotFoundError as exc:
        raise _not_found(exc) from None


@router.post("/advisories")
def import_records(records: list[dict[str, Any]], principal: OperatorDep, platform: PlatformDep,
                   rescan: bool = True) -> dict[str, Any]:
    """Import OSV records sent in the body; malformed ones are listed in ``errors`` by index."""
    if len(records) > 10_000:
        raise ValidationError("at most 10,000 records per request", where="body")
    summary = AdvisoryDatabase(platform).import_records(
        ((f"body[{i}]", r) for i, r in enumerate(records)), source="api", actor=principal)
    out = summary.as_dict()
    if rescan and summary.changed_packages:
        out["rescan"] = VulnerabilityScanner(platform).rescan_packages(summary.changed_packages,
                                                                       actor=principal).as_dict()
    return out


@router.post("/import", responses=PROVIDER_ERROR)
def import_source(body: ImportRequest, principal: AdminDep, platform: PlatformDep) -> dict[str, Any]:
    """Import an OSV export (``all.zip``) or record by URL; server paths are not accepted here."""
    if not body.source.startswith(("http://", "https://")):
        raise ValidationError("source must be an http(s) URL (use the CLI for local files)", where="source")
    from assetguard.targets.outbound import guard_for

    # Like the webhook targets: only globally routable addresses (plus outbound.allow_cidrs).
    summary = AdvisoryDatabase(platform).import_source(body.source, actor=principal, guard=guard_for(platform.settings))
    out = summary.as_dict()
    if body.rescan and summary.changed_packages:
        out["rescan"] = VulnerabilityScanner(platform).rescan_packages(summary.changed_packages,
                                                                       actor=principal).as_dict()
    return out


@router.post("/match")
def match(body: MatchRequest, _p: OperatorDep, platform: PlatformDep) -> list[dict[str, Any]]:
    """The ``scan vulns --format json`` rows for an arbitrary package list (writes nothing)."""
    return [m.contract() for m in VulnerabilityScanner(platform).match_packages(body.packages)]


@router.post("/scan")
def scan(body: ScanRequest, principal: OperatorDep, platform: PlatformDep) -> dict[str, Any]:
    scanner = VulnerabilityScanner(platform)
    summary = scanner.scan_asset(body.asset, actor=principal) if body.asset else scanner.scan_assets(actor=principal)
    return summary.as_dict()


@router.get("/assets/{arn:path}/packages")
def asset_packages(arn: str, _p: ViewerDep, platform: PlatformDep) -> dict[str, Any]:
    try:
        return asset_report(platform, arn)
    except NotFoundError as exc:
        raise _not_found(exc) from None
