"""Findings hub API: list/get findings, BatchImportFindings, BatchUpdateFindings, insights, export,
automation rules. Reads need a viewer token; imports and updates an operator."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from assetguard.api.auth import OperatorDep, PlatformDep, ViewerDep
from assetguard.api.schema import Offset, json_body
from assetguard.core.errors import ConflictError, NotFoundError, ValidationError
from assetguard.findings.automation import AutomationRules, rule_schema
from assetguard.findings.export import render
from assetguard.findings.filters import filters_schema
from assetguard.findings.hub import FindingsHub
from assetguard.findings.insights import SavedInsights
from assetguard.findings.model import SEVERITY_LABELS

router = APIRouter(prefix="/findings", tags=["findings"])


# ``filters`` is JSON in the query string: documented as such (a parameter with JSON content) in place of
# the plain string FastAPI would describe.
FiltersQuery = Annotated[str | None, Query(include_in_schema=False)]
FILTERS_PARAMETER = {"parameters": [{"name": "filters", "in": "query", "required": False,
                                     "description": "ASFF filters (Security Hub GetFindings Filters) as JSON",
                                     "content": {"application/json": {"schema": filters_schema()}}}]}


# A severity label in any case (the hub compares upper-cased).
MinSeverity = Annotated[str | None, Query(pattern="^(" + "|".join(
    "".join(f"[{ch.upper()}{ch.lower()}]" for ch in label) for label in SEVERITY_LABELS) + ")$")]


def _filters(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise HTTPException(400, f"filters: not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise HTTPException(400, "filters: an object of field name → conditions")
    return value


def _bad(exc: ValidationError) -> HTTPException:
    return HTTPException(400, str(exc))


@router.get("", openapi_extra=FILTERS_PARAMETER)
def list_findings(_p: ViewerDep, platform: PlatformDep, severity: str | None = None,
                  min_severity: MinSeverity = None, workflow_status: str | None = None,
                  record_state: str | None = None, compliance_status: str | None = None,
                  generator_id: str | None = None, resource_id: str | None = None, text: str | None = None,
                  filters: FiltersQuery = None,
                  limit: int = Query(100, ge=1, le=1000), offset: Offset = 0) -> dict[str, Any]:
    try:
        found = FindingsHub(platform).list(_filters(filters), severity=severity, min_severity=min_severity,
                                           workflow_status=workflow_status, record_state=record_state,
                                           compliance_status=compliance_status, generator_id=generator_id,
                                           resource_id=resource_id, text=text, limit=limit, offset=offset)
    except ValidationError as exc:
        raise _bad(exc) from None
    return {"Findings": found}


@router.get("/export", responses={200: {"description": "the findings in the chosen format", "content": {
    "application/json": {}, "text/csv": {}}}}, openapi_extra=FILTERS_PARAMETER)
def export_findings(_p: ViewerDep, platform: PlatformDep,
                    format: Literal["asff", "ocsf", "sarif", "csv"] = "asff",
                    min_severity: MinSeverity = None, workflow_status: str | None = None,
                    filters: FiltersQuery = None) -> Response:
    found = FindingsHub(platform).list(_filters(filters), min_severity=min_severity,
                                       workflow_status=workflow_status, limit=None)
    media = "text/csv" if format == "csv" else "application/json"
    return Response(render(found, format), media_type=media)


@router.get("/insights", openapi_extra=FILTERS_PARAMETER)
def insight(_p: ViewerDep, platform: PlatformDep, group_by: str, filters: FiltersQuery = None) -> dict[str, Any]:
    try:
        rows = FindingsHub(platform).insight(group_by, _filters(filters))
    except ValidationError as exc:
        raise _bad(exc) from None
    return {"GroupByAttribute": group_by, "ResultValues": rows}


class InsightBody(BaseModel):
    Name: str = Field(min_length=1, max_length=256, pattern=r"\S")
    Filters: dict[str, Any] = Field(default_factory=dict, json_schema_extra=filters_schema())
    GroupByAttribute: str = Field(min_length=1, max_length=256, pattern=r"\S")


@router.get("/insights/saved")
def list_saved_insights(_p: ViewerDep, platform: PlatformDep) -> dict[str, Any]:
    return {"Insights": SavedInsights(platform).list()}


@router.post("/insights/saved", status_code=201)
def create_saved_insight(body: InsightBody, principal: OperatorDep, platform: PlatformDep) -> dict[str, Any]:
    try:
        return SavedInsights(platform).create(body.Name, body.Filters, body.GroupByAttribute, actor=principal)
    except ValidationError as exc:
        raise _bad(exc) from None
    except ConflictError as exc:
        raise HTTPException(409, str(exc)) from None


@router.get("/insights/saved/{name}/results")
def saved_insight_results(name: str, _p: ViewerDep, platform: PlatformDep) -> dict[str, Any]:
    try:
        return {"Name": name, "ResultValues": SavedInsights(platform).results(name)}
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from None


@router.delete("/insights/saved/{name}", status_code=204)
def delete_saved_insight(name: str, principal: OperatorDep, platform: PlatformDep) -> Response:
    try:
        SavedInsights(platform).delete(name, actor=principal)
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    return Response(status_code=204)


@router.get("/item")
def get_finding(_p: ViewerDep, platform: PlatformDep, id: str,
                product_arn: str | None = None) -> dict[str, Any]:
    """One finding (ids contain slashes, so they travel as a query parameter)."""
    hub = FindingsHub(platform)
    try:
        return hub.get(product_arn, id) if product_arn else hub.find(id)
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    except ValidationError as exc:
        raise _bad(exc) from None


class ImportBody(BaseModel):
    Findings: list[dict[str, Any]] = Field(max_length=100)


@router.post("/import")
def batch_import(body: ImportBody, principal: OperatorDep, platform: PlatformDep) -> dict[str, Any]:
    """BatchImportFindings: per-finding errors in ``FailedFindings``; batch limits answer 400."""
    try:
        return FindingsHub(platform).batch_import(body.Findings, actor=principal)
    except ValidationError as exc:
        raise _bad(exc) from None


class Identifier(BaseModel):
    Id: str
    ProductArn: str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WorkflowUpdate(_Strict):
    Status: Literal["NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"]


class NoteUpdate(_Strict):
    Text: str = Field(min_length=1, max_length=512)
    UpdatedBy: str = Field(None, max_length=512)  # type: ignore[assignment]


class SeverityUpdate(_Strict):
    Label: Literal["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"]


_UPDATES = ("Workflow", "Note", "Severity", "VerificationState", "UserDefinedFields")


class UpdateBody(_Strict):
    """BatchUpdateFindings: the findings, and at least one of the fields to set."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"anyOf": [{"required": [k]} for k in _UPDATES]})
    FindingIdentifiers: list[Identifier] = Field(min_length=1, max_length=100)
    Workflow: WorkflowUpdate = None  # type: ignore[assignment]
    Note: NoteUpdate = None  # type: ignore[assignment]
    Severity: SeverityUpdate = None  # type: ignore[assignment]
    VerificationState: Literal["UNKNOWN", "TRUE_POSITIVE", "FALSE_POSITIVE", "BENIGN_POSITIVE"] = None  # type: ignore[assignment]
    UserDefinedFields: dict[str, str] = None  # type: ignore[assignment]

    @model_validator(mode="after")
    def _something(self) -> UpdateBody:
        if not self.model_fields_set & set(_UPDATES):
            raise ValueError(f"give at least one of {', '.join(_UPDATES)}")
        return self


@router.post("/update")
def batch_update(body: UpdateBody, principal: OperatorDep, platform: PlatformDep) -> dict[str, Any]:
    """BatchUpdateFindings: workflow status, note, severity label, verification state, user fields."""
    try:
        return FindingsHub(platform).update_findings(
            [i.model_dump() for i in body.FindingIdentifiers], actor=principal,
            workflow_status=body.Workflow.Status if body.Workflow else None,
            note=body.Note.Text if body.Note else None, severity_label=body.Severity.Label if body.Severity else None,
            verification_state=body.VerificationState,
            user_defined_fields=body.UserDefinedFields)
    except ValidationError as exc:
        raise _bad(exc) from None


@router.get("/automation-rules")
def list_automation_rules(_p: ViewerDep, platform: PlatformDep) -> dict[str, Any]:
    return {"Rules": AutomationRules(platform).list()}


@router.post("/automation-rules", status_code=201, openapi_extra=json_body(rule_schema()))
def create_automation_rule(body: dict[str, Any], principal: OperatorDep, platform: PlatformDep) -> dict[str, Any]:
    try:
        return AutomationRules(platform).create(body, actor=principal)
    except ValidationError as exc:
        raise _bad(exc) from None


@router.delete("/automation-rules/{name}", status_code=204)
def delete_automation_rule(name: str, principal: OperatorDep, platform: PlatformDep) -> Response:
    try:
        AutomationRules(platform).delete(name, actor=principal)
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    return Response(status_code=204)
