"""Parameter store, tag editor, auto-tagging and tag policies."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field, StrictBool

from assetguard.api.auth import OperatorDep, PlatformDep, ViewerDep
from assetguard.api.schema import PROVIDER_ERROR, json_body
from assetguard.core.errors import ValidationError
from assetguard.core.textfile import decode_text
from assetguard.tagging.autotag import AutoTagger
from assetguard.tagging.backfill import Backfill
from assetguard.tagging.cloudtrail import check_record
from assetguard.tagging.editor import TagEditor
from assetguard.tagging.limits import KEY_PATTERN, MAX_KEY, VALUE_PATTERN
from assetguard.tagging.limits import MAX_VALUE as MAX_TAG_VALUE
from assetguard.tagging.params import MAX_VALUE, NAME_PATH_PATTERN, ParameterType, parameter_store
from assetguard.tagging.policy import POLICY_SCHEMA, evaluate
from assetguard.tagging.policy_store import TagPolicyStore, effective_policy

router = APIRouter(tags=["tagging"])


class ParameterPut(BaseModel):
    value: str = Field(min_length=1, max_length=MAX_VALUE)
    type: ParameterType = "String"
    overwrite: StrictBool = False
    description: str | None = None


class LabelPut(BaseModel):
    version: int = Field(ge=1, le=2**31 - 1)
    # not starting with a digit (nor aws/ssm, which the store refuses)
    labels: list[Annotated[str, Field(pattern=r"^[A-Za-z_.-][A-Za-z0-9_.-]{0,99}$")]] = Field(min_length=1, max_length=10)


@router.get("/params")
def list_params(_p: ViewerDep, platform: PlatformDep, path: Annotated[str, Query(pattern="^/")] = "/",
                recursive: bool = True) -> list[dict[str, Any]]:
    """Parameters under a path; SecureString values are never returned by listing."""
    return [p.public() for p in parameter_store(platform).get_by_path(path, recursive=recursive, decrypt=False)]


@router.get("/params/{name:path}")
def get_param(name: str, principal: ViewerDep, platform: PlatformDep, decrypt: bool = False) -> dict[str, Any]:
    """One parameter; decrypting a SecureString needs the operator role."""
    if decrypt and not principal.allows("operator"):
        decrypt = False
    return parameter_store(platform).get("/" + name.lstrip("/"), decrypt=decrypt).public()


ParamName = Annotated[str, Path(pattern=NAME_PATH_PATTERN, max_length=1010,
                               description="a-z, A-Z, 0-9, _ . - and /; at most 15 levels; not starting with aws or ssm")]


@router.put("/params/{name:path}")
def put_param(name: ParamName, body: ParameterPut, principal: OperatorDep, platform: PlatformDep) -> dict[str, Any]:
    version = parameter_store(platform).put("/" + name.lstrip("/"), body.value, body.type, overwrite=body.overwrite,
                                            description=body.description, actor=principal)
    return {"Version": version}


@router.post("/params-labels/{name:path}")
def label_param(name: str, body: LabelPut, principal: OperatorDep, platform: PlatformDep) -> dict[str, Any]:
    parameter_store(platform).label("/" + name.lstrip("/"), body.version, body.labels, actor=principal)
    return {"Name": "/" + name.lstrip("/"), "Version": body.version, "Labels": body.labels}


@router.delete("/params/{name:path}")
def delete_param(name: str, principal: OperatorDep, platform: PlatformDep) -> dict[str, str]:
    parameter_store(platform).delete("/" + name.lstrip("/"), actor=principal)
    return {"deleted": "/" + name.lstrip("/")}


TagKey = Annotated[str, Field(min_length=1, max_length=MAX_KEY, pattern=KEY_PATTERN)]
TagValue = Annotated[str, Field(max_length=MAX_TAG_VALUE, pattern=VALUE_PATTERN)]


def _keys_as_pattern_properties(schema: dict[str, Any]) -> None:
    # propertyNames (key lengths) stays; the key pattern is also stated as patternProperties, the form
    # schema fuzzers generate keys from: the same rule
    schema.update(propertyNames={"minLength": 1, "maxLength": MAX_KEY, "pattern": KEY_PATTERN},
                  patternProperties={KEY_PATTERN: {"type": "string", "maxLength": MAX_TAG_VALUE,
                                                   "pattern": VALUE_PATTERN}},
                  additionalProperties=False)


class TagEdit(BaseModel):
    arns: list[str] = Field(min_length=1, max_length=1000)
    # letters, digits, white space and + - = . _ : / @; a key 1-128 not starting with aws:, a value up to 256
    set: dict[TagKey, TagValue] = Field(default_factory=dict, json_schema_extra=_keys_as_pattern_properties)
    remove: list[str] = Field(default_factory=list)
    dry_run: StrictBool = False


@router.get("/tags/resources")
def find_resources(_p: ViewerDep, platform: PlatformDep, region: str | None = None,
                   type: str | None = None, tag: str | None = None, missing: str | None = None,
                   search: str | None = None, limit: int = Query(500, ge=1, le=10000)) -> list[dict[str, Any]]:
    key, sep, value = (tag or "").partition("=")
    items = TagEditor(platform).find(region=region, resource_type=type, tag_key=key or None,
                                     tag_value=value if sep else None, missing=missing, search=search, limit=limit)
    return [{"arn": i["arn"], "resourceType": i["resourceType"], "resourceName": i.get("resourceName"),
             "region": i.get("awsRegion"), "tags": i.get("tags") or {}} for i in items]


@router.post("/tags/apply")
def apply_tags(body: TagEdit, principal: OperatorDep, platform: PlatformDep) -> list[dict[str, Any]]:
    """Add/change (``set``) and remove tags on many resources; ``dry_run`` previews before/after."""
    changes = TagEditor(platform).apply(body.arns, set_tags=body.set, remove=body.remove, actor=principal,
                                        dry_run=body.dry_run)
    return [c.as_dict() for c in changes]


@router.get("/tags/export.csv", response_class=PlainTextResponse)
def export_tags(_p: ViewerDep, platform: PlatformDep, region: str | None = None, type: str | None = None,
                missing: str | None = None) -> str:
    editor = TagEditor(platform)
    return editor.export_csv(editor.find(region=region, resource_type=type, missing=missing))


@router.post("/tags/import", openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {
    "type": "string", "minLength": 1, "description": "an edited GET /tags/export.csv: an arn column and tag:KEY columns"}}}}})
async def import_tags(request: Request, principal: OperatorDep, platform: PlatformDep,
                      dry_run: bool = False) -> list[dict[str, Any]]:
    """Body: an edited CSV export (text/csv), UTF-8."""
    text = decode_text(await request.body(), "request body", "CSV")
    editor = TagEditor(platform)
    changes = editor.commit(editor.plan_csv(text, where="request body"), actor=principal, dry_run=dry_run)
    return [c.as_dict() for c in changes]


class AutotagRequest(BaseModel):
    records: list[dict[str, Any]] = Field(min_length=1, max_length=10000)
    dry_run: StrictBool = True


@router.post("/tags/autotag")
def autotag(body: AutotagRequest, principal: OperatorDep, platform: PlatformDep) -> list[dict[str, Any]]:
    """Run CloudTrail records through the auto-tagger; answers one contract line per record."""
    tagger = AutoTagger(platform, dry_run=body.dry_run, actor=principal)
    plans = []
    out = []
    for i, record in enumerate(body.records):
        try:
            plan = tagger.plan(check_record(record, f"records[{i}]"))
        except ValidationError as exc:
            out.append({"eventName": record.get("eventName") if isinstance(record, dict) else None,
                        "error": str(exc)})
            continue
        plans.append(plan)
        out.append(plan.contract())
    tagger.apply(plans)
    return out


@router.post("/tags/backfill", responses=PROVIDER_ERROR)
def backfill(principal: OperatorDep, platform: PlatformDep, dry_run: bool = True) -> list[dict[str, Any]]:
    return [i.as_dict() for i in Backfill(platform).run(dry_run=dry_run, actor=principal)]


@router.get("/tags/policies")
def list_policies(_p: ViewerDep, platform: PlatformDep) -> list[dict[str, Any]]:
    return TagPolicyStore(platform).list()


@router.put("/tags/policies/{name}", openapi_extra=json_body(POLICY_SCHEMA))
def put_policy(name: str, document: dict[str, Any], principal: OperatorDep, platform: PlatformDep) -> dict[str, str]:
    TagPolicyStore(platform).put(name, document, actor=principal)
    return {"stored": name}


@router.delete("/tags/policies/{name}")
def delete_policy(name: str, principal: OperatorDep, platform: PlatformDep) -> dict[str, str]:
    TagPolicyStore(platform).delete(name, actor=principal)
    return {"deleted": name}


@router.get("/tags/compliance")
def tag_compliance(_p: ViewerDep, platform: PlatformDep, type: str | None = None) -> list[dict[str, Any]]:
    """Assets whose tags break the effective tag policy, with each problem."""
    policy = effective_policy(platform)
    out = []
    for asset in TagEditor(platform).find(resource_type=type):
        problems = evaluate(policy, asset["resourceType"], asset.get("tags") or {})
        if problems:
            out.append({"arn": asset["arn"], "problems": [p.as_dict() for p in problems]})
    return out
