"""Asset inventory: list, get, history, collection runs, and collect (operator)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from assetguard.api.auth import OperatorDep, PlatformDep, ViewerDep
from assetguard.inventory.collectors.base import collectors
from assetguard.inventory.runner import aws_options, run_collection
from assetguard.inventory.service import InventoryService

router = APIRouter(prefix="/inventory", tags=["inventory"])


class CollectRequest(BaseModel):
    """``options`` are the collector's own (``root`` for host, ``paths`` for files, ``regions`` for aws)."""

    model_config = ConfigDict(extra="forbid")
    source: Literal["aws", "host", "sbom", "image", "snapshot"]
    options: dict[str, Any] = Field(default_factory=dict)


@router.get("/assets")
def list_assets(_p: ViewerDep, platform: PlatformDep, type: str | None = None,
                tag: list[str] | None = Query(None, description="K=V or K; repeat to require several"),
                region: str | None = None, account_id: str | None = None, search: str | None = None,
                include_deleted: bool = False, limit: int = Query(500, ge=1, le=10000),
                offset: int = Query(0, ge=0)) -> list[dict[str, Any]]:
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


@router.post("/collect")
def collect(body: CollectRequest, principal: OperatorDep, platform: PlatformDep) -> dict[str, Any]:
    """Run one collection now and return its summary (``aws`` defaults to ``settings.aws``)."""
    options = {**aws_options(platform), **body.options} if body.source == "aws" else body.options
    return run_collection(platform, body.source, options, actor=principal).as_dict()
