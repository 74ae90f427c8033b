"""Compliance API: rules, packs, results, evaluation, remediation configurations and executions."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, StrictBool
from sqlalchemy import select

from assetguard.api.auth import OperatorDep, PlatformDep, ViewerDep
from assetguard.compliance.evaluator import ComplianceEvaluator
from assetguard.compliance.packs import get_pack, packs
from assetguard.compliance.remediation import RemediationService
from assetguard.compliance.rule import load_all_rules
from assetguard.compliance.tables import compliance_results
from assetguard.core.errors import ConflictError, NotFoundError, PluginError, ValidationError

router = APIRouter(prefix="/compliance", tags=["compliance"])


def _error(exc: Exception) -> HTTPException:
    if isinstance(exc, NotFoundError | PluginError):
        return HTTPException(404, str(exc))
    if isinstance(exc, ConflictError):
        return HTTPException(409, str(exc))
    return HTTPException(400, str(exc))


@router.get("/rules")
def list_rules(_p: ViewerDep, pack: str | None = None) -> list[dict[str, Any]]:
    registry = load_all_rules()
    try:
        ids = get_pack(pack).rule_ids if pack else tuple(registry.names())
    except ValidationError as exc:  # the pack names nothing
        raise HTTPException(404, exc.message) from None
    return [{**registry.get(i).meta.model_dump(), "doc": registry.get(i).doc} for i in ids]


@router.get("/packs")
def list_packs(_p: ViewerDep) -> dict[str, Any]:
    return {n: {"description": p.description, "rules": list(p.rule_ids)} for n, p in packs().items()}


@router.get("/results")
def list_results(_p: ViewerDep, platform: PlatformDep, rule: str | None = None,
                 compliance_type: str | None = None, resource_arn: str | None = None,
                 limit: int = Query(500, ge=1, le=5000)) -> list[dict[str, Any]]:
    t = compliance_results.c
    stmt = select(compliance_results).order_by(t.rule_id, t.resource_arn).limit(limit)
    for col, value in ((t.rule_id, rule), (t.compliance_type, compliance_type), (t.resource_arn, resource_arn)):
        if value:
            stmt = stmt.where(col == value)
    with platform.db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


class EvaluateBody(BaseModel):
    pack: str = "baseline"
    rules: list[str] | None = None


@router.post("/evaluate")
def evaluate(body: EvaluateBody, principal: OperatorDep, platform: PlatformDep) -> dict[str, Any]:
    try:
        report = ComplianceEvaluator(platform).evaluate(pack=body.pack, rule_ids=body.rules, actor=principal)
    except (ValidationError, PluginError) as exc:
        raise _error(exc) from None
    return {"summary": report.counts, "changes": report.changes, "findingsImported": report.findings_imported}


@router.get("/remediation/configs")
def list_configs(_p: ViewerDep, platform: PlatformDep) -> list[dict[str, Any]]:
    return [c.model_dump() for c in RemediationService(platform).configs()]


class ConfigBody(BaseModel):
    runbook: str | None = None
    approval: Literal["manual", "auto"] | None = None
    parameters: dict[str, Any] | None = None
    max_attempts: int | None = None
    cooldown_seconds: int | None = None
    use_ssm: StrictBool | None = None


def refuse_path_parameters(platform: Any, rule_id: str, body: ConfigBody) -> None:
    """The API never takes a server path: a runbook parameter naming host files (the runbook's
    ``path_params``) may only keep its stored value; setting one is for the CLI on the server."""
    from assetguard.compliance.runbooks.base import load_all_runbooks

    if not body.parameters:
        return
    try:
        current: Any = RemediationService(platform).config(rule_id)
    except NotFoundError:
        current = None
    name = body.runbook or (current.runbook if current is not None else None)
    if name is None:
        return
    stored = current.parameters if current is not None and current.runbook == name else {}
    for key in load_all_runbooks().get(name).path_params:
        if key in body.parameters and body.parameters[key] != stored.get(key):
            raise ValidationError("names files on the server, which the API does not take; set it with "
                                  "`assetguard compliance remediation configure --parameters` on the server "
                                  "(an unchanged stored value is kept)", where=f"parameters.{key}")


@router.put("/remediation/configs/{rule_id}")
def put_config(rule_id: str, body: ConfigBody, principal: OperatorDep, platform: PlatformDep) -> dict[str, Any]:
    try:
        refuse_path_parameters(platform, rule_id, body)
        return RemediationService(platform).configure(rule_id, actor=principal, **body.model_dump()).model_dump()
    except (ValidationError, NotFoundError, PluginError) as exc:
        raise _error(exc) from None


@router.get("/remediation/executions")
def list_executions(_p: ViewerDep, platform: PlatformDep, status: str | None = None,
                    resource_arn: str | None = None) -> list[dict[str, Any]]:
    return RemediationService(platform).list(status=status, resource_arn=resource_arn)


class RunBody(BaseModel):
    rule: str
    resource_arn: str
    dry_run: StrictBool = False


@router.post("/remediation/executions")
def run_remediation(body: RunBody, principal: OperatorDep, platform: PlatformDep) -> dict[str, Any]:
    """An operator's request: runs now (no further approval)."""
    try:
        return RemediationService(platform).request(body.rule, body.resource_arn, actor=principal,
                                                    trigger="manual", dry_run=body.dry_run)
    except (ValidationError, NotFoundError, PluginError) as exc:
        raise _error(exc) from None


@router.post("/remediation/executions/{execution_id}/approve")
def approve(execution_id: str, principal: OperatorDep, platform: PlatformDep) -> dict[str, Any]:
    try:
        return RemediationService(platform).approve(execution_id, actor=principal)
    except (NotFoundError, ConflictError, ValidationError) as exc:
        raise _error(exc) from None


@router.post("/remediation/executions/{execution_id}/reject")
def reject(execution_id: str, principal: OperatorDep, platform: PlatformDep) -> dict[str, Any]:
    try:
        return RemediationService(platform).reject(execution_id, actor=principal)
    except (NotFoundError, ConflictError) as exc:
        raise _error(exc) from None
