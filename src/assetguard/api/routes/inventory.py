"""Asset inventory: list, get, history, collection runs, and collect (operator)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool, TypeAdapter

from assetguard.api.auth import OperatorDep, PlatformDep, ViewerDep
from assetguard.api.schema import Offset, json_body
from assetguard.core.bodyschema import inline_schema, validate_body
from assetguard.core.errors import ConflictError, ValidationError
from assetguard.inventory.collectors.aws.collector import AwsAccountTarget
from assetguard.inventory.collectors.base import collectors
from assetguard.inventory.runner import aws_options, run_collection
from assetguard.inventory.service import InventoryService

router = APIRouter(prefix="/inventory", tags=["inventory"])


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AwsOptions(_Strict):
    regions: list[str] = Field(None, min_length=1)  # type: ignore[arg-type]
    accounts: list[AwsAccountTarget] = Field(None)  # type: ignore[arg-type]
    services: list[str] | None = Field(None, description="task labels or prefixes, e.g. ['ec2', 's3.buckets']")


class HostOptions(_Strict):
    scan_filesystem: StrictBool = Field(None)  # type: ignore[assignment]


class _Collect(_Strict):
    def option_values(self) -> dict[str, Any]:
        options = getattr(self, "options", None)
        return options.model_dump(exclude_unset=True, exclude_none=True) if options is not None else {}


class CollectAws(_Collect):
    source: Literal["aws"]
    options: AwsOptions = Field(default_factory=AwsOptions)


class CollectHost(_Collect):
    source: Literal["host"]
    options: HostOptions = Field(default_factory=HostOptions)


class CollectConfigured(_Collect):
    source: Literal["sbom", "image", "snapshot"]
    options: _Strict = Field(default_factory=_Strict, description="none: these sources read what the settings name")


# ``options`` are a subset of the collector's own: the API never takes a server path, profile or URL
# (see :data:`API_OPTIONS`); those come from ``settings.inventory.sources`` and ``settings.aws``.
COLLECT: TypeAdapter[Any] = TypeAdapter(Annotated[CollectAws | CollectHost | CollectConfigured,
                                                   Field(discriminator="source")])


@router.get("/assets")
def list_assets(_p: ViewerDep, platform: PlatformDep, type: str | None = None,
                tag: list[str] | None = Query(None, description="K=V or K; repeat to require several"),
                region: str | None = None, account_id: str | None = None, search: str | None = None,
                include_deleted: bool = False, limit: int = Query(500, ge=1, le=10000),
                offset: Offset = 0) -> list[dict[str, Any]]:
    """Configuration items matching every filter."""
    return InventoryService(platform).list_assets(type, include_deleted=include_deleted, tag=tag, region=region,
                                                  account_id=account_id, search=search, limit=limit, offset=offset)


@router.get("/counts")
def counts(_p: ViewerDep, platform: PlatformDep) -> dict[str, int]:
    """Live assets per resource type."""
    return InventoryService(platform).count()


@router.get("/asset")
def get_asset(_p: ViewerDep, platform: PlatformDep, arn: str) -> dict[str, Any]:
    """The newest configuration item of one asset (404 when unknown)."""
    return InventoryService(platform).get(arn)


@router.get("/asset/history")
def asset_history(_p: ViewerDep, platform: PlatformDep, arn: str) -> list[dict[str, Any]]:
    """Every version of one asset, newest first, each with its diff."""
    return InventoryService(platform).history(arn)


@router.get("/collections")
def list_collections(_p: ViewerDep, platform: PlatformDep, limit: int = Query(50, ge=1, le=500)) -> list[dict[str, Any]]:
    """Recent collection runs with status (COMPLETE/PARTIAL) and the reasons of partial ones."""
    return InventoryService(platform).collections(limit)


@router.get("/collectors")
def list_collectors(_p: ViewerDep) -> list[dict[str, Any]]:
    """Collector names and the IAM actions each needs."""
    return [{"name": name, "permissions": list(plugin.permissions)} for name, plugin in collectors.items()]


# Options a caller may set over the API. The others name a server file or directory (``root``,
# ``paths``), a local AWS profile or a URL the server would call (``endpoint_url``): they come from
# the settings, or from the CLI run by a local user.
API_OPTIONS: dict[str, frozenset[str]] = {"aws": frozenset({"regions", "accounts", "services"}),
                                          "host": frozenset({"scan_filesystem"}), "sbom": frozenset(),
                                          "image": frozenset(), "snapshot": frozenset()}


def refuse_server_options(source: str, options: dict[str, Any]) -> None:
    """A ValidationError naming the first option the API does not take for ``source``."""
    for key in options:
        if key not in API_OPTIONS[source]:
            allowed = ", ".join(sorted(API_OPTIONS[source])) or "none"
            raise ValidationError(f"not accepted over the API (options allowed for {source}: {allowed}); server "
                                  "paths, profiles and endpoints come from settings.inventory.sources and "
                                  "settings.aws, or run `assetguard inventory collect` on the server",
                                  where=f"options.{key}")


def api_collect_options(platform: Any, source: str, options: dict[str, Any]) -> dict[str, Any]:
    """The collector options for an API collection: the configured source's (or ``settings.aws``)
    with the caller's allowed options on top; a refused option is a ValidationError naming it."""
    refuse_server_options(source, options)
    if source == "aws":
        return {**aws_options(platform), **options}
    configured = next((s.options for s in platform.settings.inventory.sources if s.source == source), None)
    if configured is None and source != "host":
        raise ConflictError(f"source: no {source} source is configured in settings.inventory.sources (the API "
                            "does not take file paths)")
    return {**(configured or {}), **options}


@router.post("/collect", responses={409: {"description": "the source is not configured in settings.inventory.sources"}},
             openapi_extra=json_body(inline_schema(COLLECT)))
def collect(principal: OperatorDep, platform: PlatformDep, body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    """Run one collection now and return its summary. ``aws`` uses ``settings.aws``; the other
    sources use their entry in ``settings.inventory.sources`` (``host`` defaults to this machine)."""
    source, options = body.get("source"), body.get("options")
    if isinstance(source, str) and source in API_OPTIONS and isinstance(options, dict):
        refuse_server_options(source, options)  # first: its message says where such options come from
    request = validate_body(COLLECT, body, "request body", tags=frozenset(API_OPTIONS))
    options = api_collect_options(platform, request.source, request.option_values())
    return run_collection(platform, request.source, options, actor=principal).as_dict()
